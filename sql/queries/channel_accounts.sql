-- name: ChannelAccountPut :one
-- Connects the tenant's WhatsApp number, or replaces its number or token. The token is
-- written, never returned: members have no select grant on it, which is also why this is
-- an update, else an insert, rather than an ON CONFLICT that would read excluded's token.
with updated as (
  update channel_accounts set phone_number_id = @phone_number_id::text, display_phone_number = sqlc.narg(display_phone_number)::text,
    access_token = @access_token::text, updated_at = now()
  where tenant_id = @tenant_id::uuid and channel = 'whatsapp'
  returning tenant_id, channel, phone_number_id, display_phone_number, created_at, updated_at
), inserted as (
  insert into channel_accounts (tenant_id, channel, phone_number_id, display_phone_number, access_token)
  select @tenant_id::uuid, 'whatsapp', @phone_number_id::text, sqlc.narg(display_phone_number)::text, @access_token::text
  where not exists (select from updated)
  returning tenant_id, channel, phone_number_id, display_phone_number, created_at, updated_at
)
select * from updated
union all
select * from inserted;

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
