-- name: SystemSettingList :many
select * from system_settings
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(after_key)::text is null or key > sqlc.narg(after_key)::text)
order by key
limit @row_limit::integer;

-- name: SystemSettingGet :one
select * from system_settings where tenant_id = @tenant_id::uuid and key = @key::text;

-- name: SystemSettingUpsert :one
insert into system_settings (tenant_id, key, value)
values (@tenant_id::uuid, @key::text, @value::jsonb)
on conflict (tenant_id, key) do update set value = excluded.value, updated_at = now()
returning *;

-- name: SystemSettingDelete :execrows
delete from system_settings where tenant_id = @tenant_id::uuid and key = @key::text;
