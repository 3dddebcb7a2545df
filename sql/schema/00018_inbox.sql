-- The inbox as a client draws it: each conversation with its contact's name, phone and
-- picture and its last message, in one query; and "what changed since" for clients that
-- poll instead of following the event stream.

-- +goose Up
-- A contact's picture (a WhatsApp profile photo, say): https only, as for every image
-- the tenant's pages load.
alter table public.contacts add column avatar_url text
  constraint contacts_avatar_url_https check (avatar_url ~ '^https://' and length(avatar_url) <= 2048);

create index conversations_tenant_id_updated_at_id_idx on public.conversations (tenant_id, updated_at, id);

-- +goose Down
drop index public.conversations_tenant_id_updated_at_id_idx;
alter table public.contacts drop column avatar_url;
