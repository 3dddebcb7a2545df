-- name: StreamTicketCreate :one
-- A single-use ticket for the caller's event stream (GET /api/v1/events?ticket=), with
-- the claims it runs with; expired tickets are cleared on the way. Runs as service_role.
with expired as (
  delete from private.stream_tickets where expires_at < now()
)
insert into private.stream_tickets (tenant_id, user_id, claims)
values (@tenant_id::uuid, @user_id::uuid, @claims::jsonb)
returning id, expires_at;

-- name: StreamTicketUse :one
-- Not tenant-scoped: the ticket names its tenant. It is good once: using it deletes it.
-- Runs as service_role.
delete from private.stream_tickets
where id = @id::uuid and expires_at > now()
returning tenant_id, user_id, claims;
