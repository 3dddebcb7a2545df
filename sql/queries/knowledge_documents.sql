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
-- Portuguese full-text search (web-search syntax, accents ignored), best match first:
-- documents whose title alone matches the query, then the others, each by rank. Rank
-- alone would let a body that repeats a word often outrank a title that names it.
select d.tenant_id, d.id, d.title, d.content, d.source_url, d.tags, d.created_at, d.updated_at,
  ts_rank_cd(d.search, query)::real as rank
from knowledge_documents d,
  websearch_to_tsquery('public.portuguese_unaccent'::regconfig, @query::text) query
where d.tenant_id = @tenant_id::uuid and d.search @@ query
order by ts_filter(d.search, '{a}') @@ query desc, rank desc, d.id
limit @row_limit::integer;
