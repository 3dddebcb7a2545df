-- The rules the API enforces on members' writes, enforced by the database for every
-- writer connected as authenticated (the API, supabase-js, PostgREST): roles inside a
-- tenant, who invites and revokes, message authorship, and the campaign lifecycle. Where
-- a grant was wider than any write the API makes, it is narrowed to the columns the API
-- writes, so that the remaining rules fit in policies and triggers.
--
-- Triggers run for the statement's current role: privileged writers (service_role, the
-- owner, SECURITY DEFINER functions such as the signup trigger and invitation
-- acceptance) are trusted and pass; members' writes are checked.

-- +goose Up

-- Users: a member changes their own name and avatar; an admin changes other members'
-- roles and removes them. Nobody changes their own role or removes themselves, and only
-- an owner makes, changes or removes an owner — so the owner acting is always left, and a
-- tenant never loses its last owner.
-- +goose StatementBegin
create function private.enforce_member_rules() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  caller_role public.user_role;
begin
  if current_user <> 'authenticated' then
    return coalesce(new, old);
  end if;
  if tg_op = 'UPDATE' and new.role is not distinct from old.role then
    if old.id <> caller and (new.full_name, new.avatar_url) is distinct from (old.full_name, old.avatar_url) then
      raise exception 'only a user edits their own name and avatar'
        using errcode = 'insufficient_privilege', constraint = 'users_member_rules';
    end if;
    return new;
  end if;
  if old.id = caller then
    raise exception 'you cannot change your own role or remove yourself'
      using errcode = 'insufficient_privilege', constraint = 'users_member_rules';
  end if;
  -- Owner changes of one tenant run one at a time, and the caller's role is read after
  -- the wait: two owners demoting each other concurrently cannot both succeed.
  perform pg_advisory_xact_lock(hashtextextended('atende.tenant-owners/' || old.tenant_id::text, 0));
  select u.role into caller_role from public.users u where u.id = caller and u.tenant_id = old.tenant_id;
  if caller_role is distinct from 'owner' and caller_role is distinct from 'admin' then
    raise exception 'only the tenant''s owners and admins may change roles or remove members'
      using errcode = 'insufficient_privilege', constraint = 'users_member_rules';
  end if;
  if caller_role <> 'owner' and (old.role = 'owner' or (tg_op = 'UPDATE' and new.role = 'owner')) then
    raise exception 'only an owner may make, change or remove an owner'
      using errcode = 'insufficient_privilege', constraint = 'users_member_rules';
  end if;
  return coalesce(new, old);
end
$$;
-- +goose StatementEnd
revoke execute on function private.enforce_member_rules() from public, anon, authenticated;

create trigger users_member_rules
  before update or delete on public.users
  for each row execute function private.enforce_member_rules();
-- Self-removal is refused by the trigger, with a reason, rather than hidden by the policy.
drop policy users_delete_by_admin on public.users;
create policy users_delete_by_admin on public.users for delete to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- Invitations: admins invite (the invitation records who did, expires on the default
-- date and never makes an owner — invitations_role_check) and revoke pending ones; the
-- database records acceptance. An email that is already a member of the tenant is not
-- invited: they joined already.
revoke insert, update, delete on public.invitations from authenticated;
grant insert (tenant_id, email, role, invited_by_user_id) on public.invitations to authenticated;
grant update (revoked_at) on public.invitations to authenticated;
drop policy invitations_admin_all on public.invitations;
create policy invitations_select_by_admin on public.invitations for select to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));
create policy invitations_insert_by_admin on public.invitations for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin())
    and invited_by_user_id = (select auth.uid()));
create policy invitations_revoke_by_admin on public.invitations for update to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin())
    and accepted_at is null and revoked_at is null)
  with check (tenant_id = (select private.current_tenant_id()) and revoked_at is not null);

-- +goose StatementBegin
create function private.forbid_inviting_members() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if exists (select from public.users u where u.tenant_id = new.tenant_id and u.email = new.email) then
    raise exception '% is already a member of this tenant', new.email
      using errcode = 'unique_violation', constraint = 'invitations_email_not_member';
  end if;
  return new;
end
$$;
-- +goose StatementEnd
revoke execute on function private.forbid_inviting_members() from public, anon, authenticated;

create trigger invitations_email_not_member
  before insert on public.invitations
  for each row execute function private.forbid_inviting_members();

-- Messages: members read the tenant's history and write only their own replies, queued
-- for the provider. Direction, sender, status, provider id and time are the database's
-- to set or the provider's to report (as service_role).
revoke insert on public.messages from authenticated;
grant insert (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, media) on public.messages to authenticated;
drop policy messages_tenant_members on public.messages;
create policy messages_select_members on public.messages for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy messages_insert_own_reply on public.messages for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id())
    and direction = 'outbound' and sender_type = 'user' and sender_user_id = (select auth.uid()));

-- Campaigns: a campaign is written as a draft or scheduled; it runs only by being launched,
-- and once completed or cancelled it is history. Its message, audience and channel are
-- fixed once it runs. The database stamps when it started and ended.
-- +goose StatementBegin
create function private.enforce_campaign_lifecycle() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
    (old.status in ('draft', 'scheduled') and new.status in ('draft', 'scheduled', 'running', 'cancelled'))
    or (old.status = 'running' and new.status in ('completed', 'cancelled'))
  ) then
    raise exception 'a % campaign cannot become %', old.status, new.status
      using errcode = 'check_violation', constraint = 'campaigns_status_transition';
  end if;
  if old.status not in ('draft', 'scheduled')
     and (new.channel, new.message_template, new.audience_filter, new.scheduled_at)
       is distinct from (old.channel, old.message_template, old.audience_filter, old.scheduled_at) then
    raise exception 'a % campaign''s channel, message, audience and schedule cannot change', old.status
      using errcode = 'check_violation', constraint = 'campaigns_content_fixed';
  end if;
  if new.status = 'running' then
    new.started_at := coalesce(old.started_at, now());
  elsif new.status in ('completed', 'cancelled') then
    new.completed_at := coalesce(old.completed_at, now());
  end if;
  return new;
end
$$;
-- +goose StatementEnd
revoke execute on function private.enforce_campaign_lifecycle() from public, anon, authenticated;

create trigger campaigns_lifecycle
  before update on public.campaigns
  for each row execute function private.enforce_campaign_lifecycle();

revoke insert, update on public.campaigns from authenticated;
grant insert (tenant_id, name, channel, status, message_template, audience_filter, scheduled_at) on public.campaigns to authenticated;
grant update (name, status, message_template, audience_filter, scheduled_at, channel, updated_at) on public.campaigns to authenticated;
drop policy campaigns_write_by_admin on public.campaigns;
create policy campaigns_insert_by_admin on public.campaigns for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin())
    and status in ('draft', 'scheduled'));
create policy campaigns_update_by_admin on public.campaigns for update to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()));
create policy campaigns_delete_by_admin on public.campaigns for delete to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- Launching queues one event per recipient; what happened next is the provider's to
-- report (as service_role).
drop policy campaign_events_insert_by_admin on public.campaign_events;
create policy campaign_events_insert_queued_by_admin on public.campaign_events for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin())
    and event_type = 'queued');

-- The assistant's configuration is set (PUT), never removed: the API has no delete.
revoke delete on public.ai_config from authenticated;

-- +goose Down
grant delete on public.ai_config to authenticated;

drop policy campaign_events_insert_queued_by_admin on public.campaign_events;
create policy campaign_events_insert_by_admin on public.campaign_events for insert to authenticated
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

drop policy campaigns_delete_by_admin on public.campaigns;
drop policy campaigns_update_by_admin on public.campaigns;
drop policy campaigns_insert_by_admin on public.campaigns;
create policy campaigns_write_by_admin on public.campaigns for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));
revoke insert, update on public.campaigns from authenticated;
grant insert, update on public.campaigns to authenticated;
drop trigger campaigns_lifecycle on public.campaigns;
drop function private.enforce_campaign_lifecycle();

drop policy messages_insert_own_reply on public.messages;
drop policy messages_select_members on public.messages;
create policy messages_tenant_members on public.messages for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));
revoke insert on public.messages from authenticated;
grant insert on public.messages to authenticated;

drop trigger invitations_email_not_member on public.invitations;
drop function private.forbid_inviting_members();
drop policy invitations_revoke_by_admin on public.invitations;
drop policy invitations_insert_by_admin on public.invitations;
drop policy invitations_select_by_admin on public.invitations;
create policy invitations_admin_all on public.invitations for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));
revoke insert, update on public.invitations from authenticated;
grant insert, update, delete on public.invitations to authenticated;

drop policy users_delete_by_admin on public.users;
create policy users_delete_by_admin on public.users for delete to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()) and id <> (select auth.uid()));
drop trigger users_member_rules on public.users;
drop function private.enforce_member_rules();
