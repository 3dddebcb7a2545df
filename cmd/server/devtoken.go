package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
)

// runDevToken handles `dev-token --email E [--ttl 1h]`: the development shortcut past
// Supabase Auth. It makes sure a confirmed email user exists (creating it on
// DATABASE_ADMIN_URL when it does not) and prints an access token for it, signed with
// SUPABASE_JWT_SECRET. The token alone goes to stdout, so TOKEN=$(server dev-token …)
// works; what happened goes to stderr.
func runDevToken(ctx context.Context, args []string) error {
	return devToken(ctx, args, adminDatabaseURL(), os.Stdout, os.Stderr)
}

// devUser is the auth user a development token is minted for, and its profile.
type devUser struct {
	ID      uuid.UUID
	Created bool // false: the email already had an account
	// TenantSlug and Role are empty when the user belongs to no tenant yet.
	TenantSlug string
	Role       string
}

func devToken(ctx context.Context, args []string, adminURL string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("dev-token", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	rawEmail := flags.String("email", "", "the user's email; the user is created when it has no account")
	ttl := flags.Duration("ttl", time.Hour, "how long the token is valid")
	if err := flags.Parse(args); err != nil || flags.NArg() != 0 || *rawEmail == "" {
		return errUsage
	}
	email, err := input.Email("--email", *rawEmail)
	if err != nil {
		return err
	}
	if *ttl <= 0 {
		return fmt.Errorf("--ttl must be positive, not %s", *ttl)
	}
	// Before touching the database: a missing secret should not leave a user behind.
	tokens, err := tokenMinter()
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "dev-token: for development only: it writes auth.users directly, bypassing Supabase Auth; never point it at production")

	pool, err := db.OpenPool(ctx, adminURL, db.PoolSettings{})
	if err != nil {
		return err
	}
	defer pool.Close()
	user, err := ensureDevUser(ctx, pool, email)
	if err != nil {
		return fmt.Errorf("dev-token: %w", ownerRequired(err, adminURL))
	}
	token, err := tokens.Mint(user.ID, *ttl)
	if err != nil {
		return fmt.Errorf("mint token: %w", err)
	}

	state := "existing user"
	if user.Created {
		state = "created, email confirmed"
	}
	fmt.Fprintf(stderr, "dev-token: %s is auth user %s (%s)\n", email, user.ID, state)
	if user.TenantSlug == "" {
		fmt.Fprintln(stderr, "dev-token: no tenant yet: POST /api/v1/setup with this token creates one, or accept an invitation")
	} else {
		fmt.Fprintf(stderr, "dev-token: %s of tenant %s\n", user.Role, user.TenantSlug)
	}
	fmt.Fprintf(stderr, "dev-token: valid for %s\n", *ttl)
	fmt.Fprintln(stdout, token)
	return nil
}

// ensureDevUser returns the auth user of email, inserting it first when the email has no
// account. The row is written as Supabase Auth writes a confirmed email user, and as the
// importer writes its users (legacy/load.go), so that a real Supabase Auth can read it:
// the token columns are empty strings (Auth cannot read NULL there), and an email
// identity goes with it. There is no password: the user exists to be given tokens. As
// at any signup, the on_auth_user_created trigger creates the profile, joining the
// tenant whose pending invitation names the email.
func ensureDevUser(ctx context.Context, pool *pgxpool.Pool, email string) (devUser, error) {
	var user devUser
	// Two attempts: when another session creates the same email between our look-up and
	// our insert, the insert does nothing and the second look-up finds that user.
	for attempt := 0; attempt < 2; attempt++ {
		err := pool.QueryRow(ctx, `
			with found as (
				select id from auth.users
				where lower(email) = $1 and not is_sso_user
				order by created_at, id
				limit 1
			), created as (
				insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
					confirmation_token, recovery_token, email_change_token_new, email_change,
					raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
					is_sso_user, is_anonymous)
				select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1, '', now(),
					'', '', '', '',
					'{"provider": "email", "providers": ["email"]}', '{}', false, now(), now(),
					false, false
				where not exists (select from found)
				on conflict (email) where not is_sso_user do nothing
				returning id
			), identity as (
				insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
				select id::text, id, jsonb_build_object('sub', id::text, 'email', $1::text, 'email_verified', true, 'phone_verified', false),
					'email', now(), now()
				from created
			)
			select id, false from found
			union all
			select id, true from created`, email).Scan(&user.ID, &user.Created)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return devUser{}, fmt.Errorf("find or create auth user %s: %w", email, err)
		}
		break
	}
	if user.ID == uuid.Nil {
		return devUser{}, fmt.Errorf("find or create auth user %s: created and removed concurrently; run it again", email)
	}

	// The profile says whether the user belongs to a tenant. An account made elsewhere
	// before the schema's trigger existed may have none: it belongs to no tenant either.
	err := pool.QueryRow(ctx, `
		select coalesce(t.slug, ''), coalesce(p.role::text, '')
		from public.users p left join public.tenants t on t.id = p.tenant_id
		where p.id = $1`, user.ID).Scan(&user.TenantSlug, &user.Role)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return devUser{}, fmt.Errorf("read the profile of %s: %w", email, err)
	}
	return user, nil
}
