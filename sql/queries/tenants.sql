-- name: TenantCreate :one
insert into tenants (id, name, slug, custom_domain, logo_url, theme)
values (@tenant_id::uuid, @name::text, @slug::text, sqlc.narg(custom_domain)::text, sqlc.narg(logo_url)::text, @theme::jsonb)
returning *;

-- name: TenantGetByID :one
select * from tenants where id = @tenant_id::uuid;

-- name: TenantGetBySlug :one
-- Not tenant-scoped: finds which tenant a request's host names (<slug>.<base domain>).
select * from tenants where slug = @slug::text;

-- name: TenantGetByCustomDomain :one
-- Not tenant-scoped: finds which tenant a request's host names (its own domain). A
-- domain names a tenant only once verified.
select * from tenants where custom_domain = @host::text and custom_domain_verified_at is not null;

-- name: TenantUpdate :one
-- Name and branding: absent fields keep their value; logo_url is cleared only when
-- set_logo_url is true. The address is TenantSetAddress's.
update tenants set
  name = coalesce(sqlc.narg(name)::text, name),
  logo_url = case when @set_logo_url::boolean then sqlc.narg(logo_url)::text else logo_url end,
  theme = coalesce(sqlc.narg(theme)::jsonb, theme),
  updated_at = now()
where id = @tenant_id::uuid
returning *;

-- name: TenantSetAddress :exec
-- An admin's change of the tenant's slug (null keeps it) and, when set_custom_domain, its
-- custom domain (null removes it; a new one starts unverified): through a private
-- function, because members may not write these columns directly.
select private.tenant_set_address(@tenant_id::uuid, sqlc.narg(slug)::text, @set_custom_domain::boolean, sqlc.narg(custom_domain)::text);

-- name: TenantVerifyCustomDomain :one
-- Marks the tenant's custom domain verified, once its TXT record was found: only the
-- domain and token that were checked, so a change made meanwhile is not verified by an
-- old record. Runs as service_role: members may not write custom_domain_verified_at. A
-- domain another tenant verified first is a conflict (tenants_custom_domain_verified_key).
-- least() keeps an earlier verification as coalesce would; Citus takes no now() in coalesce.
update tenants set custom_domain_verified_at = least(custom_domain_verified_at, now())
where id = @tenant_id::uuid and custom_domain = @custom_domain::text and custom_domain_token = @token::text
returning *;

-- name: TenantSecretCreate :one
insert into tenant_secrets (tenant_id) values (@tenant_id::uuid)
returning *;

-- name: TenantSecretGet :one
-- A webhook's secrets — the current one, and the previous one, which verifies until
-- previous_valid_until — with the tenant's status: a suspended tenant takes no
-- deliveries.
select s.webhook_secret, s.previous_webhook_secret, s.previous_valid_until, t.status as tenant_status
from tenant_secrets s join tenants t on t.id = s.tenant_id
where s.tenant_id = @tenant_id::uuid;

-- name: TenantSecretShow :one
-- The tenant's webhook secret as its admins see it (RLS: admins only).
select webhook_secret, updated_at, previous_valid_until
from tenant_secrets where tenant_id = @tenant_id::uuid;

-- name: TenantSecretRotate :exec
-- A new webhook secret; the current one keeps verifying for 24 hours (see
-- private.rotate_webhook_secret, which checks that the caller is an admin).
select private.rotate_webhook_secret(@tenant_id::uuid);

-- name: TenantSlugAvailability :one
-- Not tenant-scoped: whether a slug is free for a new tenant, before setup asks for it —
-- reserved for the platform, or some tenant's already. Runs as service_role.
select private.slug_is_reserved(@slug::text)::boolean as reserved,
  exists (select from tenants where slug = @slug::text)::boolean as taken;
