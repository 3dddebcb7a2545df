-- Campaigns and their per-contact delivery events.

-- +goose Up
create type public.campaign_status as enum ('draft', 'scheduled', 'running', 'completed', 'cancelled');
create type public.campaign_event_type as enum ('queued', 'sent', 'delivered', 'read', 'replied', 'failed');

create table public.campaigns (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  name text not null check (length(name) between 1 and 200),
  channel public.channel not null default 'whatsapp',
  status public.campaign_status not null default 'draft',
  message_template text,
  -- Which contacts the campaign reaches, e.g. {"tags": ["vip"]}; {} is everyone.
  audience_filter jsonb not null default '{}' check (jsonb_typeof(audience_filter) = 'object'),
  scheduled_at timestamptz,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index campaigns_tenant_id_created_at_id_idx on public.campaigns (tenant_id, created_at, id);

-- tenant_id sits on every event directly (the seed's "ligação direta"): the table is
-- partitioned and filtered by it without a join through campaigns.
create table public.campaign_events (
  tenant_id uuid not null,
  id uuid not null default private.uuid_v7(),
  campaign_id uuid not null,
  contact_id uuid not null,
  event_type public.campaign_event_type not null,
  occurred_at timestamptz not null default now(),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  primary key (tenant_id, id),
  -- Each kind of event happens once per contact and campaign: a repeated launch or a
  -- repeated provider callback is an ON CONFLICT DO NOTHING.
  constraint campaign_events_tenant_id_campaign_id_contact_id_event_type_key unique (tenant_id, campaign_id, contact_id, event_type),
  -- No key to tenants: the parent's key (which has one) already ties the tenant, and a
  -- third check per row is what the largest tables can least afford.
  foreign key (tenant_id, campaign_id) references public.campaigns (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade
) partition by hash (tenant_id);

-- +goose StatementBegin
do $$
begin
  for remainder in 0..15 loop
    execute format('create table public.campaign_events_p%s partition of public.campaign_events for values with (modulus 16, remainder %s)', remainder, remainder);
    -- As for messages: partitions are reachable only through the parent.
    execute format('alter table public.campaign_events_p%s enable row level security', remainder);
    execute format('revoke all on public.campaign_events_p%s from anon, authenticated', remainder);
  end loop;
end
$$;
-- +goose StatementEnd

create index campaign_events_tenant_id_campaign_id_occurred_at_id_idx on public.campaign_events (tenant_id, campaign_id, occurred_at, id);
create index campaign_events_tenant_id_contact_id_idx on public.campaign_events (tenant_id, contact_id);

alter table public.campaigns enable row level security;
revoke all on public.campaigns from anon, authenticated;
grant select, insert, update, delete on public.campaigns to authenticated, service_role;
create policy campaigns_select_members on public.campaigns for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy campaigns_write_by_admin on public.campaigns for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

alter table public.campaign_events enable row level security;
revoke all on public.campaign_events from anon, authenticated;
grant select, insert, update, delete on public.campaign_events to service_role;
-- Launching (an admin) inserts events; delivery updates come from the provider.
grant select, insert on public.campaign_events to authenticated;
create policy campaign_events_select_members on public.campaign_events for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy campaign_events_insert_by_admin on public.campaign_events for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- +goose Down
drop table public.campaign_events;
drop table public.campaigns;
drop type public.campaign_event_type;
drop type public.campaign_status;
