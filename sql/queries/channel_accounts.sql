-- name: ChannelAccountPut :one
-- Connects the tenant's WhatsApp number, or replaces its number or token. The token is
-- written, never returned: members have no select grant on it.
insert into channel_accounts (tenant_id, channel, phone_number_id, display_phone_number, access_token)
values (@tenant_id::uuid, 'whatsapp', @phone_number_id::text, sqlc.narg(display_phone_number)::text, @access_token::text)
on conflict (tenant_id, channel) do update set
  phone_number_id = excluded.phone_number_id, display_phone_number = excluded.display_phone_number,
  access_token = excluded.access_token, updated_at = now()
returning tenant_id, channel, phone_number_id, display_phone_number, created_at, updated_at;

-- name: ChannelAccountGet :one
select tenant_id, channel, phone_number_id, display_phone_number, created_at, updated_at
from channel_accounts where tenant_id = @tenant_id::uuid and channel = 'whatsapp';

-- name: ChannelAccountDelete :execrows
delete from channel_accounts where tenant_id = @tenant_id::uuid and channel = 'whatsapp';

-- name: ChannelAccountTenant :one
-- Not tenant-scoped: Meta's webhook names only the business phone number; this finds
-- whose it is (and whether that tenant is active).
select a.tenant_id, t.status as tenant_status
from channel_accounts a join tenants t on t.id = a.tenant_id
where a.phone_number_id = @phone_number_id::text;

-- name: SendTokenTake :one
-- Takes a token for one send from the phone number's bucket (private.take_send_token):
-- 0 when taken, else the seconds to wait. Runs as service_role.
select private.take_send_token(@tenant_id::uuid, @phone_number_id::text, @rate::float8, @burst::float8, @keep::float8)::float8 as wait_seconds;
