-- The people a tenant talks to.

-- +goose Up
create table public.contacts (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  name text check (length(name) <= 500),
  -- E.164; the backend normalises before writing.
  phone text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text check (length(email) <= 320),
  tags text[] not null default '{}',
  custom_fields jsonb not null default '{}' check (jsonb_typeof(custom_fields) = 'object'),
  -- What ?q= searches: name, phone and email, lower-cased, under a trigram index.
  search_text text not null generated always as (lower(coalesce(name, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, ''))) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint contacts_tenant_id_phone_key unique (tenant_id, phone)
);
create index contacts_tenant_id_created_at_id_idx on public.contacts (tenant_id, created_at, id);
create index contacts_tenant_id_search_text_idx on public.contacts using gin (tenant_id, search_text extensions.gin_trgm_ops);
create index contacts_tenant_id_tags_idx on public.contacts using gin (tenant_id, tags);

alter table public.contacts enable row level security;
revoke all on public.contacts from anon, authenticated;
grant select, insert, update, delete on public.contacts to authenticated, service_role;
create policy contacts_tenant_members on public.contacts for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.contacts;
