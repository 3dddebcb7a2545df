-- Citus connects to the workers as the transaction's current role, so the roles the
-- backend switches to must log in there (from the coordinator only: pg_hba.conf), and
-- only there: the ALTER is kept from spreading back to the coordinator.
select run_command_on_workers(format('set citus.enable_alter_role_propagation = off; alter role %I login', r))
from unnest(array['authenticated', 'service_role']) r
where exists (
  select from run_command_on_workers(format('select rolcanlogin from pg_roles where rolname = %L', r)) w
  where w.result <> 't'
);
