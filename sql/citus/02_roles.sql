-- Citus connects to the workers as the transaction's current role, so the roles the
-- backend switches to must log in there (from the coordinator only: pg_hba.conf).
select run_command_on_workers($$alter role authenticated login$$);
select run_command_on_workers($$alter role service_role login$$);
