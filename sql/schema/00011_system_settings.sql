-- Per-tenant settings: key -> JSON value.

-- +goose Up
create table public.system_settings (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  key text not null check (key ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  value jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, key)
);

alter table public.system_settings enable row level security;
revoke all on public.system_settings from anon, authenticated;
grant select, insert, update, delete on public.system_settings to authenticated, service_role;
create policy system_settings_select_members on public.system_settings for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy system_settings_write_by_admin on public.system_settings for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- +goose Down
drop table public.system_settings;
