-- name: LeadPipelineLock :exec
-- Serialises changes to one tenant's pipeline order until the transaction ends, so
-- concurrent creates and moves never hand out the same position.
select pg_advisory_xact_lock(hashtextextended('leads_pipeline:' || @tenant_id::uuid, 0));

-- name: LeadCreate :one
-- Appends the lead at the end of its stage (call LeadPipelineLock first).
insert into leads_pipeline (tenant_id, contact_id, stage, value, owner_user_id, notes, position)
values (
  @tenant_id::uuid, sqlc.narg(contact_id)::uuid, @stage::lead_stage, sqlc.narg(value)::numeric,
  sqlc.narg(owner_user_id)::uuid, sqlc.narg(notes)::text,
  (select coalesce(max(position) + 1, 0) from leads_pipeline where tenant_id = @tenant_id::uuid and stage = @stage::lead_stage)
)
returning *;

-- name: LeadGet :one
select * from leads_pipeline where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: LeadList :many
select * from leads_pipeline
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: LeadListByStage :many
-- One board column, in board order (position, id), past the cursor's position: a stage
-- with more leads than the board shows is read to the end.
select * from leads_pipeline
where tenant_id = @tenant_id::uuid and stage = @stage::lead_stage
  and (sqlc.narg(after_position)::integer is null
    or (position, id) > (sqlc.narg(after_position)::integer, sqlc.narg(after_id)::uuid))
order by position, id
limit @row_limit::integer;

-- name: LeadUpdate :one
-- Everything but the place on the board (see LeadMove).
update leads_pipeline set
  contact_id = case when @set_contact_id::boolean then sqlc.narg(contact_id)::uuid else contact_id end,
  value = case when @set_value::boolean then sqlc.narg(value)::numeric else value end,
  owner_user_id = case when @set_owner_user_id::boolean then sqlc.narg(owner_user_id)::uuid else owner_user_id end,
  notes = case when @set_notes::boolean then sqlc.narg(notes)::text else notes end,
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning *;

-- name: LeadMove :one
-- Puts a lead at (stage, position) in one statement; position counts the other leads of
-- the stage from 0, and past the end appends. The leads of the stage it leaves and of the
-- stage it enters are renumbered 0..n-1 in board order (position, id) rather than shifted
-- by one, so that a gap left by a delete (LeadDelete, or a contact's cascade) neither
-- misplaces the lead nor survives the move. Only leads whose position changes are
-- written. Call LeadPipelineLock first.
with moving as (
  select id, stage from leads_pipeline
  where tenant_id = @tenant_id::uuid and id = @id::uuid
), others as (
  select l.id, l.stage, l.position,
    (row_number() over (partition by l.stage order by l.position, l.id) - 1)::integer as rank
  from leads_pipeline l, moving
  where l.tenant_id = @tenant_id::uuid and l.id <> moving.id
    and (l.stage = moving.stage or l.stage = @stage::lead_stage)
), target as (
  select least(@position::integer, (select count(*) from others where stage = @stage::lead_stage))::integer as position
), placed as (
  select others.id, others.position as old_position,
    others.rank + case when others.stage = @stage::lead_stage and others.rank >= target.position then 1 else 0 end as position
  from others, target
), renumbered as (
  update leads_pipeline l
  set position = placed.position
  from placed
  where l.tenant_id = @tenant_id::uuid and l.id = placed.id and placed.position <> placed.old_position
)
update leads_pipeline l
set stage = @stage::lead_stage, position = target.position, updated_at = now()
from moving, target
where l.tenant_id = @tenant_id::uuid and l.id = moving.id
returning l.*;

-- name: LeadDelete :execrows
delete from leads_pipeline where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: LeadBoard :many
-- The pipeline board: each stage's first per_stage leads in board order, with the
-- stage's total and the contact's name for the card.
select ranked.*, c.name as contact_name
from (
  select l.*,
    row_number() over (partition by l.stage order by l.position, l.id) as stage_rank,
    count(*) over (partition by l.stage) as stage_total
  from leads_pipeline l
  where l.tenant_id = @tenant_id::uuid
) ranked
left join contacts c on c.tenant_id = @tenant_id::uuid and c.id = ranked.contact_id
where ranked.stage_rank <= @per_stage::integer
order by ranked.stage, ranked.position, ranked.id;
