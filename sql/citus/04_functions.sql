-- private.lead_positions_around reads a stage's leads as its owner on one node (00029:
-- under RLS the stage is no index condition). Citus refuses a transaction that reads a
-- shard as one role after another role wrote it (25001): a stage renumbered, or a second
-- lead created, then a lead placed, in one transaction. Here it reads as the caller,
-- under the policies, like the statements around it; the stage is then a filter over the
-- tenant's leads on its shard.
alter function private.lead_positions_around(uuid, public.lead_stage, integer, uuid) security invoker;
-- The functions the policies, defaults and triggers call must exist on every node: the
-- helpers and triggers of private and Supabase's auth.uid(), auth.jwt(), auth.role()
-- (auth's tables stay on the coordinator, untouched).
select create_distributed_function(p.oid::regprocedure)
from pg_proc p
where p.pronamespace in ('private'::regnamespace, 'auth'::regnamespace)
  and not exists (select from pg_dist_object o where o.classid = 'pg_proc'::regclass and o.objid = p.oid);
-- Only the coordinator announces host and secret changes (00046): the workers' copies
-- of reference tables commit by two-phase commit, which refuses a NOTIFY, and the server
-- processes listen on the coordinator.
create or replace function private.announces_here() returns boolean
language sql stable
set search_path = ''
as $$ select exists (select from pg_catalog.pg_dist_local_group where groupid = 0) $$;
