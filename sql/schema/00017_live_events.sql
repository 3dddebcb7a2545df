-- Live events: what a tenant's inbox and pipeline need to stay current without polling.
-- Triggers on the tables announce each change with NOTIFY on the channel atende_events,
-- whoever wrote it (the API, a webhook, a worker, a Supabase client), so every server
-- process, listening on one connection, fans the events out to its streams (GET
-- /api/v1/events). NOTIFY is delivered in commit order, and only for committed
-- transactions. A payload carries the tenant, a global event number (resumption:
-- Last-Event-ID), the type and the fields a client needs to update without a refetch.
-- Bulk writers that no stream should follow (the V1.5 importer) set atende.events = off.
--
-- Tenants' address changes are announced on atende_tenants, so that every process drops
-- its cached host → tenant answers at once.

-- +goose Up
create sequence private.event_id_seq;
revoke all on sequence private.event_id_seq from public;

-- Sends one event of the tenant on atende_events, unless the transaction opted out. The
-- announcing triggers below run as the schema's owner (SECURITY DEFINER) so that no
-- client role needs the sequence or this function.
-- +goose StatementBegin
create function private.notify_event(tenant uuid, event_type text, data jsonb) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if current_setting('atende.events', true) = 'off' then
    return;
  end if;
  perform pg_notify('atende_events', jsonb_build_object(
    'id', nextval('private.event_id_seq'), 'tenant_id', tenant, 'type', event_type, 'data', data)::text);
end
$$;
-- +goose StatementEnd
revoke execute on function private.notify_event(uuid, text, jsonb) from public, anon, authenticated;

-- message.created (with a preview of the text) and message.updated (its status).
-- +goose StatementBegin
create function private.announce_message() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.notify_event(new.tenant_id, 'message.created', jsonb_build_object(
      'id', new.id, 'conversation_id', new.conversation_id, 'channel', new.channel,
      'direction', new.direction, 'sender_type', new.sender_type, 'sender_user_id', new.sender_user_id,
      'status', new.status, 'preview', left(new.content, 140), 'has_media', new.media is not null,
      'created_at', new.created_at));
  elsif new.status is distinct from old.status then
    perform private.notify_event(new.tenant_id, 'message.updated', jsonb_build_object(
      'id', new.id, 'conversation_id', new.conversation_id, 'status', new.status));
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announce_message() from public, anon, authenticated;

create trigger messages_announce
  after insert or update of status on public.messages
  for each row execute function private.announce_message();

-- conversation.created (with the contact's name and phone, to draw the new inbox row)
-- and conversation.updated (status, assignee, unread count, last message time).
-- +goose StatementBegin
create function private.announce_conversation() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  data jsonb := jsonb_build_object(
    'id', new.id, 'contact_id', new.contact_id, 'channel', new.channel, 'status', new.status,
    'assigned_user_id', new.assigned_user_id, 'ai_enabled', new.ai_enabled,
    'unread_count', new.unread_count, 'last_message_at', new.last_message_at, 'updated_at', new.updated_at);
begin
  if tg_op = 'INSERT' then
    perform private.notify_event(new.tenant_id, 'conversation.created', data || coalesce(
      (select jsonb_build_object('contact_name', c.name, 'contact_phone', c.phone)
       from public.contacts c where c.tenant_id = new.tenant_id and c.id = new.contact_id), '{}'));
  elsif (new.status, new.assigned_user_id, new.ai_enabled, new.unread_count, new.last_message_at)
        is distinct from (old.status, old.assigned_user_id, old.ai_enabled, old.unread_count, old.last_message_at) then
    perform private.notify_event(new.tenant_id, 'conversation.updated', data);
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announce_conversation() from public, anon, authenticated;

create trigger conversations_announce
  after insert or update on public.conversations
  for each row execute function private.announce_conversation();

-- lead.moved: a lead's stage or place in it changed.
-- +goose StatementBegin
create function private.announce_lead_move() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if (new.stage, new.position) is distinct from (old.stage, old.position) then
    perform private.notify_event(new.tenant_id, 'lead.moved', jsonb_build_object(
      'id', new.id, 'contact_id', new.contact_id, 'stage', new.stage, 'position', new.position,
      'from_stage', old.stage, 'updated_at', new.updated_at));
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announce_lead_move() from public, anon, authenticated;

create trigger leads_pipeline_announce
  after update of stage, position on public.leads_pipeline
  for each row execute function private.announce_lead_move();

-- A tenant's hosts changed: every process forgets what it cached for it.
-- +goose StatementBegin
create function private.announce_tenant_address() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if (new.slug, new.custom_domain, new.custom_domain_verified_at, new.status)
     is distinct from (old.slug, old.custom_domain, old.custom_domain_verified_at, old.status) then
    perform pg_notify('atende_tenants', new.id::text);
  end if;
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announce_tenant_address() from public, anon, authenticated;

create trigger tenants_announce_address
  after update on public.tenants
  for each row execute function private.announce_tenant_address();

-- Stream tickets: a browser's EventSource cannot send an Authorization header, so a
-- signed-in client trades its token for a ticket (POST /api/v1/events/ticket) and opens
-- the stream with ?ticket=. A ticket is good once, for a minute, on any server process.
-- It keeps the verified claims the stream runs with. Kept in private: no client reads it.
create table private.stream_tickets (
  id uuid not null default gen_random_uuid() primary key,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null,
  claims jsonb not null,
  expires_at timestamptz not null default now() + interval '1 minute'
);
create index stream_tickets_expires_at_idx on private.stream_tickets (expires_at);
revoke all on private.stream_tickets from public, anon, authenticated;
grant select, insert, delete on private.stream_tickets to service_role;

-- Supabase Realtime, where the database has its publication: messages and conversations
-- reach supabase-js subscribers too, RLS-checked by Realtime. Partitioned messages are
-- published under their parent's name.
-- +goose StatementBegin
do $$
begin
  if exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    alter publication supabase_realtime add table public.messages, public.conversations;
    alter publication supabase_realtime set (publish_via_partition_root = true);
  end if;
end
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
do $$
begin
  if exists (select from pg_catalog.pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'messages') then
    alter publication supabase_realtime drop table public.messages, public.conversations;
  end if;
end
$$;
-- +goose StatementEnd
drop table private.stream_tickets;
drop trigger tenants_announce_address on public.tenants;
drop function private.announce_tenant_address();
drop trigger leads_pipeline_announce on public.leads_pipeline;
drop function private.announce_lead_move();
drop trigger conversations_announce on public.conversations;
drop function private.announce_conversation();
drop trigger messages_announce on public.messages;
drop function private.announce_message();
drop function private.notify_event(uuid, text, jsonb);
drop sequence private.event_id_seq;
