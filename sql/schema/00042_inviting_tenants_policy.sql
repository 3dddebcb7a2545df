-- Citus refuses a subquery in a policy of its tables, and tenants_select_inviting (00013)
-- was one: the tenants whose invitations the caller may see. The same test is now a
-- function of the row, private.invites_caller(tenant), plain SQL that PostgreSQL
-- inlines back into the same plan on a single node. It runs with the caller's rights, so
-- invitations' own policies still decide which invitations count.
--
-- The invitee's policy on invitations reads the caller's confirmed email from auth.users,
-- which is on the coordinator only: on the workers' copies of invitations (Citus) the
-- function answers null, so there the invitee's policy lets nothing through. Reads of a
-- reference table are answered by the coordinator's copy.

-- +goose Up
-- +goose StatementBegin
create or replace function private.caller_confirmed_email() returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if to_regclass('auth.users') is null then
    return null;
  end if;
  return (select lower(btrim(u.email)) from auth.users u
    where u.id = (select auth.uid()) and u.email_confirmed_at is not null);
end
$$;
-- +goose StatementEnd
-- +goose StatementBegin
create function private.invites_caller(tenant uuid) returns boolean
language sql stable security invoker
as $$
  select exists (select from public.invitations i where i.tenant_id operator(pg_catalog.=) tenant)
$$;
-- +goose StatementEnd
revoke execute on function private.invites_caller(uuid) from public, anon;
grant execute on function private.invites_caller(uuid) to authenticated, service_role;

drop policy tenants_select_inviting on public.tenants;
create policy tenants_select_inviting on public.tenants for select to authenticated
  using (private.invites_caller(id));

-- +goose Down
drop policy tenants_select_inviting on public.tenants;
create policy tenants_select_inviting on public.tenants for select to authenticated
  using (exists (select from public.invitations i where i.tenant_id = tenants.id));
drop function private.invites_caller(uuid);
-- +goose StatementBegin
create or replace function private.caller_confirmed_email() returns text
language sql stable security definer
set search_path = ''
as $$
  select lower(btrim(u.email)) from auth.users u
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null
$$;
-- +goose StatementEnd
