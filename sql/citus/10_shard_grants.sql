-- Citus sends an INSERT to a shard with every column, the defaults it evaluated on the
-- coordinator included. Where authenticated may insert only some columns (checked on the
-- coordinator, against the client's own statement), its shards let it insert them all.
-- Shards made later (isolate_tenant_to_new_shard, a split) take the table's own grants:
-- run server distribute again after making them.
select run_command_on_placements(c.oid::regclass, 'grant insert on %s to authenticated')
from pg_class c
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
  and not has_table_privilege('authenticated', c.oid, 'insert')
  and has_any_column_privilege('authenticated', c.oid, 'insert');
