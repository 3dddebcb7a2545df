-- Joining a tenant through an invitation needs proof that the person owns the invited
-- address. Knowing the address is not enough: Supabase Auth writes the auth user at
-- signup with email_confirmed_at null until the link in the confirmation email is
-- followed (or at once, when the project auto-confirms). So an invitation is accepted
-- only for a confirmed email — at signup when it is confirmed then, or when it becomes
-- confirmed later — and only when exactly one tenant invited that address: when several
-- did, the person chooses (private.accept_invitation). Profiles also follow later email
-- changes, and keep only an https avatar from the user-writable metadata.

-- +goose Up
-- Existing rows that the new https-only checks would refuse lose the link, not the row.
update public.users set avatar_url = null where avatar_url !~ '^https://';
update public.tenants set logo_url = null where logo_url !~ '^https://';
alter table public.users add constraint users_avatar_url_https check (avatar_url ~ '^https://');
alter table public.tenants add constraint tenants_logo_url_https check (logo_url ~ '^https://');

-- The caller's email, when Supabase Auth has confirmed it; null otherwise.
create function private.caller_confirmed_email() returns text
language sql stable security definer
set search_path = ''
as $$
  select lower(btrim(u.email)) from auth.users u
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null
$$;
revoke execute on function private.caller_confirmed_email() from public, anon;
grant execute on function private.caller_confirmed_email() to authenticated, service_role;

-- Attaches the tenantless profile of invitee to the one tenant with a pending invitation
-- for its (confirmed) email, and marks the invitation accepted. Nothing happens when no
-- tenant or several tenants invited the address: then the person accepts explicitly.
-- Returns the tenant joined, or null.
-- +goose StatementBegin
create function private.join_invited_tenant(invitee uuid, invitee_email text) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  invitation public.invitations;
begin
  -- One pending invitation per tenant and email (invitations_tenant_id_email_pending_key):
  -- more than one row means more than one tenant, and none is chosen for the person.
  if (select count(*) from public.invitations i
      where i.email = invitee_email and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()) <> 1 then
    return null;
  end if;
  select * into invitation from public.invitations i
  where i.email = invitee_email and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
  update public.users set tenant_id = invitation.tenant_id, role = invitation.role, updated_at = now()
  where id = invitee and tenant_id is null;
  if not found then
    return null;
  end if;
  update public.invitations set accepted_at = now(), accepted_user_id = invitee
  where tenant_id = invitation.tenant_id and id = invitation.id;
  return invitation.tenant_id;
end
$$;
-- +goose StatementEnd
revoke execute on function private.join_invited_tenant(uuid, text) from public, anon, authenticated;

-- The profile of a new auth user. The tenant comes only from trusted data:
-- raw_app_meta_data (written by admins and the importer, never by the user), or a pending
-- invitation once the email is confirmed. raw_user_meta_data is user-writable and
-- supplies only the display name and an https avatar. Input is validated rather than
-- trusted so that no ordinary signup (no name, odd email, stray metadata) fails here.
-- +goose StatementBegin
create or replace function private.handle_new_auth_user() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  claimed_tenant text := new.raw_app_meta_data ->> 'tenant_id';
  claimed_role text := new.raw_app_meta_data ->> 'tenant_role';
  avatar text := btrim(new.raw_user_meta_data ->> 'avatar_url');
  profile_tenant uuid;
  profile_role public.user_role;
  profile_email text := nullif(lower(btrim(new.email)), '');
begin
  if claimed_tenant ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select t.id into profile_tenant from public.tenants t where t.id = claimed_tenant::uuid;
  end if;
  if profile_tenant is not null then
    profile_role := case when claimed_role in ('owner', 'admin', 'agent') then claimed_role::public.user_role else 'agent' end;
  end if;

  insert into public.users (id, tenant_id, email, full_name, avatar_url, role)
  values (
    new.id,
    profile_tenant,
    profile_email,
    left(coalesce(nullif(btrim(new.raw_user_meta_data ->> 'full_name'), ''), nullif(btrim(new.raw_user_meta_data ->> 'name'), '')), 200),
    case when avatar ~ '^https://\S+$' and length(avatar) <= 2048 then avatar end,
    profile_role
  )
  on conflict (id) do nothing;

  if profile_tenant is null and profile_email is not null and new.email_confirmed_at is not null then
    perform private.join_invited_tenant(new.id, profile_email);
  end if;
  return new;
end
$$;
-- +goose StatementEnd

-- An email confirmed after signup (the confirmation link, an accepted Supabase invite)
-- may now join the tenant that invited it; a changed email reaches the profile.
-- +goose StatementBegin
create function private.handle_auth_user_email_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  profile_email text := nullif(lower(btrim(new.email)), '');
begin
  if new.email is distinct from old.email then
    update public.users set email = profile_email, updated_at = now() where id = new.id;
  end if;
  if profile_email is not null and new.email_confirmed_at is not null
     and (old.email_confirmed_at is null or new.email is distinct from old.email) then
    perform private.join_invited_tenant(new.id, profile_email);
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.handle_auth_user_email_change() from public, anon, authenticated;

create trigger on_auth_user_email_changed
  after update of email, email_confirmed_at on auth.users
  for each row execute function private.handle_auth_user_email_change();

-- An existing account accepts an invitation explicitly: its email must be confirmed and
-- be the invited one, and it must not belong to a tenant yet. Returns the tenant joined.
-- Errors: 42501 unconfirmed email, P0002 no such pending invitation for this email,
-- 23505 already a member of a tenant.
-- +goose StatementBegin
create function private.accept_invitation(invitation_id uuid) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  invitee_email text := private.caller_confirmed_email();
  invitation public.invitations;
begin
  if invitee_email is null then
    raise exception 'your email address is not confirmed: follow the link Supabase Auth sent to it, then accept'
      using errcode = 'insufficient_privilege', constraint = 'invitations_accept_confirmed_email';
  end if;
  select * into invitation from public.invitations i
  where i.id = invitation_id and i.email = invitee_email and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
  if not found then
    raise exception 'no pending invitation % for %', invitation_id, invitee_email using errcode = 'no_data_found';
  end if;
  update public.users set tenant_id = invitation.tenant_id, role = invitation.role, updated_at = now()
  where id = caller and tenant_id is null;
  if not found then
    raise exception 'you already belong to a tenant; a user belongs to one tenant only'
      using errcode = 'unique_violation', constraint = 'users_one_tenant';
  end if;
  update public.invitations set accepted_at = now(), accepted_user_id = caller
  where tenant_id = invitation.tenant_id and id = invitation.id;
  return invitation.tenant_id;
end
$$;
-- +goose StatementEnd
revoke execute on function private.accept_invitation(uuid) from public, anon;
grant execute on function private.accept_invitation(uuid) to authenticated;

-- The invitee sees the invitations addressed to their confirmed email, and the tenants
-- that sent them (name and branding, as public as a tenant's sign-in page). The
-- tenants policy relies on invitations' own policies: a tenant qualifies when the caller
-- may see one of its invitations (as its admin, or as the invitee).
create policy invitations_select_invitee on public.invitations for select to authenticated
  using (email = (select private.caller_confirmed_email()) and accepted_at is null and revoked_at is null and expires_at > now());
create policy tenants_select_inviting on public.tenants for select to authenticated
  using (exists (select from public.invitations i where i.tenant_id = tenants.id));

-- +goose Down
drop policy tenants_select_inviting on public.tenants;
drop policy invitations_select_invitee on public.invitations;
drop function private.accept_invitation(uuid);
drop trigger on_auth_user_email_changed on auth.users;
drop function private.handle_auth_user_email_change();

-- +goose StatementBegin
create or replace function private.handle_new_auth_user() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  claimed_tenant text := new.raw_app_meta_data ->> 'tenant_id';
  claimed_role text := new.raw_app_meta_data ->> 'tenant_role';
  profile_tenant uuid;
  profile_role public.user_role;
  invitation_tenant uuid;
  invitation_id uuid;
  profile_email text := nullif(lower(btrim(new.email)), '');
begin
  if claimed_tenant ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select t.id into profile_tenant from public.tenants t where t.id = claimed_tenant::uuid;
  end if;

  if profile_tenant is not null then
    profile_role := case when claimed_role in ('owner', 'admin', 'agent') then claimed_role::public.user_role else 'agent' end;
  elsif profile_email is not null then
    select i.tenant_id, i.id, i.role into invitation_tenant, invitation_id, profile_role
    from public.invitations i
    where i.email = profile_email and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
    order by i.created_at desc
    limit 1
    for update;
    profile_tenant := invitation_tenant;
  end if;

  insert into public.users (id, tenant_id, email, full_name, avatar_url, role)
  values (
    new.id,
    profile_tenant,
    profile_email,
    left(coalesce(nullif(btrim(new.raw_user_meta_data ->> 'full_name'), ''), nullif(btrim(new.raw_user_meta_data ->> 'name'), '')), 200),
    case when length(new.raw_user_meta_data ->> 'avatar_url') <= 2048 then new.raw_user_meta_data ->> 'avatar_url' end,
    profile_role
  )
  on conflict (id) do nothing;

  if invitation_id is not null then
    update public.invitations
    set accepted_at = now(), accepted_user_id = new.id
    where tenant_id = invitation_tenant and id = invitation_id;
  end if;
  return new;
end
$$;
-- +goose StatementEnd
drop function private.join_invited_tenant(uuid, text);
drop function private.caller_confirmed_email();
alter table public.tenants drop constraint tenants_logo_url_https;
alter table public.users drop constraint users_avatar_url_https;
