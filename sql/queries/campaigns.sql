-- name: CampaignCreate :one
insert into campaigns (tenant_id, name, channel, status, message_template, audience_filter, scheduled_at)
values (@tenant_id::uuid, @name::text, @channel::channel, @status::campaign_status, sqlc.narg(message_template)::text,
  @audience_filter::jsonb, sqlc.narg(scheduled_at)::timestamptz)
returning *;

-- name: CampaignGet :one
select * from campaigns where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: CampaignList :many
select * from campaigns
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: CampaignUpdate :one
-- Status moves only as private.enforce_campaign_lifecycle allows, which also stamps
-- started_at and completed_at.
update campaigns set
  name = coalesce(sqlc.narg(name)::text, name),
  status = coalesce(sqlc.narg(status)::campaign_status, status),
  message_template = case when @set_message_template::boolean then sqlc.narg(message_template)::text else message_template end,
  audience_filter = coalesce(sqlc.narg(audience_filter)::jsonb, audience_filter),
  scheduled_at = case when @set_scheduled_at::boolean then sqlc.narg(scheduled_at)::timestamptz else scheduled_at end,
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: CampaignDelete :execrows
delete from campaigns where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: CampaignLaunch :one
-- Starts a draft, scheduled or running campaign and queues one event per contact in its
-- audience, in one INSERT ... SELECT: a repeated launch queues only contacts added since.
-- The audience is every contact reachable on the channel, narrowed by
-- audience_filter.tags (any of) when present. No row: not found or not launchable.
with campaign as (
  update campaigns
  set status = 'running', updated_at = now()
  where tenant_id = @tenant_id::uuid and id = @id::uuid and status in ('draft', 'scheduled', 'running')
  returning *
), queued as (
  insert into campaign_events (tenant_id, campaign_id, contact_id, event_type)
  select c.tenant_id, campaign.id, c.id, 'queued'
  from campaign
  join contacts c on c.tenant_id = @tenant_id::uuid
  where (campaign.channel <> 'whatsapp' or c.phone is not null)
    and (campaign.channel <> 'email' or c.email is not null)
    and (campaign.audience_filter -> 'tags' is null
      or c.tags && array(select jsonb_array_elements_text(campaign.audience_filter -> 'tags')))
  on conflict (tenant_id, campaign_id, contact_id, event_type) do nothing
  returning 1
)
select campaign.*, (select count(*) from queued)::bigint as queued_count
from campaign;

-- name: CampaignStats :many
-- Events of a campaign counted by type.
select event_type, count(*)::bigint as events
from campaign_events
where tenant_id = @tenant_id::uuid and campaign_id = @campaign_id::uuid
group by event_type
order by event_type;
