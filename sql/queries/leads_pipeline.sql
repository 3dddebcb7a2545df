-- name: LeadCreate :one
-- Appends the lead at the end of its stage, 1024 after the last. No row when the stage's
-- positions have run out at the end: CreateLead spreads them out again and retries.
with after_last as (
  select case when max(position) is null then 0 when max(position) <= 2147483647 - 1024 then max(position) + 1024 end as position
  from leads_pipeline where tenant_id = @tenant_id::uuid and stage = @stage::lead_stage
)
insert into leads_pipeline (tenant_id, contact_id, stage, value, owner_user_id, notes, position)
select @tenant_id::uuid, sqlc.narg(contact_id)::uuid, @stage::lead_stage, sqlc.narg(value)::numeric,
  sqlc.narg(owner_user_id)::uuid, sqlc.narg(notes)::text, after_last.position
from after_last
where after_last.position is not null
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
-- Puts a lead at (stage, position), position counting the stage's other leads in board
-- order (position, id) from 0 (past the end appends), and writes only that lead: its
-- new position is halfway between its neighbours'. No row when there is no room between
-- them, or no such lead: MoveLead then spreads the stage out (LeadStageRenumber) and
-- retries. Reading the neighbours walks the stage's index up to the spot, not the stage.
with neighbours as (
  select
    case when sqlc.arg(position)::integer > 0 then coalesce(
      (select l.position from leads_pipeline l
        where l.tenant_id = @tenant_id::uuid and l.stage = @stage::lead_stage and l.id <> @id::uuid
        order by l.position, l.id limit 1 offset sqlc.arg(position)::integer - 1),
      (select max(l.position) from leads_pipeline l
        where l.tenant_id = @tenant_id::uuid and l.stage = @stage::lead_stage and l.id <> @id::uuid))
    end as before,
    (select l.position from leads_pipeline l
      where l.tenant_id = @tenant_id::uuid and l.stage = @stage::lead_stage and l.id <> @id::uuid
      order by l.position, l.id limit 1 offset sqlc.arg(position)::integer) as after
), target as (
  select case
    when before is null and after is null then 0
    when after is null then case when before <= 2147483647 - 1024 then before + 1024 end
    when before is null then case when after >= -2147483648 + 1024 then after - 1024 end
    when after::bigint - before > 1 then (before + (after::bigint - before) / 2)::integer
  end as position
  from neighbours
)
update leads_pipeline l
set stage = @stage::lead_stage, position = target.position, updated_at = now()
from target
where l.tenant_id = @tenant_id::uuid and l.id = @id::uuid and target.position is not null
returning l.*;

-- name: LeadStageLock :exec
-- Serialises LeadStageRenumber of one stage until the transaction ends. Moves and creates
-- do not take it.
select pg_advisory_xact_lock(hashtextextended('leads_pipeline:' || @tenant_id::uuid || ':' || @stage::lead_stage, 0));

-- name: LeadStageRenumber :exec
-- Spreads a stage's positions out again, 1024 apart in board order, leaving the place at
-- index gap free for the lead being moved there, except_id, which is left out. The order
-- does not change, so updated_at stays and no lead.moved is announced.
update leads_pipeline l
set position = ((ranked.rank + case when ranked.rank >= @gap::integer then 1 else 0 end) * 1024)::integer
from (
  select o.id, row_number() over (order by o.position, o.id) - 1 as rank
  from leads_pipeline o
  where o.tenant_id = @tenant_id::uuid and o.stage = @stage::lead_stage and o.id is distinct from sqlc.narg(except_id)::uuid
) ranked
where l.tenant_id = @tenant_id::uuid and l.id = ranked.id
  and l.position <> ((ranked.rank + case when ranked.rank >= @gap::integer then 1 else 0 end) * 1024)::integer;

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
