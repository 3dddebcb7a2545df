-- Supabase compatibility. On a Supabase project the roles and the auth schema already
-- exist and every step below that touches them is skipped; on plain PostgreSQL it creates
-- stand-ins with Supabase's names, types and function bodies, so the same migrations and
-- the same code run on both.

-- +goose Up
-- +goose StatementBegin
do $$
begin
  -- Supabase's API roles. Guarded by existence checks (they are cluster-wide) and by
  -- duplicate_object, because parallel test databases may migrate at the same moment.
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
exception when duplicate_object then
  null;
end
$$;
-- +goose StatementEnd

-- +goose StatementBegin
do $$
begin
  -- The backend's login role (PostgREST's "authenticator" pattern): it owns nothing and
  -- is granted nothing, so a request that forgets to switch to authenticated or
  -- service_role fails with "permission denied". Operators set its password.
  if not exists (select from pg_catalog.pg_roles where rolname = 'atende_app') then
    create role atende_app login noinherit;
  end if;
exception when duplicate_object then
  null;
end
$$;
-- +goose StatementEnd

-- +goose StatementBegin
do $$
begin
  grant authenticated, service_role to atende_app;
exception when insufficient_privilege then
  -- Hosted Supabase may refuse role grants to its postgres role; the README gives the
  -- one-time statement to run in the dashboard instead.
  raise warning 'could not grant authenticated, service_role to atende_app: run it as an administrator (see README)';
end
$$;
-- +goose StatementEnd

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists btree_gin with schema extensions;
create extension if not exists pg_trgm with schema extensions;
create extension if not exists unaccent with schema extensions;

grant usage on schema public to anon, authenticated, service_role;

-- +goose StatementBegin
do $$
begin
  if to_regclass('auth.users') is not null then
    return; -- Supabase Auth owns the auth schema: leave it exactly as it is.
  end if;

  create schema if not exists auth;
  grant usage on schema auth to anon, authenticated, service_role;

  -- Columns, types and defaults as Supabase Auth's migrations create them.
  create table auth.users (
    instance_id uuid,
    id uuid not null primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text unique default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0 check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false
  );
  create unique index users_email_partial_key on auth.users (email) where (is_sso_user = false);
  comment on table auth.users is 'atende stand-in for Supabase Auth';

  create table auth.identities (
    provider_id text not null,
    user_id uuid not null references auth.users (id) on delete cascade,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid not null default gen_random_uuid() primary key,
    constraint identities_provider_id_provider_unique unique (provider_id, provider)
  );
  create index identities_user_id_idx on auth.identities (user_id);

  -- Function bodies as in Supabase: the claims come from PostgREST's settings, the
  -- legacy per-claim setting first.
  create function auth.uid() returns uuid language sql stable as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
  $fn$;
  create function auth.role() returns text language sql stable as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim.role', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
  $fn$;
  create function auth.jwt() returns jsonb language sql stable as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim', true), ''),
      nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
  $fn$;
  grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;
end
$$;
-- +goose StatementEnd

-- Functions that RLS policies and triggers call live here: clients cannot call them
-- through the API (PostgREST exposes public only) and EXECUTE is granted per function.
create schema private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Time-ordered UUIDv7 (RFC 9562) for ids generated inside the database, so big tables
-- append to the right of their primary-key index.
create function private.uuid_v7() returns uuid
language sql volatile parallel safe
set search_path = ''
as $$
  select encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
revoke execute on function private.uuid_v7() from public, anon;
grant execute on function private.uuid_v7() to authenticated, service_role;

-- +goose Down
drop schema private cascade;

-- +goose StatementBegin
do $$
begin
  -- Only a stand-in this project created is removed; Supabase Auth's schema never is.
  if obj_description('auth.users'::regclass, 'pg_class') = 'atende stand-in for Supabase Auth' then
    drop schema auth cascade;
  end if;
exception when undefined_table then
  null;
end
$$;
-- +goose StatementEnd

-- Roles are cluster-wide (other databases on the server use them) and the extensions may
-- predate this project, so neither is dropped.
