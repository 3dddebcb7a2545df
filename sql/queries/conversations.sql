-- name: ConversationCreate :one
insert into conversations (tenant_id, contact_id, channel, status, assigned_user_id, ai_enabled)
values (@tenant_id::uuid, sqlc.narg(contact_id)::uuid, @channel::channel, @status::conversation_status,
  sqlc.narg(assigned_user_id)::uuid, @ai_enabled::boolean)
returning *;

-- name: ConversationGet :one
select * from conversations where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ConversationInbox :many
-- The inbox: most recent activity first, optionally one status, one assignee, or only
-- what changed since a time; each row with its contact and its last message (the
-- newest by (created_at, id), through the messages index: one probe per row), null
-- before the first. The last message is found by @tenant_id, not c.tenant_id: Citus
-- routes a subquery to the tenant's shard by a parameter.
select sqlc.embed(c),
  ct.name as contact_name, ct.phone as contact_phone, ct.avatar_url as contact_avatar_url,
  (select jsonb_build_object('preview', left(m.content, 140), 'direction', m.direction, 'status', m.status,
      'sender_type', m.sender_type, 'has_media', m.media is not null, 'created_at', m.created_at)
    from messages m
    where m.tenant_id = @tenant_id::uuid and m.conversation_id = c.id
    order by m.created_at desc, m.id desc
    limit 1) as last_message
from conversations c
left join contacts ct on ct.tenant_id = c.tenant_id and ct.id = c.contact_id
where c.tenant_id = @tenant_id::uuid
  and (sqlc.narg(status)::conversation_status is null or c.status = sqlc.narg(status)::conversation_status)
  and (sqlc.narg(assigned_user_id)::uuid is null or c.assigned_user_id = sqlc.narg(assigned_user_id)::uuid)
  and (sqlc.narg(updated_since)::timestamptz is null or c.updated_at >= sqlc.narg(updated_since)::timestamptz)
  and (sqlc.narg(before_last_message_at)::timestamptz is null
    or (c.last_message_at, c.id) < (sqlc.narg(before_last_message_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by c.last_message_at desc, c.id desc
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
