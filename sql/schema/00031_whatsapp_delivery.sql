-- Sending through the WhatsApp Cloud API: each tenant's business phone number and its
-- access token, a per-number rate limit shared by every process, and what a message
-- records of its delivery (why it failed; the campaign that sent it).

-- +goose Up

-- A tenant's account on a channel; today WhatsApp only. Meta's webhooks name only the
-- phone number id, so a number belongs to one tenant across the platform
-- (channel_accounts_phone_number_id_key, the one unique index without tenant_id: a
-- reference table under Citus). The API checks with the Graph API that the token can use
-- the number before storing it, so nobody claims a number that is not theirs.
create table public.channel_accounts (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  channel public.channel not null check (channel = 'whatsapp'),
  phone_number_id text not null check (phone_number_id ~ '^[0-9]{1,64}$'),
  display_phone_number text check (length(display_phone_number) between 1 and 64),
  -- Write-only for members: no select grant on this column but service_role's.
  access_token text not null check (length(access_token) between 1 and 4096),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, channel)
);
create unique index channel_accounts_phone_number_id_key on public.channel_accounts (phone_number_id);

alter table public.channel_accounts enable row level security;
revoke all on public.channel_accounts from anon, authenticated;
grant select, insert, update, delete on public.channel_accounts to service_role;
grant select (tenant_id, channel, phone_number_id, display_phone_number, created_at, updated_at) on public.channel_accounts to authenticated;
grant insert (tenant_id, channel, phone_number_id, display_phone_number, access_token) on public.channel_accounts to authenticated;
grant update (phone_number_id, display_phone_number, access_token, updated_at) on public.channel_accounts to authenticated;
grant delete on public.channel_accounts to authenticated;
create policy channel_accounts_admins on public.channel_accounts for all to authenticated
  using (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()))
  with check (tenant_id = (select private.current_tenant_id()) and (select private.is_tenant_admin()));

-- The send rate of each phone number as a token bucket: tokens refill at the configured
-- rate up to a burst. Every process takes from the same row, so the limit holds for the
-- platform, not per process.
create table private.send_buckets (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  phone_number_id text not null,
  tokens double precision not null,
  refilled_at timestamptz not null,
  primary key (tenant_id, phone_number_id)
);
revoke all on private.send_buckets from public, anon, authenticated;
grant select, insert, update on private.send_buckets to service_role;

-- Takes a token for one send from the number's bucket, refilled at rate per second up to
-- burst, if more than keep would be left: replies pass keep = 0, campaign sends keep
-- some tokens back, so that a reply never waits behind a campaign. Returns 0 when a
-- token was taken, else the seconds until one can be. The row lock orders concurrent
-- takers; time is read once the lock is held, so the refill never counts a wait twice.
-- +goose StatementBegin
create function private.take_send_token(p_tenant_id uuid, p_phone_number_id text, rate double precision,
  burst double precision, keep double precision) returns double precision
language plpgsql
set search_path = ''
as $$
declare
  bucket private.send_buckets;
  now_at timestamptz;
  available double precision;
begin
  insert into private.send_buckets (tenant_id, phone_number_id, tokens, refilled_at)
  values (p_tenant_id, p_phone_number_id, burst, clock_timestamp())
  on conflict do nothing;
  select * into strict bucket from private.send_buckets
  where tenant_id = p_tenant_id and phone_number_id = p_phone_number_id for update;
  now_at := clock_timestamp();
  available := least(burst, bucket.tokens + greatest(0, extract(epoch from now_at - bucket.refilled_at)) * rate);
  if available < keep + 1 then
    return (keep + 1 - available) / rate;
  end if;
  update private.send_buckets set tokens = available - 1, refilled_at = now_at
  where tenant_id = p_tenant_id and phone_number_id = p_phone_number_id;
  return 0;
end
$$;
-- +goose StatementEnd
revoke execute on function private.take_send_token(uuid, text, double precision, double precision, double precision) from public, anon, authenticated;
grant execute on function private.take_send_token(uuid, text, double precision, double precision, double precision) to service_role;

-- Why a message failed, in the provider's words; the campaign a message was sent for
-- (one message per campaign and conversation, so a repeated dispatch sends nothing
-- twice). Members may write neither: their insert grant names its columns.
alter table public.messages
  add column status_reason text check (length(status_reason) <= 1000),
  add column campaign_id uuid;
alter table public.messages add constraint messages_tenant_id_campaign_id_fkey
  foreign key (tenant_id, campaign_id) references public.campaigns (tenant_id, id) on delete set null (campaign_id);
create unique index messages_tenant_id_campaign_id_conversation_id_key on public.messages (tenant_id, campaign_id, conversation_id)
  where campaign_id is not null;

-- When a launch's last recipient got its message: the campaign completes once, after
-- that, none of its messages is queued.
alter table public.campaigns add column dispatched_at timestamptz;

-- Nothing sent the replies stored before this migration, and V1.5's queued messages were
-- never sent either: they are failed, with the reason, rather than left queued forever
-- (no job will ever send them: a job is queued only with the message that needs it).
select set_config('atende.events', 'off', true);
update public.messages set status = 'failed', status_reason = 'not sent before migration'
where direction = 'outbound' and status = 'queued';

-- +goose Down
alter table public.campaigns drop column dispatched_at;
drop index public.messages_tenant_id_campaign_id_conversation_id_key;
alter table public.messages drop column campaign_id, drop column status_reason;
drop function private.take_send_token(uuid, text, double precision, double precision, double precision);
drop table private.send_buckets;
drop table public.channel_accounts;
