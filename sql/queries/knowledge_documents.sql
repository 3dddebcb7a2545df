-- Queries name their columns: the search vector stays in the database.

-- name: KnowledgeDocumentCreate :one
insert into knowledge_documents (tenant_id, title, content, source_url, tags)
values (@tenant_id::uuid, @title::text, @content::text, sqlc.narg(source_url)::text, @tags::text[])
returning tenant_id, id, title, content, source_url, tags, created_at, updated_at;

-- name: KnowledgeDocumentGet :one
select tenant_id, id, title, content, source_url, tags, created_at, updated_at
from knowledge_documents where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: KnowledgeDocumentList :many
select tenant_id, id, title, content, source_url, tags, created_at, updated_at
from knowledge_documents
where tenant_id = @tenant_id::uuid
  and (sqlc.narg(before_created_at)::timestamptz is null
    or (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
order by created_at desc, id desc
limit @row_limit::integer;

-- name: KnowledgeDocumentUpdate :one
update knowledge_documents set
  title = coalesce(sqlc.narg(title)::text, title),
  content = coalesce(sqlc.narg(content)::text, content),
  source_url = case when @set_source_url::boolean then sqlc.narg(source_url)::text else source_url end,
  tags = coalesce(sqlc.narg(tags)::text[], tags),
  updated_at = now()
where tenant_id = @tenant_id::uuid and id = @id::uuid
returning tenant_id, id, title, content, source_url, tags, created_at, updated_at;

-- name: KnowledgeDocumentDelete :execrows
delete from knowledge_documents where tenant_id = @tenant_id::uuid and id = @id::uuid;

-- name: KnowledgeDocumentSearch :many
-- Ranked, web-style Portuguese search, accents ignored. The API turns what a person typed
-- into terms, each one word matched as a prefix ('clarea:*' finds "Clareamento") or one
-- quoted phrase ('dente <-> siso'), and exclusions (the words or phrases after a '-'),
-- written only with letters, digits and the operators it adds itself. A document
-- matches when it has any term (so "quanto custa clareamento" finds a document without
-- "quanto") and no exclusion. Best first: documents matching more terms, then those
-- whose title matches, then by rank; rank alone would let a body that repeats one word
-- often outrank a title that names it, or a document with every word.
-- The snippet is the body around the matched words, each between « and »: ts_headline
-- parses the body (up to the 200,000 characters that are indexed), so it runs on the
-- page only (the outer select). The body's own « and » become ‹ and › there, so that
-- « and » in a snippet are always the markers.
select p.tenant_id, p.id, p.title, p.content, p.source_url, p.tags, p.created_at, p.updated_at, p.rank,
  ts_headline('public.portuguese_unaccent'::regconfig, translate(left(p.content, 200000), '«»', '‹›'), p.query,
    'StartSel=«, StopSel=», MaxFragments=2, MaxWords=20, MinWords=8, FragmentDelimiter=" … "')::text as snippet
from (
  select d.tenant_id, d.id, d.title, d.content, d.source_url, d.tags, d.created_at, d.updated_at, query,
    ts_rank_cd(d.search, query)::real as rank,
    (select count(*) from unnest(terms.queries) term where d.search @@ term) as terms_matched,
    ts_filter(d.search, '{a}') @@ query as title_matches
  from knowledge_documents d,
    -- No terms is a null query, which matches nothing (and no exclusions one that
    -- excludes nothing: the coalesce below); an empty string would raise a NOTICE.
    to_tsquery('public.portuguese_unaccent'::regconfig, nullif(array_to_string(@terms::text[], ' | '), '')) query,
    to_tsquery('public.portuguese_unaccent'::regconfig, nullif(array_to_string(@exclusions::text[], ' | '), '')) excluded,
    -- Each term once per search, to count the terms a document matches.
    (select array_agg(to_tsquery('public.portuguese_unaccent'::regconfig, term)) as queries
      from unnest(@terms::text[]) term) terms
  where d.tenant_id = @tenant_id::uuid and d.search @@ query and not coalesce(d.search @@ excluded, false)
  order by terms_matched desc, title_matches desc, rank desc, d.id
  limit @row_limit::integer
) p
order by p.terms_matched desc, p.title_matches desc, p.rank desc, p.id;
