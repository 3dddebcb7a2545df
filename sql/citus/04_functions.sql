-- The functions the policies, defaults and triggers call must exist on every node: the
-- helpers and triggers of private and Supabase's auth.uid(), auth.jwt(), auth.role()
-- (auth's tables stay on the coordinator, untouched).
select create_distributed_function(p.oid::regprocedure)
from pg_proc p
where p.pronamespace in ('private'::regnamespace, 'auth'::regnamespace)
  and not exists (select from pg_dist_object o where o.classid = 'pg_proc'::regclass and o.objid = p.oid);
