-- Finding a spot in a stage reads the stage's leads in board order, and under RLS it
-- cannot use the (tenant_id, stage, position, id) index for the stage: enum equality is
-- not leakproof, so PostgreSQL applies "stage = …" only after the policy, to every lead
-- of the tenant (100,000 leads: 100,000 index entries and a sort per move). This function
-- reads the spot as its owner, where the stage is an index condition, for the caller's
-- own tenant only; LeadMove and LeadCreate then write under RLS as before.

-- +goose Up
-- +goose StatementBegin
-- The positions of the leads of the caller's tenant's stage that will be before and
-- after a lead put at index (counting the stage's leads but except_id from 0; past the
-- end, before is the last position). Both null for another tenant than the caller's.
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

-- +goose Down
drop function private.lead_positions_around(uuid, public.lead_stage, integer, uuid);
