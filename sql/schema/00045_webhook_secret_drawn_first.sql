-- Citus refuses a volatile function in an UPDATE of its tables (tenant_secrets is a
-- reference table there), and private.rotate_webhook_secret (00019) drew the new secret
-- inside its UPDATE. The secret is drawn first now and written as a value.

-- +goose Up
-- +goose StatementBegin
create or replace function private.rotate_webhook_secret(tenant uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  secret text := encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex');
begin
  if tenant is distinct from private.current_tenant_id() or not private.is_tenant_admin() then
    raise exception 'only the tenant''s owners and admins may rotate its webhook secret'
      using errcode = 'insufficient_privilege', constraint = 'tenant_secrets_rotate_by_admin';
  end if;
  update public.tenant_secrets set
    previous_webhook_secret = webhook_secret,
    previous_valid_until = now() + interval '24 hours',
    webhook_secret = secret,
    updated_at = now()
  where tenant_id = tenant;
end
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
create or replace function private.rotate_webhook_secret(tenant uuid) returns void
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
