-- The knowledge base the assistant answers from, searched in Portuguese.

-- +goose Up
-- Portuguese stemming that also ignores accents: "implantes dentarios" finds
-- "Implantes dentários".
create text search configuration public.portuguese_unaccent (copy = pg_catalog.portuguese);
alter text search configuration public.portuguese_unaccent
  alter mapping for hword, hword_part, word with extensions.unaccent, pg_catalog.portuguese_stem;

create table public.knowledge_documents (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default private.uuid_v7(),
  title text not null check (length(title) between 1 and 500),
  content text not null default '',
  source_url text check (length(source_url) <= 2048),
  tags text[] not null default '{}',
  -- Title weighs more than body. The body is indexed up to 200,000 characters, which keeps
  -- a tsvector under its 1 MB limit; the content itself is stored whole.
  search tsvector not null generated always as (
    setweight(to_tsvector('public.portuguese_unaccent'::regconfig, title), 'A')
    || setweight(to_tsvector('public.portuguese_unaccent'::regconfig, left(content, 200000)), 'B')
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index knowledge_documents_tenant_id_search_idx on public.knowledge_documents using gin (tenant_id, search);
create index knowledge_documents_tenant_id_created_at_id_idx on public.knowledge_documents (tenant_id, created_at, id);

alter table public.knowledge_documents enable row level security;
revoke all on public.knowledge_documents from anon, authenticated;
grant select, insert, update, delete on public.knowledge_documents to authenticated, service_role;
create policy knowledge_documents_tenant_members on public.knowledge_documents for all to authenticated
  using (tenant_id = (select private.current_tenant_id()))
  with check (tenant_id = (select private.current_tenant_id()));

-- +goose Down
drop table public.knowledge_documents;
drop text search configuration public.portuguese_unaccent;
