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

-- name: CampaignStats :one
-- A campaign's audience (queued events) and replies (replied events), and its messages
-- counted by how far they got: sent counts every message the provider accepted (also
-- those delivered or read since), delivered those delivered or read.
select
  (select count(*) from campaign_events e
    where e.tenant_id = @tenant_id::uuid and e.campaign_id = @campaign_id::uuid and e.event_type = 'queued')::bigint as queued,
  (select count(*) from campaign_events e
    where e.tenant_id = @tenant_id::uuid and e.campaign_id = @campaign_id::uuid and e.event_type = 'replied')::bigint as replied,
  count(*) filter (where m.status in ('sent', 'delivered', 'read'))::bigint as sent,
  count(*) filter (where m.status in ('delivered', 'read'))::bigint as delivered,
  count(*) filter (where m.status = 'read')::bigint as read,
  count(*) filter (where m.status = 'failed')::bigint as failed
from messages m
where m.tenant_id = @tenant_id::uuid and m.campaign_id = @campaign_id::uuid;

-- name: CampaignDispatchBatch :many
-- Gives the next recipients of a running campaign (its queued events, in contact order
-- after @after_contact_id) their message: in the contact's open conversation on the
-- campaign's channel, opened when there is none, at most one message per campaign and
-- conversation, so a repeated batch creates nothing twice. Returns each recipient with
-- the message created for it (null when it had one already). No rows: no recipient
-- left, or the campaign is not running.
with campaign as (
  select * from campaigns where tenant_id = @tenant_id::uuid and id = @campaign_id::uuid and status = 'running'
), recipient as (
  select e.contact_id from campaign_events e join campaign on campaign.id = e.campaign_id
  where e.tenant_id = @tenant_id::uuid and e.campaign_id = @campaign_id::uuid and e.event_type = 'queued'
    and e.contact_id > @after_contact_id::uuid
  order by e.contact_id
  limit @batch_size::integer
), conversation as (
  -- The time comes with the row (excluded): Citus takes no function in DO UPDATE.
  insert into conversations (tenant_id, contact_id, channel, last_message_at, updated_at)
  select @tenant_id::uuid, recipient.contact_id, campaign.channel, now(), now() from recipient, campaign
  on conflict (tenant_id, contact_id, channel) where status <> 'closed'
  do update set last_message_at = greatest(conversations.last_message_at, excluded.last_message_at), updated_at = excluded.updated_at
  returning id, contact_id
), message as (
  insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, campaign_id)
  select @tenant_id::uuid, conversation.id, campaign.channel, 'outbound', 'system', campaign.message_template, campaign.id
  from conversation, campaign
  on conflict (tenant_id, campaign_id, conversation_id) where campaign_id is not null do nothing
  returning id, conversation_id
)
select recipient.contact_id, message.id as message_id
from recipient
join conversation on conversation.contact_id = recipient.contact_id
left join message on message.conversation_id = conversation.id
order by recipient.contact_id;

-- name: CampaignRedispatch :exec
-- A launch's new recipients are still to get their message: the campaign is not done
-- before they do. Runs as service_role (members may not write dispatched_at).
update campaigns set dispatched_at = null where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: CampaignMarkDispatched :execrows
-- Every recipient of the running campaign has its message.
update campaigns set dispatched_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid and status = 'running';

-- name: CampaignCompleteIfDone :one
-- Completes a running campaign whose recipients all have their message and none of whose
-- messages is still queued. Returns the campaign's status after it (no row: deleted).
with completed as (
  update campaigns set status = 'completed', updated_at = now()
  where tenant_id = @tenant_id::uuid and id = @id::uuid and status = 'running' and dispatched_at is not null
    and not exists (select from messages m
      where m.tenant_id = @tenant_id::uuid and m.campaign_id = @id::uuid and m.status = 'queued')
  returning status
)
select coalesce((select status from completed), c.status)::campaign_status as status
from campaigns c where c.tenant_id = @tenant_id::uuid and c.id = @id::uuid;
