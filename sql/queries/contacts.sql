-- name: ContactCreate :one
insert into contacts (tenant_id, name, phone, email, tags, custom_fields)
values (@tenant_id::uuid, sqlc.narg(name)::text, sqlc.narg(phone)::text, sqlc.narg(email)::text, @tags::text[], @custom_fields::jsonb)
returning *;

-- name: ContactGet :one
select * from contacts where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ContactList :many
-- Newest first. q matches a substring of name, phone or email (trigram index); tag
-- filters by one tag. LIKE wildcards in q are escaped, so q is matched literally.
select * from contacts
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(q)::text is null
    or search_text like '%' || replace(replace(replace(lower(sqlc.narg(q)::text), '\', '\\'), '%', '\%'), '_', '\_') || '%')
  and (sqlc.narg(tag)::text is null or tags @> array[sqlc.narg(tag)::text])
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: ContactUpdate :one
-- Absent fields keep their value; nullable ones are cleared only when their set_ flag is true.
update contacts set
  name = case when @set_name::boolean then sqlc.narg(name)::text else name end,
  phone = case when @set_phone::boolean then sqlc.narg(phone)::text else phone end,
  email = case when @set_email::boolean then sqlc.narg(email)::text else email end,
  tags = coalesce(sqlc.narg(tags)::text[], tags),
  custom_fields = coalesce(sqlc.narg(custom_fields)::jsonb, custom_fields),
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: ContactDelete :execrows
delete from contacts where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ContactUpsertByPhone :one
-- The inbound webhook's contact: found by phone or created, in one statement that is
-- safe under concurrent deliveries. A known contact keeps its name unless it had none.
insert into contacts (tenant_id, name, phone)
values (@tenant_id::uuid, sqlc.narg(name)::text, @phone::text)
on conflict (tenant_id, phone) do update set name = coalesce(contacts.name, excluded.name)
returning *;
