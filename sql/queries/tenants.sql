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
-- Not tenant-scoped: finds which tenant a request's host names (its own domain).
select * from tenants where custom_domain = @host::text;

-- name: TenantUpdate :one
-- Branding: absent fields keep their value; custom_domain and logo_url are cleared only
-- when their set_ flag is true.
update tenants set
  name = coalesce(sqlc.narg(name)::text, name),
  slug = coalesce(sqlc.narg(slug)::text, slug),
  custom_domain = case when @set_custom_domain::boolean then sqlc.narg(custom_domain)::text else custom_domain end,
  logo_url = case when @set_logo_url::boolean then sqlc.narg(logo_url)::text else logo_url end,
  theme = coalesce(sqlc.narg(theme)::jsonb, theme),
  updated_at = now()
where id = @tenant_id::uuid
returning *;

-- name: TenantSecretCreate :one
insert into tenant_secrets (tenant_id) values (@tenant_id::uuid)
returning *;

-- name: TenantSecretGet :one
select * from tenant_secrets where tenant_id = @tenant_id::uuid;
