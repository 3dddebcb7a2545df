-- The AI assistant's configuration: one row per tenant, so the tenant is the key.

-- +goose Up
create table public.ai_config (
  tenant_id uuid not null primary key references public.tenants (id) on delete cascade,
  enabled boolean not null default true,
  model text not null default 'default' check (length(model) between 1 and 100),
  system_prompt text not null default '',
  temperature real not null default 0.3 check (temperature between 0 and 2),
  -- e.g. {"mon": [["08:00", "18:00"]], ...}; {} means always.
  business_hours jsonb not null default '{}' check (jsonb_typeof(business_hours) = 'object'),
  -- When the assistant hands the conversation to a person, e.g. {"keywords": ["atendente"]}.
  handoff_rules jsonb not null default '{}' check (jsonb_typeof(handoff_rules) = 'object'),
  updated_at timestamptz not null default now()
);

alter table public.ai_config enable row level security;
revoke all on public.ai_config from anon, authenticated;
grant select, insert, update, delete on public.ai_config to authenticated, service_role;
create policy ai_config_select_members on public.ai_config for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy ai_config_write_by_admin on public.ai_config for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- +goose Down
drop table public.ai_config;
