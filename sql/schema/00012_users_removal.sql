-- Removing a member from a tenant deletes their profile row (the composite keys that
-- point at it become null); the person keeps their account, so a tenantless profile
-- takes its place, as the signup trigger would have made it.

-- +goose Up
-- +goose StatementBegin
create function private.keep_profile_after_removal() returns trigger
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
revoke execute on function private.keep_profile_after_removal() from public, anon, authenticated;

create trigger users_keep_profile_after_removal
  after delete on public.users
  for each row execute function private.keep_profile_after_removal();

-- +goose Down
drop trigger users_keep_profile_after_removal on public.users;
drop function private.keep_profile_after_removal();
