-- name: InvitationCreate :one
insert into invitations (tenant_id, email, role, invited_by_user_id, expires_at)
values (@tenant_id::uuid, lower(@email::text), @role::user_role, sqlc.narg(invited_by_user_id)::uuid, @expires_at::timestamptz)
returning *;

-- name: InvitationGet :one
select * from invitations where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: InvitationList :many
-- Newest first; pending only unless include_closed.
select * from invitations
where tenant_id = @tenant_id::uuid
  and (@include_closed::boolean or (accepted_at is null and revoked_at is null))
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: InvitationRevoke :one
update invitations set revoked_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid and accepted_at is null and revoked_at is null
returning *;
