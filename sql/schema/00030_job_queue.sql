-- The job queue (River) lives in schema river, next to the data its jobs change, so that a
-- job is inserted in the same transaction as its cause. River's own migrations create its
-- tables there (db.MigrateUp runs them after these); this file only makes the schema and
-- says who may use what River creates in it.
--
-- Nobody outside the backend: anon and authenticated get nothing (Supabase's API does not
-- expose the schema, and a member cannot enqueue work). atende_app, River's own
-- connections (fetching, completing, leader election), and service_role, the role of the
-- transactions that insert jobs (a member's reply switches to it for the insert: see
-- db.AsServiceInTx), get the tables and sequences. The jobs' arguments are ids, never
-- message content or credentials.

-- +goose Up
create schema if not exists river;
revoke all on schema river from public;
grant usage on schema river to atende_app, service_role;
alter default privileges in schema river grant select, insert, update, delete on tables to atende_app, service_role;
alter default privileges in schema river grant usage, select, update on sequences to atende_app, service_role;
alter default privileges in schema river revoke execute on functions from public;
alter default privileges in schema river grant execute on functions to atende_app, service_role;

-- +goose Down
alter default privileges in schema river revoke execute on functions from atende_app, service_role;
alter default privileges in schema river grant execute on functions to public;
alter default privileges in schema river revoke usage, select, update on sequences from atende_app, service_role;
alter default privileges in schema river revoke select, insert, update, delete on tables from atende_app, service_role;
drop schema river cascade;
