-- The webhook secret can be rotated without losing deliveries: after a rotation the
-- previous secret keeps verifying for a grace period (24 hours), long enough for the
-- channel provider's configuration to be updated.

-- +goose Up
alter table public.tenant_secrets
  add column previous_webhook_secret text,
  add column previous_valid_until timestamptz;

-- A new secret for the caller's tenant (owners and admins), the current one kept for the
-- grace period. Runs as its owner because members may only read tenant_secrets.
-- +goose StatementBegin
create function private.rotate_webhook_secret(tenant uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  if tenant is distinct from private.current_tenant_id() or not private.is_tenant_admin() then
    raise exception 'only the tenant''s owners and admins may rotate its webhook secret'
      using errcode = 'insufficient_privilege', constraint = 'tenant_secrets_rotate_by_admin';
  end if;
  update public.tenant_secrets set
    previous_webhook_secret = webhook_secret,
    previous_valid_until = now() + interval '24 hours',
    webhook_secret = encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex'),
    updated_at = now()
  where tenant_id = tenant;
end
$$;
-- +goose StatementEnd
revoke execute on function private.rotate_webhook_secret(uuid) from public, anon;
grant execute on function private.rotate_webhook_secret(uuid) to authenticated;

-- +goose Down
drop function private.rotate_webhook_secret(uuid);
alter table public.tenant_secrets drop column previous_valid_until, drop column previous_webhook_secret;
