-- private.lead_positions_around (00029) returned an anonymous record (OUT parameters).
-- Citus evaluates the functions of a modification on the coordinator and sends their
-- results to the shard as constants, and an anonymous record cannot be read back there
-- ("input of anonymous composite types is not implemented"): LeadMove failed. The same
-- function now returns a named type, private.lead_gap.

-- +goose Up
create type private.lead_gap as (before integer, after integer);
drop function private.lead_positions_around(uuid, public.lead_stage, integer, uuid);

-- +goose StatementBegin
-- The positions of the leads of the caller's tenant's stage that will be before and
-- after a lead put at index (counting the stage's leads but except_id from 0; past the
-- end, before is the last position). Both null for another tenant than the caller's.
create function private.lead_positions_around(tenant uuid, stage public.lead_stage, index integer, except_id uuid)
returns private.lead_gap
language plpgsql stable security definer
set search_path = ''
as $$
declare
  gap private.lead_gap;
begin
  if tenant is distinct from private.current_tenant_id() or index < 0 then
    return gap;
  end if;
  if index > 0 then
    select l.position into gap.before from public.leads_pipeline l
    where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id
    order by l.position, l.id offset index - 1 limit 1;
    if not found then -- past the end
      select max(l.position) into gap.before from public.leads_pipeline l
      where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id;
      return gap;
    end if;
  end if;
  select l.position into gap.after from public.leads_pipeline l
  where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id
  order by l.position, l.id offset index limit 1;
  return gap;
end
$$;
-- +goose StatementEnd
revoke execute on function private.lead_positions_around(uuid, public.lead_stage, integer, uuid) from public, anon;
grant execute on function private.lead_positions_around(uuid, public.lead_stage, integer, uuid) to authenticated;

-- +goose Down
drop function private.lead_positions_around(uuid, public.lead_stage, integer, uuid);
drop type private.lead_gap;

-- +goose StatementBegin
create function private.lead_positions_around(tenant uuid, stage public.lead_stage, index integer, except_id uuid,
  out before integer, out after integer)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if tenant is distinct from private.current_tenant_id() or index < 0 then
    return;
  end if;
  if index > 0 then
    select l.position into before from public.leads_pipeline l
    where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id
    order by l.position, l.id offset index - 1 limit 1;
    if not found then -- past the end
      select max(l.position) into before from public.leads_pipeline l
      where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id;
      return;
    end if;
  end if;
  select l.position into after from public.leads_pipeline l
  where l.tenant_id = tenant and l.stage = lead_positions_around.stage and l.id is distinct from except_id
  order by l.position, l.id offset index limit 1;
end
$$;
-- +goose StatementEnd
revoke execute on function private.lead_positions_around(uuid, public.lead_stage, integer, uuid) from public, anon;
grant execute on function private.lead_positions_around(uuid, public.lead_stage, integer, uuid) to authenticated;
