-- On Citus the policies of distributed and reference tables run on the workers, in the
-- connections Citus opens there for the transaction, which carry the transaction's SET
-- LOCAL commands (citus.propagate_set_commands = local, set by server distribute) and
-- nothing that set_config wrote. So on a Citus coordinator the backend calls
-- private.share_caller() right after switching role: it fills the caller memo (00032)
-- here, where users and tenants are read without a nested distributed query, and
-- repeats the claims and the memo as SET LOCAL, so that a worker's helpers find the memo
-- and read no table. Elsewhere it does nothing.

-- +goose Up
-- +goose StatementBegin
create function private.share_caller() returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  if current_setting('citus.propagate_set_commands', true) is distinct from 'local' then
    return;
  end if;
  if current_user in ('authenticated', 'service_role') then -- anon has no caller to remember
    perform private.caller_memo();
  end if;
  execute format('set local request.jwt.claims = %L', coalesce(current_setting('request.jwt.claims', true), ''));
  execute format('set local request.jwt.claim.sub = %L', coalesce(current_setting('request.jwt.claim.sub', true), ''));
  execute format('set local atende.caller_for = %L', coalesce(current_setting('atende.caller_for', true), ''));
  execute format('set local atende.caller = %L', coalesce(current_setting('atende.caller', true), ''));
end
$$;
-- +goose StatementEnd
revoke execute on function private.share_caller() from public, anon;
grant execute on function private.share_caller() to authenticated, service_role;

-- +goose Down
drop function private.share_caller();
