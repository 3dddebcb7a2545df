-- The tenant tables' foreign keys back, now between colocated shards and towards the
-- reference tables' copies on the same node.
do $$
declare
  k record;
begin
  for k in select relid, name, definition from atende_migrations.citus_detached_keys loop
    if not exists (select from pg_constraint where conrelid = k.relid and conname = k.name) then
      execute format('alter table %s add constraint %I %s', k.relid, k.name, k.definition);
    end if;
    delete from atende_migrations.citus_detached_keys where relid = k.relid and name = k.name;
  end loop;
end
$$;
