-- Messages: the largest table, hash-partitioned by tenant so one tenant's reads and
-- writes touch one partition, and a large tenant can later move to its own shard.

-- +goose Up
create type public.message_direction as enum ('inbound', 'outbound');
create type public.sender_type as enum ('contact', 'user', 'ai', 'system');
-- Declared in delivery order; 'failed' last. See private.message_status_advances.
create type public.message_status as enum ('queued', 'sent', 'delivered', 'read', 'failed');

create table public.messages (
  tenant_id uuid not null,
  id uuid not null default private.uuid_v7(),
  conversation_id uuid not null,
  channel public.channel not null,
  direction public.message_direction not null,
  sender_type public.sender_type not null,
  sender_user_id uuid,
  content text,
  media jsonb check (jsonb_typeof(media) in ('object', 'array')),
  status public.message_status not null default 'queued',
  -- The provider's message id (WhatsApp wamid); deliveries are idempotent on it.
  external_id text check (length(external_id) between 1 and 255),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint messages_tenant_id_channel_external_id_key unique (tenant_id, channel, external_id),
  -- No key to tenants: the parent's key (which has one) already ties the tenant, and a
  -- third check per row is what the largest tables can least afford.
  foreign key (tenant_id, conversation_id, channel) references public.conversations (tenant_id, id, channel) on delete cascade on update cascade,
  foreign key (tenant_id, sender_user_id) references public.users (tenant_id, id) on delete set null (sender_user_id)
) partition by hash (tenant_id);

-- +goose StatementBegin
do $$
begin
  for remainder in 0..15 loop
    execute format('create table public.messages_p%s partition of public.messages for values with (modulus 16, remainder %s)', remainder, remainder);
    -- Partitions do not inherit the parent's RLS or grants: lock them so that they can
    -- only be reached through the parent (Supabase's default grants would expose them).
    execute format('alter table public.messages_p%s enable row level security', remainder);
    execute format('revoke all on public.messages_p%s from anon, authenticated', remainder);
  end loop;
end
$$;
-- +goose StatementEnd

create index messages_tenant_id_conversation_id_created_at_id_idx on public.messages (tenant_id, conversation_id, created_at, id);
create index messages_tenant_id_sender_user_id_idx on public.messages (tenant_id, sender_user_id) where sender_user_id is not null;

-- Whether a delivery status may replace another: forward along queued, sent, delivered,
-- read; 'failed' only before delivery; nothing leaves 'read' or 'failed'.
create function private.message_status_advances(current_status public.message_status, next_status public.message_status)
returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select case
    when next_status = 'failed' then current_status in ('queued', 'sent')
    else current_status < next_status and current_status <> 'failed'
  end
$$;
revoke execute on function private.message_status_advances(public.message_status, public.message_status) from public, anon;
grant execute on function private.message_status_advances(public.message_status, public.message_status) to authenticated, service_role;

-- The rule holds for every writer, not only the backend's status query.
-- +goose StatementBegin
create function private.forbid_message_status_regression() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status <> old.status and not private.message_status_advances(old.status, new.status) then
    raise exception 'message status cannot move from % to %', old.status, new.status
      using errcode = 'check_violation', constraint = 'messages_status_monotonic';
  end if;
  return new;
end
$$;
-- +goose StatementEnd
revoke execute on function private.forbid_message_status_regression() from public, anon, authenticated;

create trigger messages_status_monotonic
  before update of status on public.messages
  for each row execute function private.forbid_message_status_regression();

alter table public.messages enable row level security;
revoke all on public.messages from anon, authenticated;
grant select, insert, update, delete on public.messages to service_role;
-- Messages are a record: agents read and send; status changes come from the provider.
grant select, insert on public.messages to authenticated;
create policy messages_tenant_members on public.messages for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.messages;
drop function private.forbid_message_status_regression();
drop function private.message_status_advances(public.message_status, public.message_status);
drop type public.message_status;
drop type public.sender_type;
drop type public.message_direction;
