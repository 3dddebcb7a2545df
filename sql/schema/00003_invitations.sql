-- Invitations, and the auth.users trigger that turns every new auth user into a profile.

-- +goose Up
create table public.invitations (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  email text not null check (email = lower(email) and length(email) between 3 and 320 and email like '%_@_%'),
  role public.user_role not null default 'agent' check (role <> 'owner'),
  invited_by_user_id uuid,
  accepted_user_id uuid,
  expires_at timestamptz not null default now() + interval '14 days',
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, invited_by_user_id) references public.users (tenant_id, id) on delete set null (invited_by_user_id),
  foreign key (tenant_id, accepted_user_id) references public.users (tenant_id, id) on delete set null (accepted_user_id),
  -- The user who accepted is recorded, and forgotten (set null) if that user is deleted.
  constraint invitations_user_only_when_accepted check (accepted_user_id is null or accepted_at is not null)
);
-- One pending invitation per email and tenant.
create unique index invitations_tenant_id_email_pending_key on public.invitations (tenant_id, email)
  where accepted_at is null and revoked_at is null;
create index invitations_tenant_id_created_at_id_idx on public.invitations (tenant_id, created_at, id);
create index invitations_tenant_id_invited_by_user_id_idx on public.invitations (tenant_id, invited_by_user_id);
create index invitations_tenant_id_accepted_user_id_idx on public.invitations (tenant_id, accepted_user_id);
-- The signup trigger looks pending invitations up by email alone: at signup the tenant is
-- what it is looking for. The only index not led by tenant_id, for that reason.
create index invitations_email_pending_idx on public.invitations (email)
  where accepted_at is null and revoked_at is null;

alter table public.invitations enable row level security;
revoke all on public.invitations from anon, authenticated;
grant select, insert, update, delete on public.invitations to authenticated, service_role;
create policy invitations_admin_all on public.invitations for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- Creates the profile of a new auth user. The tenant comes only from trusted data:
-- raw_app_meta_data (written by admins and the importer, never by the user) or a pending
-- invitation for the email. raw_user_meta_data is user-writable and supplies only the
-- display name and avatar. Input is validated rather than trusted so that no ordinary
-- signup (no name, odd email, stray app metadata) can fail because of this trigger.
-- +goose StatementBegin
create function private.handle_new_auth_user() returns trigger
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
revoke execute on function private.handle_new_auth_user() from public, anon, authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_auth_user();

-- +goose Down
drop trigger on_auth_user_created on auth.users;
drop function private.handle_new_auth_user();
drop table public.invitations;
