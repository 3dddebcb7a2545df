-- Where a contact is reached on each channel: the inbound webhook finds (or creates) the
-- contact by the address a message comes from. WhatsApp's address is the phone number
-- (contacts.phone, E.164); email, webchat and Instagram deliver an email address, a
-- session id or a handle, kept here, one contact per address and channel.

-- +goose Up
create table public.contact_addresses (
  tenant_id uuid not null,
  channel public.channel not null,
  address text not null check (length(address) between 1 and 320),
  contact_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, channel, address),
  -- Deferred: the inbound webhook claims a new address for a contact it then creates,
  -- in the same transaction (ContactAddressClaim, then ContactCreateWithID).
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade
    deferrable initially deferred
);
create index contact_addresses_tenant_id_contact_id_idx on public.contact_addresses (tenant_id, contact_id);

alter table public.contact_addresses enable row level security;
revoke all on public.contact_addresses from anon, authenticated;
grant select, insert, update, delete on public.contact_addresses to service_role;
-- Members see where their contacts are reached; the provider's webhooks write.
grant select on public.contact_addresses to authenticated;
create policy contact_addresses_select_members on public.contact_addresses for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.contact_addresses;
