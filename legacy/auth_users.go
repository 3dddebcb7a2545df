package legacy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The importer's SQL on auth.users and auth.identities is written here by hand, not in
// sql/queries: sqlc does not see the auth schema, which migration 00001 creates only
// where Supabase has not (inside a DO block). auth.users has no tenant_id: each query
// names the tenant through the app metadata the import writes (raw_app_meta_data ->>
// 'tenant_id'), or the profile's tenant_id.

// existingAccounts finds the auth users that already have one of emails, with their
// profile's tenant: an email belongs to one account, of whichever tenant.
func existingAccounts(ctx context.Context, tx pgx.Tx, emails []string) (map[string]account, error) {
	rows, err := tx.Query(ctx, `
		select lower(u.email), u.id, p.tenant_id
		from auth.users u left join public.users p on p.id = u.id
		where lower(u.email) = any($1)`, emails)
	if err != nil {
		return nil, fmt.Errorf("find existing accounts: %w", err)
	}
	defer rows.Close()
	accounts := map[string]account{}
	for rows.Next() {
		var email string
		var a account
		if err := rows.Scan(&email, &a.id, &a.tenantID); err != nil {
			return nil, fmt.Errorf("find existing accounts: %w", err)
		}
		accounts[email] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find existing accounts: %w", err)
	}
	return accounts, nil
}

// usersByID reads the tenant's users of ids as the import writes them: the auth user
// and its profile's role.
func usersByID(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, ids []uuid.UUID) ([]userRow, error) {
	rows, err := tx.Query(ctx, `
		select u.id, u.email, u.encrypted_password, u.raw_user_meta_data ->> 'full_name', p.role::text, u.banned_until, u.created_at
		from auth.users u join public.users p on p.id = u.id and p.tenant_id = $1
		where u.id = any($2)`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (userRow, error) {
		var u userRow
		err := row.Scan(&u.id, &u.email, &u.passwordHash, &u.fullName, &u.role, &u.bannedUntil, &u.createdAt)
		return u, err
	})
}

// userRecord is a user as LegacyProfilesUpdate and updateUsers read it.
type userRecord struct {
	ID                uuid.UUID  `json:"id"`
	Email             string     `json:"email"`
	EncryptedPassword string     `json:"encrypted_password"`
	FullName          *string    `json:"full_name"`
	Role              string     `json:"role"`
	BannedUntil       *time.Time `json:"banned_until"`
}

// updateUsers writes users over the tenant's (a sync): the auth user as the import writes
// it, its email identity, and the profile's role and name (the profile's email follows
// the auth user's through the schema's trigger).
func (t *tenantRows) updateUsers(ctx context.Context, users []*userRow) error {
	rows := make([]userRecord, len(users))
	for i, u := range users {
		rows[i] = userRecord{ID: u.id, Email: u.email, EncryptedPassword: u.passwordHash, FullName: u.fullName, Role: u.role}
		if u.bannedUntil != nil {
			banned := pgTime(*u.bannedUntil)
			rows[i].BannedUntil = &banned
		}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode rows: %w", err)
	}
	_, err = t.tx.Exec(ctx, `
		with identities as (
			update auth.identities i set identity_data = jsonb_set(i.identity_data, '{email}', to_jsonb(f.email))
			from jsonb_to_recordset($1::jsonb) as f (id uuid, email text)
			where i.user_id = f.id and i.provider = 'email' and i.identity_data ->> 'email' is distinct from f.email
		)
		update auth.users u set email = f.email, encrypted_password = f.encrypted_password,
			raw_user_meta_data = case when f.full_name is null then u.raw_user_meta_data - 'full_name'
				else jsonb_set(u.raw_user_meta_data, '{full_name}', to_jsonb(f.full_name)) end,
			raw_app_meta_data = jsonb_set(u.raw_app_meta_data, '{tenant_role}', to_jsonb(f.role)),
			banned_until = f.banned_until, updated_at = now()
		from jsonb_to_recordset($1::jsonb) as f (id uuid, email text, encrypted_password text, full_name text,
			role text, banned_until timestamptz)
		where u.id = f.id and u.raw_app_meta_data ->> 'tenant_id' = $2::text`, doc, t.id)
	if err != nil {
		return err
	}
	// The same records: the profile's query reads their id, role and full_name.
	return t.q.LegacyProfilesUpdate(ctx, db.LegacyProfilesUpdateParams{Rows: doc, TenantID: t.id})
}

// userCopies are the COPYs of new users: into staging tables shaped like auth.users and
// auth.identities, from which the users this tenant does not have yet move in (the
// on_auth_user_created trigger then makes each profile in the tenant).
func userCopies(tenantID uuid.UUID, users []*userRow) []copyTable {
	return []copyTable{
		{
			legacy: usersTable.name, target: "auth.users", count: len(users),
			// Shaped as Supabase Auth writes a confirmed email user. The token columns are
			// '' rather than NULL: Supabase Auth cannot read NULL there.
			columns: []string{"instance_id", "id", "aud", "role", "email", "encrypted_password", "email_confirmed_at",
				"confirmation_token", "recovery_token", "email_change_token_new", "email_change",
				"raw_app_meta_data", "raw_user_meta_data", "is_super_admin", "created_at", "updated_at",
				"banned_until", "is_sso_user", "is_anonymous"},
			row: func(i int) []any {
				u := users[i]
				return []any{pgUUID(uuid.Nil), pgUUID(u.id), "authenticated", "authenticated", u.email, u.passwordHash, u.createdAt,
					"", "", "", "", appMetadata(tenantID, u.role), userMetadata(u.fullName), false, u.createdAt, u.createdAt,
					u.bannedUntil, false, false}
			},
			// auth.users has no tenant_id: the tenant is in the app metadata.
			insert: `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
					confirmation_token, recovery_token, email_change_token_new, email_change,
					raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
					banned_until, is_sso_user, is_anonymous)
				select instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
					confirmation_token, recovery_token, email_change_token_new, email_change,
					raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
					banned_until, is_sso_user, is_anonymous
				from %s where raw_app_meta_data ->> 'tenant_id' = $1::text
				on conflict (id) do nothing
				returning id`,
		},
		{
			legacy: usersTable.name, target: "auth.identities", count: len(users),
			// As Supabase Auth writes an email identity: provider_id is the user id.
			columns: []string{"id", "provider_id", "user_id", "identity_data", "provider", "created_at", "updated_at"},
			row: func(i int) []any {
				u := users[i]
				return []any{pgUUID(u.identityID), u.id.String(), pgUUID(u.id), identityData(u), "email", u.createdAt, u.createdAt}
			},
			insert: `insert into auth.identities (id, provider_id, user_id, identity_data, provider, created_at, updated_at)
				select s.id, s.provider_id, s.user_id, s.identity_data, s.provider, s.created_at, s.updated_at
				from %s s
				join auth.users u on u.id = s.user_id and u.raw_app_meta_data ->> 'tenant_id' = $1::text
				on conflict do nothing
				returning id`,
		},
	}
}

func appMetadata(tenantID uuid.UUID, role string) json.RawMessage {
	doc, _ := json.Marshal(map[string]any{
		"provider": "email", "providers": []string{"email"},
		// Read by the on_auth_user_created trigger: the profile's tenant and role.
		"tenant_id": tenantID, "tenant_role": role,
	})
	return doc
}

func userMetadata(fullName *string) json.RawMessage {
	if fullName == nil {
		return json.RawMessage(`{}`)
	}
	doc, _ := json.Marshal(map[string]string{"full_name": *fullName})
	return doc
}

func identityData(u *userRow) json.RawMessage {
	doc, _ := json.Marshal(map[string]any{
		"sub": u.id.String(), "email": u.email, "email_verified": true, "phone_verified": false,
	})
	return doc
}
