-- Contacts search that finds what people type: accents and case ignored ("jose" finds
-- "José Álvares"), and a phone typed in any format found by its digits ("(11)
-- 98765-4321" finds +5511987654321). ContactList matches search_text with LIKE patterns
-- under a trigram index; the knowledge base's search needs no schema change (its ranked,
-- prefix OR query is built by the API over the existing tsvector).

-- +goose Up

-- unaccent() is STABLE (it reads its dictionary through the search_path), so it cannot
-- appear in a generated column. Naming the dictionary by schema makes the result depend
-- only on the argument: IMMUTABLE holds as long as the dictionary's rules file does not
-- change (if it does, rewrite search_text: update contacts set name = name).
create function private.unaccent_immutable(value text) returns text
language sql immutable strict parallel safe
set search_path = ''
as $$
  select extensions.unaccent('extensions.unaccent'::regdictionary, value)
$$;
revoke execute on function private.unaccent_immutable(text) from public, anon;
grant execute on function private.unaccent_immutable(text) to authenticated, service_role;

-- What ?q= searches: the name and email without accents, lower-cased, then the phone's
-- digits alone (E.164 without its "+"), so that a query reduced to its digits finds the
-- phone. PostgreSQL 15 cannot change a generated column's expression: it is dropped
-- (its index with it) and added again.
alter table public.contacts drop column search_text;
alter table public.contacts add column search_text text not null generated always as (
  lower(private.unaccent_immutable(coalesce(name, '') || ' ' || coalesce(email, '')))
  || ' ' || regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')
) stored;
-- Trigrams answer LIKE '%…%' at any position, prefixes included; tenant_id leads (btree_gin).
create index contacts_tenant_id_search_text_idx on public.contacts
  using gin (tenant_id, search_text extensions.gin_trgm_ops);

-- +goose Down
alter table public.contacts drop column search_text;
alter table public.contacts add column search_text text not null generated always as (
  lower(coalesce(name, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, ''))
) stored;
create index contacts_tenant_id_search_text_idx on public.contacts
  using gin (tenant_id, search_text extensions.gin_trgm_ops);
drop function private.unaccent_immutable(text);
