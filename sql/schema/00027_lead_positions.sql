-- A lead's position orders its stage (ties broken by id); positions are spread out,
-- 1024 apart when written in bulk, so that a move writes only the lead it moves: its new
-- position is between its neighbours' (LeadMove). When a spot has no room left (ten moves
-- into the same gap), the stage is spread out again in one statement (LeadStageRenumber)
-- under a lock of that stage only. Positions may be negative: moves to the top go below
-- the first lead.
--
-- A renumbering keeps the board's order, so it is no news for live streams: lead.moved is
-- announced when a lead changes stage, or changes position with its updated_at (a move;
-- LeadStageRenumber leaves updated_at alone).

-- +goose Up
alter table public.leads_pipeline drop constraint leads_pipeline_position_check;

update public.leads_pipeline l set position = ranked.rank * 1024
from (
  select tenant_id, id, (row_number() over (partition by tenant_id, stage order by position, id) - 1)::integer as rank
  from public.leads_pipeline
) ranked
where l.tenant_id = ranked.tenant_id and l.id = ranked.id and l.position <> ranked.rank * 1024;

-- +goose StatementBegin
create or replace function private.announce_lead_move() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if new.stage is distinct from old.stage
     or (new.position is distinct from old.position and new.updated_at is distinct from old.updated_at) then
    perform private.notify_event(new.tenant_id, 'lead.moved', jsonb_build_object(
      'id', new.id, 'contact_id', new.contact_id, 'stage', new.stage, 'position', new.position,
      'from_stage', old.stage, 'updated_at', new.updated_at));
  end if;
  return null;
end
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
create or replace function private.announce_lead_move() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if (new.stage, new.position) is distinct from (old.stage, old.position) then
    perform private.notify_event(new.tenant_id, 'lead.moved', jsonb_build_object(
      'id', new.id, 'contact_id', new.contact_id, 'stage', new.stage, 'position', new.position,
      'from_stage', old.stage, 'updated_at', new.updated_at));
  end if;
  return null;
end
$$;
-- +goose StatementEnd

update public.leads_pipeline l set position = ranked.rank
from (
  select tenant_id, id, (row_number() over (partition by tenant_id, stage order by position, id) - 1)::integer as rank
  from public.leads_pipeline
) ranked
where l.tenant_id = ranked.tenant_id and l.id = ranked.id and l.position <> ranked.rank;

alter table public.leads_pipeline add constraint leads_pipeline_position_check check (position >= 0);
