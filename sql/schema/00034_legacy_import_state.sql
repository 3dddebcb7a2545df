-- What the V1.5 importer (server import-sqlite) wrote into a tenant, so that a later run
-- can tell a row changed in V1.5 since it was imported from one changed in V1.6 (--sync),
-- and --verify can compare the file with the tenant row by row. In schema private with
-- no grants: neither the API, nor PostgREST, nor any client under RLS sees it; only the
-- owner, who imports, reads and writes it.

-- +goose Up
create table private.legacy_imports (
  tenant_id uuid primary key references public.tenants (id) on delete cascade,
  -- The file's base name as the last run named it, for the operator.
  file_name text not null,
  -- The mapping options the rows were planned with: a sync must plan them alike.
  legacy_timezone text not null,
  phone_region text not null,
  -- The first import's time, which a row without a timestamp got: a sync plans it so again.
  imported_at timestamptz not null,
  synced_at timestamptz not null
);

-- One fingerprint per imported row, packed (legacy/fingerprint.go): the row's legacy key,
-- a hash of its values as V1.5 last gave them, a hash of what the import last wrote (V1.6
-- changed the row when it no longer matches) and, after a conflict V1.6 won, a hash of
-- the row V1.6 kept. Packed in chunks rather than a row per imported row: a first import
-- of a million messages writes about 20 MB here instead of a million more index entries.
create table private.legacy_import_fingerprints (
  tenant_id uuid not null references private.legacy_imports (tenant_id) on delete cascade,
  source_table text not null,
  chunk integer not null,
  entries bytea not null,
  primary key (tenant_id, source_table, chunk)
);
-- Hashes do not compress: store them as they are, without trying.
alter table private.legacy_import_fingerprints alter column entries set storage external;

revoke all on private.legacy_imports, private.legacy_import_fingerprints from public, anon, authenticated, service_role;

-- +goose Down
drop table private.legacy_import_fingerprints;
drop table private.legacy_imports;
