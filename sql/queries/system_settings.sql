-- name: SystemSettingList :many
select * from system_settings
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(after_key)::text is null or key > sqlc.narg(after_key)::text)
order by key
limit @row_limit::integer;

-- name: SystemSettingGet :one
select * from system_settings where tenant_id = @tenant_id::uuid and key = @key::text;

-- name: SystemSettingUpsert :one
-- The time comes with the row (excluded): Citus takes no function in DO UPDATE.
insert into system_settings (tenant_id, key, value, updated_at)
values (@tenant_id::uuid, @key::text, @value::jsonb, now())
on conflict (tenant_id, key) do update set value = excluded.value, updated_at = excluded.updated_at
returning *;

-- name: SystemSettingDelete :execrows
delete from system_settings where tenant_id = @tenant_id::uuid and key = @key::text;
