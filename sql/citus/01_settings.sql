-- The backend's transactions carry the caller to the workers as SET LOCAL (migration
-- 00041), which Citus propagates only when told to. Triggers on distributed tables
-- (the status rule, the live events' queue, the detach triggers of 00040) run on the
-- shards, which Citus calls unsafe: each of ours touches only its own tenant's rows.
do $$
begin
  execute format('alter database %I set citus.propagate_set_commands = local', current_database());
  execute format('alter database %I set citus.enable_unsafe_triggers = on', current_database());
end
$$;
set citus.enable_unsafe_triggers = on;

-- What each step works on, for this session.
create function pg_temp.reference_tables() returns regclass[] language sql immutable as $$
  select array['public.tenants', 'public.users', 'public.invitations', 'public.tenant_secrets', 'public.channel_accounts']::regclass[]
$$;
-- Referenced tables first; the first names the colocation group.
create function pg_temp.tenant_tables() returns regclass[] language sql immutable as $$
  select array[
    'public.contacts', 'public.contact_addresses', 'public.campaigns', 'public.conversations', 'public.leads_pipeline',
    'public.messages', 'public.campaign_events', 'public.ai_config', 'public.system_settings',
    'public.knowledge_documents', 'private.event_queue'
  ]::regclass[]
$$;
