-- A banned or deleted account sees nothing through any client. Supabase Auth keeps a
-- session's access token valid until it expires, also after a ban or a deletion: the
-- API refuses it on every request (private.caller_refusal), and now the policies do too,
-- for PostgREST and every other Supabase client: the caller's memo names no tenant for
-- such an account, as for a member of a suspended tenant, so every tenant policy denies.

-- +goose Up
-- +goose StatementBegin
create or replace function private.caller_memo(out tenant uuid, out role public.user_role)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  select case when t.status = 'active' and a.deleted_at is null and (a.banned_until is null or a.banned_until <= now())
      then u.tenant_id end,
    u.role
  into tenant, role
  from public.users u
    join auth.users a on a.id = u.id
    left join public.tenants t on t.id = u.tenant_id
  where u.id = auth.uid();
  perform set_config('atende.caller_for', concat(current_setting('request.jwt.claim.sub', true), ' ', current_setting('request.jwt.claims', true)), true),
    set_config('atende.caller', format('%s/%s', tenant, role), true);
end
$$;

create or replace function private.caller_refusal() returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  account_found boolean;
  deleted_at timestamptz;
  banned_until timestamptz;
  tenant uuid;
  tenant_status public.tenant_status;
  role public.user_role;
  refusal text;
begin
  select true, a.deleted_at, a.banned_until, u.tenant_id, t.status, u.role
  into account_found, deleted_at, banned_until, tenant, tenant_status, role
  from auth.users a
    left join public.users u on u.id = a.id
    left join public.tenants t on t.id = u.tenant_id
  where a.id = caller;
  refusal := case
    when account_found is null or deleted_at is not null then 'deleted'
    when banned_until > now() then 'banned'
    when tenant_status = 'suspended' then 'suspended'
  end;
  -- Remembered as caller_memo remembers it: a refused caller's memo names no tenant.
  perform set_config('atende.caller_for', concat(current_setting('request.jwt.claim.sub', true), ' ', current_setting('request.jwt.claims', true)), true),
    set_config('atende.caller', format('%s/%s', case when refusal is null and tenant_status = 'active' then tenant end, role), true);
  return refusal;
end
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
create or replace function private.caller_memo(out tenant uuid, out role public.user_role)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  select case when t.status = 'active' then u.tenant_id end, u.role into tenant, role
  from public.users u left join public.tenants t on t.id = u.tenant_id
  where u.id = auth.uid();
  perform set_config('atende.caller_for', concat(current_setting('request.jwt.claim.sub', true), ' ', current_setting('request.jwt.claims', true)), true),
    set_config('atende.caller', format('%s/%s', tenant, role), true);
end
$$;

create or replace function private.caller_refusal() returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  account_found boolean;
  deleted_at timestamptz;
  banned_until timestamptz;
  tenant uuid;
  tenant_status public.tenant_status;
  role public.user_role;
begin
  select true, a.deleted_at, a.banned_until, u.tenant_id, t.status, u.role
  into account_found, deleted_at, banned_until, tenant, tenant_status, role
  from auth.users a
    left join public.users u on u.id = a.id
    left join public.tenants t on t.id = u.tenant_id
  where a.id = caller;
  perform set_config('atende.caller_for', concat(current_setting('request.jwt.claim.sub', true), ' ', current_setting('request.jwt.claims', true)), true),
    set_config('atende.caller', format('%s/%s', case when tenant_status = 'active' then tenant end, role), true);
  if account_found is null or deleted_at is not null then
    return 'deleted';
  end if;
  if banned_until > now() then
    return 'banned';
  end if;
  if tenant_status = 'suspended' then
    return 'suspended';
  end if;
  return null;
end
$$;
-- +goose StatementEnd
