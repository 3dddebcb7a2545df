-- The sales pipeline: one card per lead, ordered by position within its stage.

-- +goose Up
create type public.lead_stage as enum ('new', 'contacted', 'qualified', 'proposal', 'won', 'lost');

create table public.leads_pipeline (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  contact_id uuid,
  stage public.lead_stage not null default 'new',
  value numeric(12, 2) check (value >= 0),
  owner_user_id uuid,
  position integer not null default 0 check (position >= 0),
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, owner_user_id) references public.users (tenant_id, id) on delete set null (owner_user_id)
);
create index leads_pipeline_tenant_id_stage_position_id_idx on public.leads_pipeline (tenant_id, stage, position, id);
create index leads_pipeline_tenant_id_created_at_id_idx on public.leads_pipeline (tenant_id, created_at, id);
create index leads_pipeline_tenant_id_contact_id_idx on public.leads_pipeline (tenant_id, contact_id);
create index leads_pipeline_tenant_id_owner_user_id_idx on public.leads_pipeline (tenant_id, owner_user_id);

alter table public.leads_pipeline enable row level security;
revoke all on public.leads_pipeline from anon, authenticated;
grant select, insert, update, delete on public.leads_pipeline to authenticated, service_role;
create policy leads_pipeline_tenant_members on public.leads_pipeline for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.leads_pipeline;
drop type public.lead_stage;
