-- Tenants (the businesses), user profiles, and the helpers every RLS policy uses to find
-- the caller's tenant.

-- +goose Up
create type public.tenant_status as enum ('active', 'suspended');
create type public.user_role as enum ('owner', 'admin', 'agent');

create table public.tenants (
  id uuid not null default private.uuid_v7() primary key,
  name text not null check (length(name) between 1 and 200),
  -- A DNS label: <slug>.<APP_BASE_DOMAIN> is the tenant's site.
  slug text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  -- A lower-case host name without port.
  custom_domain text unique check (
    length(custom_domain) <= 253
    and custom_domain ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'
  ),
  logo_url text check (length(logo_url) <= 2048),
  theme jsonb not null default '{}' check (jsonb_typeof(theme) = 'object'),
  status public.tenant_status not null default 'active',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Secrets kept apart from tenants so that members can read the branding but only admins
-- the secret. The webhook secret signs the channel provider's deliveries (HMAC-SHA256).
create table public.tenant_secrets (
  tenant_id uuid not null primary key references public.tenants (id) on delete cascade,
  -- 244 random bits from two v4 UUIDs: no pgcrypto needed.
  webhook_secret text not null default encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex'),
  updated_at timestamptz not null default now()
);

-- The public profile of an auth user. id is auth.users.id, so it is unique across tenants
-- and is the primary key on its own; tenant_id is null until onboarding. The composite
-- unique key lets other tenant tables reference (tenant_id, user) and so never point at
-- another tenant's user.
create table public.users (
  id uuid not null primary key references auth.users (id) on delete cascade,
  tenant_id uuid references public.tenants (id) on delete cascade,
  email text check (email = lower(email)),
  full_name text check (length(full_name) <= 200),
  avatar_url text check (length(avatar_url) <= 2048),
  role public.user_role,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_tenant_id_id_key unique (tenant_id, id),
  constraint users_role_with_tenant check ((tenant_id is null) = (role is null))
);
create index users_tenant_id_created_at_id_idx on public.users (tenant_id, created_at, id);

-- The caller's tenant and role, read through auth.uid(). SECURITY DEFINER so policies on
-- users itself do not recurse; STABLE and wrapped as (select ...) in policies so they run
-- once per statement (Supabase's RLS performance guidance).
create function private.current_tenant_id() returns uuid
language sql stable security definer
set search_path = ''
as $$
  select tenant_id from public.users where id = (select auth.uid())
$$;

create function private.current_user_role() returns public.user_role
language sql stable security definer
set search_path = ''
as $$
  select role from public.users where id = (select auth.uid())
$$;

create function private.is_tenant_admin() returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select role in ('owner', 'admin') from public.users where id = (select auth.uid())), false)
$$;

revoke execute on function private.current_tenant_id(), private.current_user_role(), private.is_tenant_admin() from public, anon;
grant execute on function private.current_tenant_id(), private.current_user_role(), private.is_tenant_admin() to authenticated, service_role;

alter table public.tenants enable row level security;
revoke all on public.tenants from anon, authenticated;
grant select, insert, update, delete on public.tenants to service_role;
-- Tenants are created by setup (service role); members read theirs, admins edit the
-- branding but not the status.
grant select on public.tenants to authenticated;
grant update (name, slug, custom_domain, logo_url, theme, updated_at) on public.tenants to authenticated;

create policy tenants_select_own on public.tenants for select to authenticated
  using (id = (select private.current_tenant_id()));
create policy tenants_update_by_admin on public.tenants for update to authenticated
  using (id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (id = (select private.current_tenant_id()));

alter table public.tenant_secrets enable row level security;
revoke all on public.tenant_secrets from anon, authenticated;
grant select, insert, update, delete on public.tenant_secrets to service_role;
grant select on public.tenant_secrets to authenticated;
create policy tenant_secrets_select_by_admin on public.tenant_secrets for select to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

alter table public.users enable row level security;
revoke all on public.users from anon, authenticated;
grant select, insert, update, delete on public.users to service_role;
-- Profiles are created by the auth.users trigger; email and tenant never change here.
grant select, delete on public.users to authenticated;
grant update (full_name, avatar_url, role, updated_at) on public.users to authenticated;

create policy users_select_same_tenant on public.users for select to authenticated
  using (id = (select auth.uid()) or tenant_id = (select private.current_tenant_id()));
-- Anyone edits their own profile, admins anyone's in their tenant; only an admin may
-- change a role (the check compares with the caller's role before the statement).
create policy users_update_self_or_admin on public.users for update to authenticated
  using (id = (select auth.uid()) or (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin())))
  with check (
    tenant_id is not distinct from (select private.current_tenant_id())
    and (role is not distinct from (select private.current_user_role()) or (select private.is_tenant_admin()))
  );
create policy users_delete_by_admin on public.users for delete to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()) and id <> (select auth.uid()));

-- +goose Down
drop table public.users;
drop table public.tenant_secrets;
drop table public.tenants;
drop function private.current_tenant_id(), private.current_user_role(), private.is_tenant_admin();
drop type public.user_role;
drop type public.tenant_status;
