-- The V1.5 importer (legacy/, server import-sqlite). It connects as the owner, where RLS
-- does not apply, so every query names the tenant. What sqlc cannot express stays in Go:
-- the COPY of planned rows, the staging tables that COPY fills and the inserts from them,
-- whose names exist only inside the import's transaction (legacy/load.go), and what
-- reads or writes auth.users, a schema sqlc does not see: migration 00001 creates it
-- only where Supabase has not (legacy/auth_users.go).
--
-- Sets of rows travel as one JSON array read by jsonb_to_recordset: a parameter per
-- column cannot carry NULL elements, each row's own tags, or JSON values. It reads a JSON
-- null as SQL NULL, also for a jsonb column: a setting's value, which may be the JSON
-- value null, travels as its text.

-- name: LegacyImportSettings :exec
-- Not tenant-scoped: the import transaction's settings, before the tenant is known. A
-- crash before the commit loses only the import, which can run again (synchronous_commit
-- off); imported rows are no news for the tenant's live streams (atende.events off).
select set_config('synchronous_commit', 'off', true), set_config('atende.events', 'off', true);

-- name: LegacyImportLock :one
-- Not tenant-scoped: the lock of one tenant's imports is keyed by its slug, which names
-- the tenant also before --create-tenant made it. Refuses at once rather than waits: two
-- imports into one tenant never interleave. Also the transaction's time.
select pg_try_advisory_xact_lock(hashtextextended('atende.import-sqlite/' || @slug::text, 0))::boolean as locked,
  now()::timestamptz as started_at;

-- name: LegacyImportGet :one
select file_name, legacy_timezone, phone_region, imported_at, synced_at
from private.legacy_imports where tenant_id = @tenant_id::uuid;

-- name: LegacyImportSave :exec
insert into private.legacy_imports (tenant_id, file_name, legacy_timezone, phone_region, imported_at, synced_at)
values (@tenant_id::uuid, @file_name::text, @legacy_timezone::text, @phone_region::text, @imported_at::timestamptz, @synced_at::timestamptz)
on conflict (tenant_id) do update set file_name = excluded.file_name, synced_at = excluded.synced_at;

-- name: LegacyFingerprintsGet :many
select source_table, chunk, entries from private.legacy_import_fingerprints
where tenant_id = @tenant_id::uuid order by source_table, chunk;

-- name: LegacyFingerprintsClear :exec
delete from private.legacy_import_fingerprints where tenant_id = @tenant_id::uuid;

-- name: LegacyFingerprintsPut :exec
insert into private.legacy_import_fingerprints (tenant_id, source_table, chunk, entries)
values (@tenant_id::uuid, @source_table::text, @chunk::integer, @entries::bytea);

-- name: LegacyTenantRowCounts :one
-- The tenant's rows in each table an import writes: a table it has none in is loaded by
-- COPY straight into place, and --verify tells the rows V1.6 made from the imported ones.
select
  (select count(*) from public.users where tenant_id = @tenant_id::uuid)::bigint as users,
  (select count(*) from public.contacts where tenant_id = @tenant_id::uuid)::bigint as contacts,
  (select count(*) from public.campaigns where tenant_id = @tenant_id::uuid)::bigint as campaigns,
  (select count(*) from public.conversations where tenant_id = @tenant_id::uuid)::bigint as conversations,
  (select count(*) from public.messages where tenant_id = @tenant_id::uuid)::bigint as messages,
  (select count(*) from public.leads_pipeline where tenant_id = @tenant_id::uuid)::bigint as leads_pipeline,
  (select count(*) from public.campaign_events where tenant_id = @tenant_id::uuid)::bigint as campaign_events,
  (select count(*) from public.ai_config where tenant_id = @tenant_id::uuid)::bigint as ai_config,
  (select count(*) from public.knowledge_documents where tenant_id = @tenant_id::uuid)::bigint as knowledge_documents,
  (select count(*) from public.system_settings where tenant_id = @tenant_id::uuid)::bigint as system_settings;

-- name: LegacyInvitationsAccept :exec
-- A pending invitation of an imported email can never be accepted now (the account
-- exists): it is recorded as accepted by the imported user, whose profile the signup
-- trigger made in the tenant.
update public.invitations i set accepted_at = now(), accepted_user_id = p.id
from public.users p
where i.tenant_id = @tenant_id::uuid and p.tenant_id = @tenant_id::uuid and p.id = any(@user_ids::uuid[])
  and i.email = p.email and i.accepted_at is null and i.revoked_at is null;

-- The rows as the import wrote them, by id: what a sync compares with their
-- fingerprints, and --verify with the file.

-- name: LegacyContactsByID :many
select id, name, phone, email, tags, custom_fields, created_at, updated_at
from public.contacts where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyCampaignsByID :many
select id, name, channel, status, message_template, audience_filter, scheduled_at, started_at, completed_at,
  created_at, updated_at
from public.campaigns where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyConversationsByID :many
select id, contact_id, channel, status, assigned_user_id, ai_enabled, last_message_at, unread_count, created_at, updated_at
from public.conversations where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyMessagesByID :many
select id, conversation_id, channel, direction, sender_type, sender_user_id, content, media, status, external_id, created_at
from public.messages where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyLeadsByID :many
select id, contact_id, stage, value, owner_user_id, position, notes, created_at, updated_at
from public.leads_pipeline where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyCampaignEventsByID :many
select id, campaign_id, contact_id, event_type, occurred_at, metadata
from public.campaign_events where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacyAIConfigGet :one
select enabled, model, system_prompt, temperature, business_hours, updated_at
from public.ai_config where tenant_id = @tenant_id::uuid;

-- name: LegacyKnowledgeByID :many
select id, title, content, source_url, tags, created_at, updated_at
from public.knowledge_documents where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]);

-- name: LegacySettingsByKey :many
select key, value, updated_at
from public.system_settings where tenant_id = @tenant_id::uuid and key = any(@keys::text[]);

-- Writing what the file says: the first import's corrections, and a sync's updates of
-- rows V1.6 left as the import wrote them.

-- name: LegacyProfilesUpdate :exec
update public.users p set role = f.role, full_name = left(f.full_name, 200), updated_at = now()
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, role public.user_role, full_name text)
where p.tenant_id = @tenant_id::uuid and p.id = f.id;

-- name: LegacyContactsUpdate :exec
update public.contacts c set name = f.name, phone = f.phone, email = f.email, tags = f.tags,
  custom_fields = f.custom_fields, created_at = f.created_at, updated_at = f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, name text, phone text, email text, tags text[],
  custom_fields jsonb, created_at timestamptz, updated_at timestamptz)
where c.tenant_id = @tenant_id::uuid and c.id = f.id;

-- name: LegacyCampaignUpdate :exec
-- Everything but the status, which the lifecycle trigger governs (LegacyCampaignSetStatus).
-- The caller passes the campaign's own channel, message, audience and schedule once it
-- runs (campaigns_content_fixed), and sets started_at and completed_at before the status
-- moves: the trigger stamps them only when they are empty, so V1.5's are kept.
update public.campaigns set name = @name::text, channel = @channel::public.channel,
  message_template = sqlc.narg(message_template)::text, audience_filter = @audience_filter::jsonb,
  scheduled_at = sqlc.narg(scheduled_at)::timestamptz, started_at = sqlc.narg(started_at)::timestamptz,
  completed_at = sqlc.narg(completed_at)::timestamptz, created_at = @created_at::timestamptz,
  updated_at = @updated_at::timestamptz
where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: LegacyCampaignSetStatus :exec
update public.campaigns set status = @status::public.campaign_status
where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: LegacyConversationsUpdate :exec
-- The conversations' values: a first import's completion (what the messages made of
-- them, where the prediction was wrong) and a sync's updates. Call it with the
-- conversations that close first, then with the others, so that one contact and channel
-- never has two that are not closed; one that another conversation open in V1.6 keeps
-- from opening stays closed (the caller reads it back and says so).
update public.conversations c set contact_id = f.contact_id, channel = f.channel,
  status = case when f.status <> 'closed' and exists (
      select from public.conversations o
      where o.tenant_id = @tenant_id::uuid and o.contact_id = f.contact_id and o.channel = f.channel
        and o.status <> 'closed' and o.id <> f.id)
    then 'closed'::public.conversation_status else f.status end,
  assigned_user_id = f.assigned_user_id, ai_enabled = f.ai_enabled, last_message_at = f.last_message_at,
  unread_count = f.unread_count, created_at = f.created_at, updated_at = f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, contact_id uuid, channel public.channel,
  status public.conversation_status, assigned_user_id uuid, ai_enabled boolean, last_message_at timestamptz,
  unread_count integer, created_at timestamptz, updated_at timestamptz)
where c.tenant_id = @tenant_id::uuid and c.id = f.id;

-- name: LegacyConversationsFollow :exec
-- A conversation V1.6 changed keeps its own values, but the messages a sync brings still
-- count, as the backend counts them: last_message_at and unread_count follow them.
update public.conversations c set last_message_at = f.last_message_at, unread_count = f.unread_count,
  updated_at = greatest(c.updated_at, f.last_message_at)
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, last_message_at timestamptz, unread_count integer)
where c.tenant_id = @tenant_id::uuid and c.id = f.id;

-- name: LegacyMessagesUpdate :exec
-- A status only moves forward (private.message_status_advances, which the schema's
-- trigger enforces for every writer): a V1.5 status behind the tenant's is not applied.
update public.messages m set conversation_id = f.conversation_id, channel = f.channel, direction = f.direction,
  sender_type = f.sender_type, sender_user_id = f.sender_user_id, content = f.content, media = f.media,
  status = case when private.message_status_advances(m.status, f.status) then f.status else m.status end,
  external_id = f.external_id, created_at = f.created_at
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, conversation_id uuid, channel public.channel,
  direction public.message_direction, sender_type public.sender_type, sender_user_id uuid, content text,
  media jsonb, status public.message_status, external_id text, created_at timestamptz)
where m.tenant_id = @tenant_id::uuid and m.id = f.id;

-- name: LegacyMessagesMergeDeliveries :exec
-- What later copies of a delivery changed in messages already copied: the status they
-- advanced to, the content and media they filled.
update public.messages m
set status = case when private.message_status_advances(m.status, f.status) then f.status else m.status end,
  content = coalesce(f.content, m.content), media = coalesce(f.media, m.media)
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, status public.message_status, content text, media jsonb)
where m.tenant_id = @tenant_id::uuid and m.id = f.id;

-- name: LegacyLeadsUpdate :exec
update public.leads_pipeline l set contact_id = f.contact_id, stage = f.stage, value = f.value,
  owner_user_id = f.owner_user_id, position = f.position, notes = f.notes, created_at = f.created_at,
  updated_at = f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, contact_id uuid, stage public.lead_stage, value numeric,
  owner_user_id uuid, position integer, notes text, created_at timestamptz, updated_at timestamptz)
where l.tenant_id = @tenant_id::uuid and l.id = f.id;

-- name: LegacyCampaignEventsUpdate :exec
update public.campaign_events e set campaign_id = f.campaign_id, contact_id = f.contact_id,
  event_type = f.event_type, occurred_at = f.occurred_at, metadata = f.metadata
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, campaign_id uuid, contact_id uuid,
  event_type public.campaign_event_type, occurred_at timestamptz, metadata jsonb)
where e.tenant_id = @tenant_id::uuid and e.id = f.id;

-- name: LegacyAIConfigImport :execrows
-- The legacy configuration replaces the tenant's only while that is the untouched
-- default tenant setup seeds; a configuration of the tenant's own is kept.
insert into public.ai_config (tenant_id, enabled, model, system_prompt, temperature, business_hours, updated_at)
values (@tenant_id::uuid, @enabled::boolean, @model::text, @system_prompt::text, @temperature::real,
  @business_hours::jsonb, @updated_at::timestamptz)
on conflict (tenant_id) do update set enabled = excluded.enabled, model = excluded.model,
  system_prompt = excluded.system_prompt, temperature = excluded.temperature,
  business_hours = excluded.business_hours, updated_at = excluded.updated_at
where ai_config.enabled and ai_config.model = 'default' and ai_config.system_prompt = ''
  and ai_config.temperature = 0.3::real and ai_config.business_hours = '{}' and ai_config.handoff_rules = '{}';

-- name: LegacyAIConfigUpdate :exec
update public.ai_config set enabled = @enabled::boolean, model = @model::text, system_prompt = @system_prompt::text,
  temperature = @temperature::real, business_hours = @business_hours::jsonb, updated_at = @updated_at::timestamptz
where tenant_id = @tenant_id::uuid;

-- name: LegacyKnowledgeUpdate :exec
update public.knowledge_documents d set title = f.title, content = f.content, source_url = f.source_url,
  tags = f.tags, created_at = f.created_at, updated_at = f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (id uuid, title text, content text, source_url text, tags text[],
  created_at timestamptz, updated_at timestamptz)
where d.tenant_id = @tenant_id::uuid and d.id = f.id;

-- name: LegacySettingsDropUntouchedDefaults :exec
-- The defaults the tenant was created with and nobody changed since (updated_at still the
-- tenant's created_at), of the keys the file has: the file's values replace them
-- (LegacySettingsImport). Removed first rather than updated on conflict there: Citus runs
-- no subquery in a conflict clause.
delete from public.system_settings s using public.tenants t
where s.tenant_id = @tenant_id::uuid and t.id = @tenant_id::uuid and s.updated_at = t.created_at
  and s.key = any(@keys::text[]);

-- name: LegacySettingsImport :many
-- The legacy settings the tenant does not have (after LegacySettingsDropUntouchedDefaults);
-- returns the keys written.
insert into public.system_settings (tenant_id, key, value, updated_at)
select @tenant_id::uuid, f.key, f.value::jsonb, f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (key text, value text, updated_at timestamptz)
on conflict (tenant_id, key) do nothing
returning key;

-- name: LegacySettingsUpdate :exec
update public.system_settings s set value = f.value::jsonb, updated_at = f.updated_at
from jsonb_to_recordset(@rows::jsonb) as f (key text, value text, updated_at timestamptz)
where s.tenant_id = @tenant_id::uuid and s.key = f.key;

-- Removing what V1.5 deleted (--sync-deletes; the caller checked that V1.6 left each row
-- as the import wrote it). A row that still has children is kept, since deleting it would
-- take them along (on delete cascade): children V1.6 changed or made, which stay. Each
-- returns what it removed.

-- name: LegacyMessagesDelete :many
delete from public.messages where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]) returning id;

-- name: LegacyConversationsDelete :many
delete from public.conversations c where c.tenant_id = @tenant_id::uuid and c.id = any(@ids::uuid[])
  and not exists (select from public.messages m where m.tenant_id = @tenant_id::uuid and m.conversation_id = c.id)
returning c.id;

-- name: LegacyLeadsDelete :many
delete from public.leads_pipeline where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]) returning id;

-- name: LegacyCampaignEventsDelete :many
delete from public.campaign_events where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]) returning id;

-- name: LegacyCampaignsDelete :many
delete from public.campaigns c where c.tenant_id = @tenant_id::uuid and c.id = any(@ids::uuid[])
  and not exists (select from public.campaign_events e where e.tenant_id = @tenant_id::uuid and e.campaign_id = c.id)
returning c.id;

-- name: LegacyContactsDelete :many
delete from public.contacts c where c.tenant_id = @tenant_id::uuid and c.id = any(@ids::uuid[])
  and not exists (select from public.conversations x where x.tenant_id = @tenant_id::uuid and x.contact_id = c.id)
  and not exists (select from public.leads_pipeline x where x.tenant_id = @tenant_id::uuid and x.contact_id = c.id)
  and not exists (select from public.campaign_events x where x.tenant_id = @tenant_id::uuid and x.contact_id = c.id)
returning c.id;

-- name: LegacyKnowledgeDelete :many
delete from public.knowledge_documents where tenant_id = @tenant_id::uuid and id = any(@ids::uuid[]) returning id;

-- name: LegacySettingsDelete :many
delete from public.system_settings where tenant_id = @tenant_id::uuid and key = any(@keys::text[]) returning key;
