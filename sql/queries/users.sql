-- name: UserGetByID :one
-- Not tenant-scoped: the caller's own profile, looked up by the verified auth id before
-- its tenant is known (and before it has one).
select * from users where id = @id::uuid;

-- name: UserGetCaller :one
-- Not tenant-scoped: the caller's own profile, looked up by the verified auth id on every
-- request, with why they may not act, if so (private.caller_refusal: account deleted
-- or banned, tenant suspended; empty when they may). No row: the account is gone.
select sqlc.embed(users), coalesce(private.caller_refusal(), '')::text as refusal
from users where id = @id::uuid;

-- name: UserUpdateSelf :one
-- Not tenant-scoped: a user edits their own profile, with or without a tenant.
-- full_name and avatar_url change only when their set_ flag is true (null clears).
update users set
  full_name = case when @set_full_name::boolean then sqlc.narg(full_name)::text else full_name end,
  avatar_url = case when @set_avatar_url::boolean then sqlc.narg(avatar_url)::text else avatar_url end,
  updated_at = now()
where id = @id::uuid
returning *;

-- name: UserGet :one
select * from users where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: UserList :many
select * from users
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(after_created_at)::timestamptz is null
    or (created_at, id) > (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
order by created_at, id
limit @row_limit::integer;

-- name: UserUpdateRole :one
update users set role = @role::user_role, updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: UserAttachToTenant :one
-- Onboarding: a user without a tenant becomes a member (the owner, at setup).
update users set tenant_id = @tenant_id::uuid, role = @role::user_role, updated_at = now()
where id = @id::uuid and tenant_id is null
returning *;

-- name: UserDelete :execrows
delete from users where tenant_id = @tenant_id::uuid and id = @id::uuid;
