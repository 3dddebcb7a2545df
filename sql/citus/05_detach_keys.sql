-- Making tenants a reference table would turn every local table whose keys lead to it
-- into a Citus local table first, which fails on the hash-partitioned messages. So the
-- tenant tables' foreign keys are set aside (kept in atende_migrations, so that a run
-- that stops half-way finds them) until those tables are distributed (step 08).
create table if not exists atende_migrations.citus_detached_keys (
  relid regclass not null,
  name text not null,
  definition text not null,
  primary key (relid, name)
);
insert into atende_migrations.citus_detached_keys (relid, name, definition)
select k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)
from pg_constraint k
where k.contype = 'f' and k.conparentid = 0 and k.conrelid = any (pg_temp.tenant_tables())
  and not exists (select from pg_dist_partition p where p.logicalrelid = k.conrelid)
on conflict do nothing;
do $$
declare
  k record;
begin
  for k in select relid, name from atende_migrations.citus_detached_keys loop
    execute format('alter table %s drop constraint if exists %I', k.relid, k.name);
  end loop;
end
$$;
