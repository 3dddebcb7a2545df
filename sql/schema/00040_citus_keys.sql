-- Keys that Citus can distribute (docs/scaling.md), the same on a single node. Citus
-- refuses a foreign key whose action writes the distribution column's neighbours — ON
-- DELETE SET NULL and ON UPDATE CASCADE when the key includes tenant_id — and a
-- reference table (users) that references a table it does not manage (auth.users). So
-- these keys only check now, and what their actions did is done by triggers, each
-- touching one tenant's rows through its tenant_id-leading index:
--
-- * a profile goes with its auth user: auth.users' delete trigger deletes it;
-- * a removed member's leads, conversations and replies lose their reference to them
--   before the profile row goes (private.detach_user);
-- * a deleted campaign's messages lose their reference to it before it goes;
-- * a conversation's channel is never changed by anyone, so messages need no cascade.
--
-- On Citus users is a reference table, copied to every node, and its triggers fire on
-- every copy; a trigger there may write only the rows its own node holds. So each node
-- detaches the user from the tenant's rows it holds (private.holds_tenant: every tenant
-- on a single node), and the tenantless profile that replaces a removed member's
-- (00012) is not made on Citus, where no copy's trigger may write the others: there the
-- removed member has no profile until they join a tenant again.

-- +goose Up
alter table public.users drop constraint users_id_fkey;

alter table public.leads_pipeline drop constraint leads_pipeline_tenant_id_owner_user_id_fkey,
  add constraint leads_pipeline_tenant_id_owner_user_id_fkey
    foreign key (tenant_id, owner_user_id) references public.users (tenant_id, id);
alter table public.conversations drop constraint conversations_tenant_id_assigned_user_id_fkey,
  add constraint conversations_tenant_id_assigned_user_id_fkey
    foreign key (tenant_id, assigned_user_id) references public.users (tenant_id, id);
alter table public.messages drop constraint messages_tenant_id_sender_user_id_fkey,
  add constraint messages_tenant_id_sender_user_id_fkey
    foreign key (tenant_id, sender_user_id) references public.users (tenant_id, id);
alter table public.messages drop constraint messages_tenant_id_conversation_id_channel_fkey,
  add constraint messages_tenant_id_conversation_id_channel_fkey
    foreign key (tenant_id, conversation_id, channel) references public.conversations (tenant_id, id, channel) on delete cascade;
alter table public.messages drop constraint messages_tenant_id_campaign_id_fkey,
  add constraint messages_tenant_id_campaign_id_fkey
    foreign key (tenant_id, campaign_id) references public.campaigns (tenant_id, id);

-- +goose StatementBegin
create function private.holds_tenant(tenant uuid) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  held boolean := true;
begin
  if to_regclass('pg_catalog.pg_dist_local_group') is not null then
    execute 'select exists (select from pg_catalog.pg_dist_placement p join pg_catalog.pg_dist_local_group l using (groupid)
      where p.shardid = pg_catalog.get_shard_id_for_distribution_column(''public.contacts'', $1))' into held using tenant;
  end if;
  return held;
end
$$;

create or replace function private.keep_profile_after_removal() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if to_regclass('pg_catalog.pg_dist_partition') is not null then
    return null;
  end if;
  -- When the auth user itself is being deleted, its row is already gone.
  insert into public.users (id, email, full_name, avatar_url)
  select old.id, old.email, old.full_name, old.avatar_url
  where old.tenant_id is not null and exists (select from auth.users where id = old.id)
  on conflict (id) do nothing;
  return null;
end
$$;

create function private.delete_profile_of_deleted_account() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  delete from public.users where id = old.id;
  return null;
end
$$;

create function private.detach_user() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.tenant_id is not null and private.holds_tenant(old.tenant_id) then
    update public.leads_pipeline set owner_user_id = null where tenant_id = old.tenant_id and owner_user_id = old.id;
    update public.conversations set assigned_user_id = null where tenant_id = old.tenant_id and assigned_user_id = old.id;
    update public.messages set sender_user_id = null where tenant_id = old.tenant_id and sender_user_id = old.id;
  end if;
  return old;
end
$$;

create function private.detach_campaign() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.messages set campaign_id = null where tenant_id = old.tenant_id and campaign_id = old.id;
  return old;
end
$$;
-- +goose StatementEnd
revoke execute on function private.holds_tenant(uuid), private.delete_profile_of_deleted_account(), private.detach_user(),
  private.detach_campaign() from public, anon, authenticated;

create trigger on_auth_user_deleted after delete on auth.users
  for each row execute function private.delete_profile_of_deleted_account();
-- Named to run after users_member_rules, which may refuse the delete.
create trigger users_zz_detach before delete on public.users
  for each row execute function private.detach_user();
create trigger campaigns_detach before delete on public.campaigns
  for each row execute function private.detach_campaign();

-- +goose Down
drop trigger campaigns_detach on public.campaigns;
drop trigger users_zz_detach on public.users;
drop trigger on_auth_user_deleted on auth.users;
drop function private.detach_campaign();
drop function private.detach_user();
drop function private.delete_profile_of_deleted_account();

-- +goose StatementBegin
create or replace function private.keep_profile_after_removal() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  -- When the auth user itself is being deleted, its row is already gone.
  insert into public.users (id, email, full_name, avatar_url)
  select old.id, old.email, old.full_name, old.avatar_url
  where old.tenant_id is not null and exists (select from auth.users where id = old.id)
  on conflict (id) do nothing;
  return null;
end
$$;
-- +goose StatementEnd
drop function private.holds_tenant(uuid);

alter table public.messages drop constraint messages_tenant_id_campaign_id_fkey,
  add constraint messages_tenant_id_campaign_id_fkey
    foreign key (tenant_id, campaign_id) references public.campaigns (tenant_id, id) on delete set null (campaign_id);
alter table public.messages drop constraint messages_tenant_id_conversation_id_channel_fkey,
  add constraint messages_tenant_id_conversation_id_channel_fkey
    foreign key (tenant_id, conversation_id, channel) references public.conversations (tenant_id, id, channel) on delete cascade on update cascade;
alter table public.messages drop constraint messages_tenant_id_sender_user_id_fkey,
  add constraint messages_tenant_id_sender_user_id_fkey
    foreign key (tenant_id, sender_user_id) references public.users (tenant_id, id) on delete set null (sender_user_id);
alter table public.conversations drop constraint conversations_tenant_id_assigned_user_id_fkey,
  add constraint conversations_tenant_id_assigned_user_id_fkey
    foreign key (tenant_id, assigned_user_id) references public.users (tenant_id, id) on delete set null (assigned_user_id);
alter table public.leads_pipeline drop constraint leads_pipeline_tenant_id_owner_user_id_fkey,
  add constraint leads_pipeline_tenant_id_owner_user_id_fkey
    foreign key (tenant_id, owner_user_id) references public.users (tenant_id, id) on delete set null (owner_user_id);

alter table public.users add constraint users_id_fkey foreign key (id) references auth.users (id) on delete cascade;
