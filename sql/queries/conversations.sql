-- name: ConversationCreate :one
insert into conversations (tenant_id, contact_id, channel, status, assigned_user_id, ai_enabled)
values (@tenant_id::uuid, sqlc.narg(contact_id)::uuid, @channel::channel, @status::conversation_status,
  sqlc.narg(assigned_user_id)::uuid, @ai_enabled::boolean)
returning *;

-- name: ConversationGet :one
select * from conversations where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ConversationInbox :many
-- The inbox: most recent activity first, optionally one status or one assignee.
select * from conversations
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(status)::conversation_status is null or status = sqlc.narg(status)::conversation_status)
  and (sqlc.narg(assigned_user_id)::uuid is null or assigned_user_id = sqlc.narg(assigned_user_id)::uuid)
  and (sqlc.narg(before_last_message_at)::timestamptz is null
    or (last_message_at, id) < (sqlc.narg(before_last_message_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by last_message_at desc, id desc
limit @row_limit::integer;

-- name: ConversationUpdate :one
update conversations set
  status = coalesce(sqlc.narg(status)::conversation_status, status),
  assigned_user_id = case when @set_assigned_user_id::boolean then sqlc.narg(assigned_user_id)::uuid else assigned_user_id end,
  ai_enabled = coalesce(sqlc.narg(ai_enabled)::boolean, ai_enabled),
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: ConversationMarkRead :one
update conversations set unread_count = 0, updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: ConversationDelete :execrows
delete from conversations where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ConversationOpenForContact :one
-- The inbound webhook's conversation: the contact's conversation on the channel that is
-- not closed, or a new one. A new one starts at last_message_at, the time of the message
-- that opens it (now() when null): MessageInsertInbound only moves last_message_at
-- forward, so opening at now() would date the conversation by when the webhook ran, not
-- when the contact wrote. The no-op update makes ON CONFLICT return (and lock) the
-- existing row, so concurrent deliveries agree on one conversation.
insert into conversations (tenant_id, contact_id, channel, last_message_at)
values (@tenant_id::uuid, @contact_id::uuid, @channel::channel, coalesce(sqlc.narg(last_message_at)::timestamptz, now()))
on conflict (tenant_id, contact_id, channel) where status <> 'closed'
do update set status = conversations.status
returning *;
