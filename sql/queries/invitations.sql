-- name: InvitationCreate :one
-- Expires on the column's default date. An email that is already a member is refused
-- (invitations_email_not_member), as is a second pending one (…_email_pending_key).
insert into invitations (tenant_id, email, role, invited_by_user_id)
values (@tenant_id::uuid, @email::text, @role::user_role, sqlc.narg(invited_by_user_id)::uuid)
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

-- name: InvitationListForInvitee :many
-- Not tenant-scoped: the pending invitations addressed to the caller's confirmed email,
-- from every tenant that sent one, with the tenant's name and slug (the invitee's RLS
-- policies show exactly these).
select i.id, i.tenant_id, i.role, i.expires_at, i.created_at, t.name as tenant_name, t.slug as tenant_slug
from invitations i join tenants t on t.id = i.tenant_id
where i.email = private.caller_confirmed_email()
  and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
order by i.created_at desc, i.id desc;

-- name: InvitationAccept :one
-- Not tenant-scoped: the caller joins the tenant whose invitation it is (see
-- private.accept_invitation for the rules). Returns that tenant's id.
select private.accept_invitation(@id::uuid)::uuid as tenant_id;
