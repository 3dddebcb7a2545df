-- Every policy asks who the caller is: private.current_tenant_id(), current_user_role() or
-- is_tenant_admin(), each a lookup of the caller's profile — tens of microseconds, once
-- per table a statement reads, which on a point read cost RLS a quarter of PostgreSQL's
-- throughput (make bench). The caller does not change within a transaction, so the first
-- lookup is remembered for the rest of it, in the transaction-local setting
-- atende.caller ("<sub>/<tenant_id>/<role>"), and trusted only for the same sub.
-- private.caller_refusal(), which the API calls first in every request, fills it in the
-- same query. Any change to users or tenants in the transaction forgets it (a member
-- joining a tenant, a role changed), so a later statement sees the change as before.
--
-- The trust is the same as for request.jwt.claims, which the memo is keyed to: both are
-- settings only the transaction's opener writes (this backend, PostgREST, Realtime);
-- whoever can set one can set the other and be anyone.

-- +goose Up
-- +goose StatementBegin
-- The caller's (tenant, role) as remembered for this transaction, looked up and
-- remembered when not yet. tenant is null unless the caller's tenant is active; role is
-- the caller's, whatever the tenant's status (as current_user_role always answered).
create function private.caller_memo(out tenant uuid, out role public.user_role)
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

-- Why a valid token may no longer act (deleted, banned, suspended), in one query that
-- also remembers the caller for the policies.
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

create function private.forget_caller() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('atende.caller', '', true);
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.caller_memo(), private.forget_caller() from public, anon, authenticated;

create trigger users_forget_caller after insert or update or delete on public.users
  for each statement execute function private.forget_caller();
create trigger tenants_forget_caller after insert or update or delete on public.tenants
  for each statement execute function private.forget_caller();

-- +goose Down
drop trigger tenants_forget_caller on public.tenants;
drop trigger users_forget_caller on public.users;

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

drop function private.forget_caller();
drop function private.caller_memo();
