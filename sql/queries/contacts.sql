-- name: ContactCreate :one
insert into contacts (tenant_id, name, phone, email, avatar_url, tags, custom_fields)
values (@tenant_id::uuid, sqlc.narg(name)::text, sqlc.narg(phone)::text, sqlc.narg(email)::text, sqlc.narg(avatar_url)::text,
  @tags::text[], @custom_fields::jsonb)
returning *;

-- name: ContactGet :one
select * from contacts where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: ContactList :many
-- Newest first; tag filters by one tag. q finds a contact in two ways, both LIKE
-- patterns on search_text under its trigram index (00016_search.sql):
-- - its name or email contains q, accents and case ignored ("jose" and "JOSÉ" find
--   "José Álvares", "Álv" too); whitespace in q stands for any run of characters, so
--   "jose alvares" also finds "José Carlos Álvares". LIKE wildcards in q are escaped,
--   so q is otherwise matched literally;
-- - its phone contains q's digits, when q has at least 4 of them: phones are stored in
--   E.164, and "(11) 98765-4321" or "98765" is how people type them. Fewer digits would
--   find most phones.
-- The subquery names the two patterns; planning for a given q folds them to constants,
-- which lets the planner weigh the trigram index against the tenant's newest rows.
select c.* from contacts c,
  (select
    '%' || regexp_replace(
      replace(replace(replace(lower(private.unaccent_immutable(sqlc.narg(q)::text)), '\', '\\'), '%', '\%'), '_', '\_'),
      '\s+', '%', 'g') || '%' as text_pattern,
    case when length(regexp_replace(sqlc.narg(q)::text, '[^0-9]', '', 'g')) >= 4
      then '%' || regexp_replace(sqlc.narg(q)::text, '[^0-9]', '', 'g') || '%' end as digits_pattern
  ) search
where c.tenant_id = @tenant_id::uuid
  and (sqlc.narg(q)::text is null
    or c.search_text like search.text_pattern
    or c.search_text like search.digits_pattern)
  and (sqlc.narg(tag)::text is null or c.tags @> array[sqlc.narg(tag)::text])
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (c.created_at, c.id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by c.created_at desc, c.id desc
limit @row_limit::integer;

-- name: ContactUpdate :one
-- Absent fields keep their value; nullable ones are cleared only when their set_ flag is true.
update contacts set
  name = case when @set_name::boolean then sqlc.narg(name)::text else name end,
  phone = case when @set_phone::boolean then sqlc.narg(phone)::text else phone end,
  email = case when @set_email::boolean then sqlc.narg(email)::text else email end,
  avatar_url = case when @set_avatar_url::boolean then sqlc.narg(avatar_url)::text else avatar_url end,
  tags = coalesce(sqlc.narg(tags)::text[], tags),
  custom_fields = coalesce(sqlc.narg(custom_fields)::jsonb, custom_fields),
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: ContactDelete :execrows
delete from contacts where tenant_id = @tenant_id::uuid and id = @id::uuid;
