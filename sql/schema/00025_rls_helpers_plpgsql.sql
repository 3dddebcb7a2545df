-- The helpers every policy calls, rewritten in PL/pgSQL. A SECURITY DEFINER function is
-- never inlined, and a LANGUAGE sql one has its body planned again on each statement that
-- calls it; PL/pgSQL keeps its plans for the session. The answers are the same (the
-- tests of RLS and of the rules did not change); what changes is the price of RLS on a
-- point read (measured by make bench).
--
-- atende_app gets USAGE on schema private: a transaction's first statements go to the
-- server in one batch, and the server resolves their names (policies' helpers, queries
-- that call private functions) when it parses them, before the batch's role switch has
-- run. USAGE only lets atende_app name the schema's objects: it holds no privilege on
-- any of them (db.TestRLSIsolatesEveryTable checks that from the catalogue).

-- +goose Up
grant usage on schema private to atende_app;

-- +goose StatementBegin
create or replace function private.current_tenant_id() returns uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select u.tenant_id from public.users u join public.tenants t on t.id = u.tenant_id
    where u.id = auth.uid() and t.status = 'active');
end
$$;

create or replace function private.current_user_role() returns public.user_role
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select role from public.users where id = auth.uid());
end
$$;

create or replace function private.is_tenant_admin() returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return coalesce((select role in ('owner', 'admin') from public.users where id = auth.uid()), false);
end
$$;

create or replace function private.caller_confirmed_email() returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select lower(btrim(u.email)) from auth.users u where u.id = auth.uid() and u.email_confirmed_at is not null);
end
$$;

create or replace function private.caller_refusal() returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  account auth.users;
  tenant_status public.tenant_status;
begin
  select * into account from auth.users where id = caller;
  if not found or account.deleted_at is not null then
    return 'deleted';
  end if;
  if account.banned_until > now() then
    return 'banned';
  end if;
  select t.status into tenant_status from public.users u join public.tenants t on t.id = u.tenant_id where u.id = caller;
  if tenant_status = 'suspended' then
    return 'suspended';
  end if;
  return null;
end
$$;
-- +goose StatementEnd

-- +goose Down
revoke usage on schema private from atende_app;

-- +goose StatementBegin
create or replace function private.current_tenant_id() returns uuid
language sql stable security definer
set search_path = ''
as $$
  select u.tenant_id from public.users u join public.tenants t on t.id = u.tenant_id
  where u.id = (select auth.uid()) and t.status = 'active'
$$;

create or replace function private.current_user_role() returns public.user_role
language sql stable security definer
set search_path = ''
as $$
  select role from public.users where id = (select auth.uid())
$$;

create or replace function private.is_tenant_admin() returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select role in ('owner', 'admin') from public.users where id = (select auth.uid())), false)
$$;

create or replace function private.caller_confirmed_email() returns text
language sql stable security definer
set search_path = ''
as $$
  select lower(btrim(u.email)) from auth.users u
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null
$$;

create or replace function private.caller_refusal() returns text
language sql stable security definer
set search_path = ''
as $$
  select case
    when a.id is null or a.deleted_at is not null then 'deleted'
    when a.banned_until > now() then 'banned'
    when t.status = 'suspended' then 'suspended'
  end
  from (select (select auth.uid()) as id) caller
    left join auth.users a on a.id = caller.id
    left join public.users u on u.id = caller.id
    left join public.tenants t on t.id = u.tenant_id
$$;
-- +goose StatementEnd
