-- The policies' helpers, inlined. Remembering the caller (00028) saved the lookup, but a
-- call still cost 14 µs: two nested SECURITY DEFINER functions, each saving and restoring
-- search_path, and the claims parsed as JSON to compare their sub. Now
-- current_tenant_id(), current_user_role() and is_tenant_admin() are plain SQL, which
-- PostgreSQL inlines into each policy: when the memo was made for exactly the current
-- claims (compared as text) they read it from settings; otherwise they call
-- private.caller_memo(), the SECURITY DEFINER lookup, which makes it. They read no table
-- themselves and name only pg_catalog and private objects, schema-qualified, so they need
-- neither SECURITY DEFINER nor a pinned search_path (either would stop the inlining).
--
-- The memo is two transaction-local settings: atende.caller_for, the claims it was made
-- for (request.jwt.claim.sub and request.jwt.claims, as auth.uid() reads them), and
-- atende.caller, "<tenant>/<role>".

-- +goose Up
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
  -- Remembered as caller_memo remembers it.
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

create or replace function private.forget_caller() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('atende.caller_for', '', true);
  return null;
end
$$;
-- +goose StatementEnd
-- The inlined helpers call it with the caller's privileges.
grant execute on function private.caller_memo() to authenticated, service_role;

-- +goose StatementBegin
create or replace function private.current_tenant_id() returns uuid
language sql stable security invoker
as $$
  select case
    when pg_catalog.current_setting('atende.caller_for', true) operator(pg_catalog.=) pg_catalog.concat(
      pg_catalog.current_setting('request.jwt.claim.sub', true), ' ', pg_catalog.current_setting('request.jwt.claims', true))
    then nullif(pg_catalog.split_part(pg_catalog.current_setting('atende.caller', true), '/', 1), '')::uuid
    else (private.caller_memo()).tenant
  end
$$;

create or replace function private.current_user_role() returns public.user_role
language sql stable security invoker
as $$
  select case
    when pg_catalog.current_setting('atende.caller_for', true) operator(pg_catalog.=) pg_catalog.concat(
      pg_catalog.current_setting('request.jwt.claim.sub', true), ' ', pg_catalog.current_setting('request.jwt.claims', true))
    then nullif(pg_catalog.split_part(pg_catalog.current_setting('atende.caller', true), '/', 2), '')::public.user_role
    else (private.caller_memo()).role
  end
$$;

create or replace function private.is_tenant_admin() returns boolean
language sql stable security invoker
as $$
  select coalesce(private.current_user_role() operator(pg_catalog.=) any (array['owner', 'admin']::public.user_role[]), false)
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
create or replace function private.current_tenant_id() returns uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (private.caller_memo()).tenant;
end
$$;

create or replace function private.current_user_role() returns public.user_role
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (private.caller_memo()).role;
end
$$;

create or replace function private.is_tenant_admin() returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return coalesce((private.caller_memo()).role in ('owner', 'admin'), false);
end
$$;

create or replace function private.caller_memo(out tenant uuid, out role public.user_role)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  memo text := current_setting('atende.caller', true);
begin
  if caller is null then
    return;
  end if;
  if memo like caller::text || '/%' then
    tenant := nullif(split_part(memo, '/', 2), '')::uuid;
    role := nullif(split_part(memo, '/', 3), '')::public.user_role;
    return;
  end if;
  select case when t.status = 'active' then u.tenant_id end, u.role into tenant, role
  from public.users u left join public.tenants t on t.id = u.tenant_id
  where u.id = caller;
  perform set_config('atende.caller', format('%s/%s/%s', caller, tenant, role), true);
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
  if caller is not null then -- as caller_memo remembers it
    perform set_config('atende.caller', format('%s/%s/%s', caller, case when tenant_status = 'active' then tenant end, role), true);
  end if;
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

create or replace function private.forget_caller() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('atende.caller', '', true);
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.caller_memo() from authenticated, service_role;
