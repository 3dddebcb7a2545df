-- name: AIConfigGet :one
select * from ai_config where tenant_id = @tenant_id::uuid;

-- name: AIConfigCreateDefault :exec
-- Setup seeds the defaults; an existing configuration is kept.
insert into ai_config (tenant_id) values (@tenant_id::uuid)
on conflict (tenant_id) do nothing;

-- name: AIConfigUpsert :one
-- The time comes with the row (excluded): Citus takes no function in DO UPDATE.
insert into ai_config (tenant_id, enabled, model, system_prompt, temperature, business_hours, handoff_rules, updated_at)
values (@tenant_id::uuid, @enabled::boolean, @model::text, @system_prompt::text, @temperature::real,
  @business_hours::jsonb, @handoff_rules::jsonb, now())
on conflict (tenant_id) do update set
  enabled = excluded.enabled,
  model = excluded.model,
  system_prompt = excluded.system_prompt,
  temperature = excluded.temperature,
  business_hours = excluded.business_hours,
  handoff_rules = excluded.handoff_rules,
  updated_at = excluded.updated_at
returning *;
