-- Live events leave the writers' commits. A transaction that runs NOTIFY takes a lock
-- shared by the whole cluster at commit and keeps it until its commit is flushed, so
-- that notifications queue in commit order: every write that announced an event (a
-- message, a conversation, a lead move) committed one at a time, and an inbound webhook
-- spent half its time waiting for that lock (make bench; pgbench on store_inbound with
-- and without its triggers: 440 and 865 TPS).
--
-- Now the triggers queue their events in private.event_queue, an unlogged table that
-- writers insert into side by side, and the server processes publish them: every 10 ms
-- one of them (an advisory lock chooses) moves what has committed to NOTIFY in one
-- transaction, numbering the events as it goes. Events still reach every process in one
-- order, numbered in that order, so resuming (Last-Event-ID) works as before. Unlogged:
-- events are news, not data; after a crash the streams are told to refetch. With no
-- server process running, events wait in the queue (the importer writes none).

-- +goose Up
create unlogged table private.event_queue (
  seq bigint generated always as identity primary key,
  tenant_id uuid not null,
  type text not null,
  data jsonb not null
);
revoke all on private.event_queue from public;

-- +goose StatementBegin
create or replace function private.notify_event(tenant uuid, event_type text, data jsonb) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if current_setting('atende.events', true) = 'off' then
    return;
  end if;
  insert into private.event_queue (tenant_id, type, data) values (tenant, event_type, data);
end
$$;

-- Publishes up to batch queued events on atende_events, oldest first, numbered from
-- private.event_id_seq; returns how many. One publisher at a time: the others return 0.
-- An event too big for NOTIFY (8,000 bytes; the triggers send previews, so none should
-- be) is dropped rather than left to block the queue.
create function private.publish_events(batch integer) returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  published integer;
begin
  if not pg_try_advisory_xact_lock(hashtextextended('atende.publish_events', 0)) then
    return 0;
  end if;
  with taken as (
    delete from private.event_queue
    where seq in (select q.seq from private.event_queue q order by q.seq limit batch)
    returning seq, tenant_id, type, data
  ), numbered as (
    select nextval('private.event_id_seq') as id, t.tenant_id, t.type, t.data
    from (select * from taken order by seq) t
  ), payloads as (
    select n.id, jsonb_build_object('id', n.id, 'tenant_id', n.tenant_id, 'type', n.type, 'data', n.data)::text as payload
    from numbered n
  )
  select count(pg_notify('atende_events', p.payload)) into published
  from (select * from payloads where octet_length(payload) < 8000 order by id) p;
  return published;
end
$$;
-- +goose StatementEnd
revoke execute on function private.publish_events(integer) from public, anon, authenticated;
grant execute on function private.publish_events(integer) to service_role;

-- +goose Down
drop function private.publish_events(integer);

-- +goose StatementBegin
create or replace function private.notify_event(tenant uuid, event_type text, data jsonb) returns void
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

drop table private.event_queue;
