-- A provider's inbound delivery is stored by one function call, so that the webhook costs
-- one round trip (BEGIN, the role switch, this call and COMMIT sent together) instead of
-- one per step. The steps and their rules are those of the queries it replaces: the
-- contact found by phone (WhatsApp) or by its address on the channel, created when new;
-- its open conversation on the channel found or opened; the message stored once per
-- external_id; the conversation's last_message_at and unread_count bumped.
--
-- Webhook secrets are cached by the API (it checks a delivery's signature before any
-- database work): a secret's rotation is announced on atende_tenants like an address
-- change, so that every process drops what it cached.

-- +goose Up
-- +goose StatementBegin
create function private.store_inbound(
  tenant uuid, channel public.channel, sender text, sender_name text,
  content text, media jsonb, external_id text, sent_at timestamptz,
  out message uuid, out conversation uuid, out contact uuid, out duplicate boolean, out suspended boolean)
language plpgsql security definer
set search_path = ''
as $$
#variable_conflict use_column
-- (a name that is both a column and a parameter, as in ON CONFLICT (channel), is the
-- column; parameters are qualified where a column of the same name is in scope)
declare
  new_contact uuid;
begin
  duplicate := false;
  suspended := not exists (select from public.tenants t where t.id = tenant and t.status = 'active');
  if suspended then
    return;
  end if;

  -- A repeated delivery (providers retry until they get a 2xx) changes nothing.
  select m.id, m.conversation_id, c.contact_id into message, conversation, contact
  from public.messages m join public.conversations c on c.tenant_id = m.tenant_id and c.id = m.conversation_id
  where m.tenant_id = tenant and m.channel = store_inbound.channel and m.external_id = store_inbound.external_id;
  if found then
    duplicate := true;
    return;
  end if;

  if channel = 'whatsapp' then
    -- A known contact keeps its name unless it had none.
    insert into public.contacts as k (tenant_id, name, phone) values (tenant, sender_name, sender)
    on conflict (tenant_id, phone) do update set name = coalesce(k.name, excluded.name)
    returning k.id into contact;
  else
    -- One contact per address and channel: a concurrent delivery from the same new address
    -- waits for this one and gets its contact. The address's key to the contact is
    -- deferred, so the contact is created after winning the address.
    new_contact := private.uuid_v7();
    insert into public.contact_addresses as a (tenant_id, channel, address, contact_id)
    values (tenant, channel, sender, new_contact)
    on conflict (tenant_id, channel, address) do update set address = excluded.address
    returning a.contact_id into contact;
    if contact = new_contact then
      insert into public.contacts (tenant_id, id, name, email)
      values (tenant, new_contact, sender_name, case when channel = 'email' then sender end);
    end if;
  end if;

  -- The contact's conversation on the channel that is not closed, or a new one dated by
  -- the message that opens it. The no-op update returns (and locks) an existing one, so
  -- concurrent deliveries agree on it.
  insert into public.conversations as c (tenant_id, contact_id, channel, last_message_at)
  values (tenant, contact, channel, sent_at)
  on conflict (tenant_id, contact_id, channel) where status <> 'closed' do update set status = c.status
  returning c.id into conversation;

  insert into public.messages as m (tenant_id, conversation_id, channel, direction, sender_type, content, media, status, external_id, created_at)
  values (tenant, conversation, channel, 'inbound', 'contact', content, media, 'delivered', external_id, sent_at)
  on conflict (tenant_id, channel, external_id) do nothing
  returning m.id into message;
  if message is null then
    -- The same delivery, concurrently, committed first: roll back what this one did and
    -- let the caller retry, which then finds the message stored.
    raise exception 'message % on % was stored by a concurrent delivery', external_id, channel
      using errcode = 'serialization_failure';
  end if;

  update public.conversations c
  set last_message_at = greatest(c.last_message_at, sent_at), unread_count = c.unread_count + 1, updated_at = now()
  where c.tenant_id = tenant and c.id = conversation;
end
$$;
-- +goose StatementEnd
revoke execute on function private.store_inbound(uuid, public.channel, text, text, text, jsonb, text, timestamptz)
  from public, anon, authenticated;
grant execute on function private.store_inbound(uuid, public.channel, text, text, text, jsonb, text, timestamptz)
  to service_role;

-- +goose StatementBegin
create function private.announce_tenant_secret() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform pg_notify('atende_tenants', new.tenant_id::text);
  return null;
end
$$;
-- +goose StatementEnd
revoke execute on function private.announce_tenant_secret() from public, anon, authenticated;

create trigger tenant_secrets_announce
  after update on public.tenant_secrets
  for each row execute function private.announce_tenant_secret();

-- +goose Down
drop trigger tenant_secrets_announce on public.tenant_secrets;
drop function private.announce_tenant_secret();
drop function private.store_inbound(uuid, public.channel, text, text, text, jsonb, text, timestamptz);
