-- name: MessageGet :one
select * from messages where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: MessageListByConversation :many
-- Newest first, by (created_at, id); the client reverses a page for display.
select * from messages
where tenant_id = @tenant_id::uuid and conversation_id = @conversation_id::uuid
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: MessageCreateOutbound :one
-- An agent's (or the assistant's) reply, queued for the provider (the status column's
-- default), and the conversation bumped and marked read in the same statement. No row: the conversation does not exist.
-- Both writes are CTEs of a SELECT, which Citus runs one after the other on the tenant's
-- shard (an INSERT ... SELECT from a writing CTE it cannot plan).
with conversation as (
  update conversations set last_message_at = greatest(last_message_at, now()), unread_count = 0, updated_at = now()
  where tenant_id = @tenant_id::uuid and id = @conversation_id::uuid
  returning tenant_id, id, channel
), message as (
  insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, media)
  select conversation.tenant_id, conversation.id, conversation.channel, 'outbound', @sender_type::sender_type,
    sqlc.narg(sender_user_id)::uuid, sqlc.narg(content)::text, sqlc.narg(media)::jsonb
  from conversation
  returning *
)
select * from message;

-- name: MessageAdvanceStatus :one
-- A provider's status report, with its reason when the message failed. The status only moves forward (see
-- private.message_status_advances): a late or repeated report changes nothing and
-- returns no row.
update messages set status = @status::message_status, status_reason = coalesce(sqlc.narg(status_reason)::text, status_reason)
where tenant_id = @tenant_id::uuid and channel = @channel::channel and external_id = @external_id::text
  and private.message_status_advances(status, @status::message_status)
returning *;

-- name: MessageGetByExternalID :one
select * from messages
where tenant_id = @tenant_id::uuid and channel = @channel::channel and external_id = @external_id::text;

-- name: MessageSetExternalID :one
-- Records the provider's id of an outbound message once the provider accepted it, so
-- that its status reports (MessageAdvanceStatus) find it. Only a message without one
-- gets it: a repeated call returns no row instead of re-pointing the message. An id
-- already used on the channel is a conflict (messages_tenant_id_channel_external_id_key).
-- Runs as service_role: authenticated may not update messages.
update messages set external_id = @external_id::text
where tenant_id = @tenant_id::uuid and id = @id::uuid and external_id is null
returning *;

-- name: MessageSendPrepare :one
-- What sending an outbound message needs, read as service_role: the message, the phone of
-- its conversation's contact, the tenant's account on the channel (null when not
-- connected) and the status of the campaign that sent it (null when none, or deleted).
select m.id, m.channel, m.status, m.external_id, m.content, m.media, m.campaign_id,
  ct.phone as contact_phone, a.phone_number_id, a.access_token, cp.status as campaign_status
from messages m
join conversations cv on cv.tenant_id = m.tenant_id and cv.id = m.conversation_id
left join contacts ct on ct.tenant_id = cv.tenant_id and ct.id = cv.contact_id
left join channel_accounts a on a.tenant_id = m.tenant_id and a.channel = m.channel
left join campaigns cp on cp.tenant_id = m.tenant_id and cp.id = m.campaign_id
where m.tenant_id = @tenant_id::uuid and m.id = @id::uuid and m.direction = 'outbound';

-- name: MessageMarkSent :one
-- The provider accepted the message: sent, under the provider's id. Only a queued message
-- without an id moves, so a repeated job changes nothing (no row).
update messages set status = 'sent', external_id = @external_id::text
where tenant_id = @tenant_id::uuid and id = @id::uuid and status = 'queued' and external_id is null
returning *;

-- name: MessageMarkFailed :one
-- The provider refused the message for good, or every attempt failed: failed, with why.
update messages set status = 'failed', status_reason = @status_reason::text
where tenant_id = @tenant_id::uuid and id = @id::uuid and status = 'queued'
returning *;

-- name: MessageDiscardUnsent :execrows
-- A campaign's message not sent when the campaign was cancelled or deleted: it goes.
delete from messages
where tenant_id = @tenant_id::uuid and id = @id::uuid and status = 'queued' and external_id is null;

-- name: MessageStoreInbound :one
-- A provider's inbound delivery, stored in one call (see private.store_inbound). Runs as
-- service_role.
select s.message::uuid as message_id, s.conversation::uuid as conversation_id, s.contact::uuid as contact_id,
  s.duplicate::boolean as duplicate, s.suspended::boolean as suspended
from private.store_inbound(@tenant_id::uuid, @channel::channel, @sender::text, sqlc.narg(sender_name)::text,
  sqlc.narg(content)::text, sqlc.narg(media)::jsonb, @external_id::text, @sent_at::timestamptz) s;
