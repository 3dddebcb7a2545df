-- name: CampaignEventList :many
select * from campaign_events
where tenant_id = @tenant_id::uuid and campaign_id = @campaign_id::uuid
  and (sqlc.narg(after_occurred_at)::timestamptz is null
    or (occurred_at, id) > (sqlc.narg(after_occurred_at)::timestamptz, sqlc.narg(after_id)::uuid))
order by occurred_at, id
limit @row_limit::integer;

-- name: CampaignEventRecord :one
-- A delivery event reported for a contact of a campaign; each type is recorded once, so a
-- repeated report returns no row.
insert into campaign_events (tenant_id, campaign_id, contact_id, event_type, occurred_at, metadata)
values (@tenant_id::uuid, @campaign_id::uuid, @contact_id::uuid, @event_type::campaign_event_type,
  @occurred_at::timestamptz, @metadata::jsonb)
on conflict (tenant_id, campaign_id, contact_id, event_type) do nothing
returning *;
