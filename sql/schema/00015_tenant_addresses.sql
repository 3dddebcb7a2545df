-- A tenant's address is where its customers and staff find it, so it is not any
-- member's to take: generic names are reserved for the platform, a custom domain serves
-- the tenant only once its owner proved control of it with a DNS TXT record, and the
-- address and status are written only by the platform (service_role) or through
-- private.tenant_set_address, which holds the same rules for every caller. A suspended
-- tenant is closed to its members: the RLS helpers no longer name it.

-- +goose Up

-- Names a tenant may not take: hosts the platform uses or may use under its base
-- domain, and names that would pass for the platform's own pages.
create function private.slug_is_reserved(slug text) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select slug = any (array[
    'abuse', 'account', 'accounts', 'admin', 'administrator', 'api', 'app', 'apps', 'assets', 'atende',
    'auth', 'billing', 'blog', 'cdn', 'console', 'dashboard', 'demo', 'dev', 'dns', 'docs', 'email',
    'files', 'ftp', 'git', 'help', 'hostmaster', 'imap', 'img', 'internal', 'localhost', 'login',
    'mail', 'media', 'mx', 'ns', 'ns1', 'ns2', 'pay', 'payments', 'pop', 'portal', 'postmaster',
    'realtime', 'register', 'root', 'security', 'signin', 'signup', 'smtp', 'staging', 'static',
    'status', 'storage', 'supabase', 'support', 'system', 'test', 'webhook', 'webhooks', 'webmaster',
    'www', 'wss'
  ])
$$;
revoke execute on function private.slug_is_reserved(text) from public, anon;
grant execute on function private.slug_is_reserved(text) to authenticated, service_role;
alter table public.tenants add constraint tenants_slug_not_reserved check (not private.slug_is_reserved(slug));

-- A custom domain is pending until verified: the TXT record _atende.<domain> must hold
-- "atende-verification=<custom_domain_token>". Several tenants may claim the same
-- domain; only one can verify it, so a squatter's claim blocks nobody.
alter table public.tenants drop constraint tenants_custom_domain_key;
alter table public.tenants
  add column custom_domain_token text,
  add column custom_domain_verified_at timestamptz;
-- Domains claimed before this migration were never proven: they start pending too.
update public.tenants set custom_domain_token = encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex')
where custom_domain is not null;
alter table public.tenants add constraint tenants_custom_domain_pending check (
  (custom_domain is null and custom_domain_token is null and custom_domain_verified_at is null)
  or (custom_domain is not null and custom_domain_token is not null));
create unique index tenants_custom_domain_verified_key on public.tenants (custom_domain)
  where custom_domain_verified_at is not null;

-- A new or changed custom domain gets a new token and is unverified, whoever writes it;
-- only the platform's verification sets custom_domain_verified_at.
-- +goose StatementBegin
create function private.reset_custom_domain_verification() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.custom_domain is distinct from old.custom_domain then
    new.custom_domain_token := case when new.custom_domain is not null
      then encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex') end;
    new.custom_domain_verified_at := null;
  end if;
  return new;
end
$$;
-- +goose StatementEnd
revoke execute on function private.reset_custom_domain_verification() from public, anon, authenticated;

create trigger tenants_custom_domain_verification
  before insert or update of custom_domain on public.tenants
  for each row execute function private.reset_custom_domain_verification();

-- Members read their tenant; admins edit its name and branding. Address and status are
-- the platform's, or go through tenant_set_address below.
revoke update on public.tenants from authenticated;
grant update (name, logo_url, theme, updated_at) on public.tenants to authenticated;

-- An admin changes the tenant's slug (null keeps it) and, when set_custom_domain, its
-- custom domain (null removes it). The table's checks apply (DNS label, reserved names)
-- and a new domain starts unverified. Runs as its owner because authenticated may not
-- write these columns directly; it acts only on the caller's own tenant.
-- +goose StatementBegin
create function private.tenant_set_address(tenant uuid, new_slug text, set_custom_domain boolean, new_custom_domain text)
returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if tenant is distinct from private.current_tenant_id() or not private.is_tenant_admin() then
    raise exception 'only the tenant''s owners and admins may change its address'
      using errcode = 'insufficient_privilege', constraint = 'tenants_address_by_admin';
  end if;
  update public.tenants set
    slug = coalesce(new_slug, slug),
    custom_domain = case when set_custom_domain then new_custom_domain else custom_domain end,
    updated_at = now()
  where id = tenant;
end
$$;
-- +goose StatementEnd
revoke execute on function private.tenant_set_address(uuid, text, boolean, text) from public, anon;
grant execute on function private.tenant_set_address(uuid, text, boolean, text) to authenticated;

-- The caller's tenant, when it is active: a suspended tenant's data is closed to its
-- members through every policy, whichever client asks.
create or replace function private.current_tenant_id() returns uuid
language sql stable security definer
set search_path = ''
as $$
  select u.tenant_id from public.users u join public.tenants t on t.id = u.tenant_id
  where u.id = (select auth.uid()) and t.status = 'active'
$$;

-- Why a caller with a valid token may not act (null when they may): their account was
-- deleted or is banned in Supabase Auth, or their tenant is suspended. The API reads it
-- with the caller's profile on every request, so a ban takes effect at once.
-- +goose StatementBegin
create function private.caller_refusal() returns text
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
revoke execute on function private.caller_refusal() from public, anon;
grant execute on function private.caller_refusal() to authenticated, service_role;

-- +goose Down
drop function private.caller_refusal();
create or replace function private.current_tenant_id() returns uuid
language sql stable security definer
set search_path = ''
as $$
  select tenant_id from public.users where id = (select auth.uid())
$$;
drop function private.tenant_set_address(uuid, text, boolean, text);
revoke update on public.tenants from authenticated;
grant update (name, slug, custom_domain, logo_url, theme, updated_at) on public.tenants to authenticated;
drop trigger tenants_custom_domain_verification on public.tenants;
drop function private.reset_custom_domain_verification();
drop index public.tenants_custom_domain_verified_key;
alter table public.tenants
  drop constraint tenants_custom_domain_pending,
  drop column custom_domain_verified_at,
  drop column custom_domain_token;
alter table public.tenants add constraint tenants_custom_domain_key unique (custom_domain);
alter table public.tenants drop constraint tenants_slug_not_reserved;
drop function private.slug_is_reserved(text);
