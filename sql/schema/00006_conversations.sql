-- The inbox: one conversation per contact and channel while it is open.

-- +goose Up
create type public.channel as enum ('whatsapp', 'instagram', 'webchat', 'email');
create type public.conversation_status as enum ('open', 'pending', 'closed');

create table public.conversations (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  -- Null when the contact is unknown (imported V1.5 rows whose contact was deleted).
  contact_id uuid,
  channel public.channel not null default 'whatsapp',
  status public.conversation_status not null default 'open',
  assigned_user_id uuid,
  ai_enabled boolean not null default true,
  -- The inbox order; the opening time until the first message arrives.
  last_message_at timestamptz not null default now(),
  unread_count integer not null default 0 check (unread_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  -- Lets messages carry the channel (their external_id is unique per channel) and the
  -- database keep it equal to the conversation's.
  constraint conversations_tenant_id_id_channel_key unique (tenant_id, id, channel),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, assigned_user_id) references public.users (tenant_id, id) on delete set null (assigned_user_id)
);
-- At most one conversation not closed per contact and channel: the inbound webhook's
-- find-or-open is an ON CONFLICT on this index, safe under concurrent deliveries.
create unique index conversations_tenant_id_contact_id_channel_active_key
  on public.conversations (tenant_id, contact_id, channel) where status <> 'closed';
create index conversations_tenant_id_last_message_at_id_idx on public.conversations (tenant_id, last_message_at desc, id desc);
create index conversations_tenant_id_assigned_user_id_idx on public.conversations (tenant_id, assigned_user_id, last_message_at desc, id desc);
create index conversations_tenant_id_status_idx on public.conversations (tenant_id, status, last_message_at desc, id desc);

alter table public.conversations enable row level security;
revoke all on public.conversations from anon, authenticated;
grant select, insert, update, delete on public.conversations to authenticated, service_role;
create policy conversations_tenant_members on public.conversations for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.conversations;
drop type public.conversation_status;
drop type public.channel;
