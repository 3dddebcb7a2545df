-- server distribute: the schema's distributed form on a Citus coordinator (docs/scaling.md).
-- Each statement runs on its own, in order, and does nothing when already done.

-- Citus refuses subqueries in policies on its tables: the helpers are called bare
-- (inlined SQL, 00032, so the cost is a few settings read per row).
do $$
declare
  p record;
  wrapped constant text := '\( SELECT ((private|auth)\.\w+\(\)) AS \w+\)';
begin
  for p in select schemaname, tablename, policyname, qual, with_check from pg_policies
    where schemaname = 'public' and (qual ~ wrapped or with_check ~ wrapped)
  loop
    execute format('alter policy %I on %I.%I', p.policyname, p.schemaname, p.tablename)
      || coalesce(' using (' || regexp_replace(p.qual, wrapped, '\1', 'g') || ')', '')
      || coalesce(' with check (' || regexp_replace(p.with_check, wrapped, '\1', 'g') || ')', '');
  end loop;
end
$$;
