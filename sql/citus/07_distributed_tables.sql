-- Every tenant table by tenant_id, in one colocation group (contacts' shards), so that
-- one tenant's rows of every table are on one node and its queries, joins and keys stay
-- on one shard. One table per transaction, as for the reference tables. The event queue
-- is logged there: a shard moves by logical replication, which skips unlogged tables.
do $$
begin
  if (select relpersistence from pg_class where oid = 'private.event_queue'::regclass) = 'u' then
    alter table private.event_queue set logged;
  end if;
end
$$;
select format('select create_distributed_table(%L, ''tenant_id'', colocate_with => %L)',
  t, case when n = 1 then 'none' else 'public.contacts' end) as run
from unnest(pg_temp.tenant_tables()) with ordinality as u(t, n)
where not exists (select from pg_dist_partition p where p.logicalrelid = t)
order by n;
