-- The triggers that drop every server process's cached hosts and webhook secrets
-- (tenants_announce_address, tenant_secrets_announce) NOTIFY. On Citus they fire on every
-- node's copy of those reference tables, and the workers commit their copies by two-phase
-- commit, which refuses a transaction that notified ("cannot PREPARE a transaction that
-- has executed LISTEN, UNLISTEN, or NOTIFY"): an address change or a secret rotation
-- failed there. They now ask private.announces_here() first: always true here, only on
-- the coordinator (where the servers listen) once `server distribute` redefines it.

-- +goose Up
-- +goose StatementBegin
create function private.announces_here() returns boolean
language sql stable
set search_path = ''
as $$ select true $$;

create or replace function private.announce_tenant_address() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if private.announces_here() and (new.slug, new.custom_domain, new.custom_domain_verified_at, new.status)
     is distinct from (old.slug, old.custom_domain, old.custom_domain_verified_at, old.status) then
    perform pg_notify('atende_tenants', new.id::text);
  end if;
  return null;
end
$$;

create or replace function private.announce_tenant_secret() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if private.announces_here() then
    perform pg_notify('atende_tenants', new.tenant_id::text);
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announces_here() from public, anon, authenticated;

-- +goose Down
-- +goose StatementBegin
create or replace function private.announce_tenant_address() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if (new.slug, new.custom_domain, new.custom_domain_verified_at, new.status)
     is distinct from (old.slug, old.custom_domain, old.custom_domain_verified_at, old.status) then
    perform pg_notify('atende_tenants', new.id::text);
  end if;
  return null;
end
$$;

create or replace function private.announce_tenant_secret() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform pg_notify('atende_tenants', new.tenant_id::text);
  return null;
end
$$;
-- +goose StatementEnd
drop function private.announces_here();
