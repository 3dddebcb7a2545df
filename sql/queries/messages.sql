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
with conversation as (
  update conversations set last_message_at = greatest(last_message_at, now()), unread_count = 0, updated_at = now()
  where tenant_id = @tenant_id::uuid and id = @conversation_id::uuid
  returning tenant_id, id, channel
)
insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, media)
select conversation.tenant_id, conversation.id, conversation.channel, 'outbound', @sender_type::sender_type,
  sqlc.narg(sender_user_id)::uuid, sqlc.narg(content)::text, sqlc.narg(media)::jsonb
from conversation
returning *;

-- name: MessageAdvanceStatus :one
-- A provider's status report. The status only moves forward (see
-- private.message_status_advances): a late or repeated report changes nothing and
-- returns no row.
update messages set status = @status::message_status
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

-- name: MessageStoreInbound :one
-- A provider's inbound delivery, stored in one call (see private.store_inbound). Runs as
-- service_role.
select s.message::uuid as message_id, s.conversation::uuid as conversation_id, s.contact::uuid as contact_id,
  s.duplicate::boolean as duplicate, s.suspended::boolean as suspended
from private.store_inbound(@tenant_id::uuid, @channel::channel, @sender::text, sqlc.narg(sender_name)::text,
  sqlc.narg(content)::text, sqlc.narg(media)::jsonb, @external_id::text, @sent_at::timestamptz) s;
