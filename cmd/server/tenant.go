package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
)

// runTenant handles `tenant create --name N --slug S [--admin-email E]`: it creates the
// tenant with its defaults and, given an email, invites the tenant's first admin, who
// joins once their email is confirmed (Supabase Auth emails the invitation when
// SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are set).
func runTenant(ctx context.Context, args []string) error {
	return createTenant(ctx, args, adminDatabaseURL(), supabaseAdmin(), os.Stdout)
}

func createTenant(ctx context.Context, args []string, adminURL string, invites *auth.Admin, out io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errUsage
	}
	flags := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	name := flags.String("name", "", "the business's name")
	slug := flags.String("slug", "", "the tenant's subdomain label")
	adminEmail := flags.String("admin-email", "", "email of the first admin to invite")
	if err := flags.Parse(args[1:]); err != nil || flags.NArg() != 0 || *name == "" || *slug == "" {
		return errUsage
	}
	pool, err := db.OpenPool(ctx, adminURL, db.PoolSettings{})
	if err != nil {
		return err
	}
	defer pool.Close()

	var tenant db.Tenant
	var invitation *db.Invitation
	err = db.DB{Pool: pool}.AsService(ctx, func(q *db.Queries) error {
		var err error
		tenant, err = db.CreateTenant(ctx, q, db.NewTenant{Name: *name, Slug: *slug, BaseDomain: env("APP_BASE_DOMAIN", "")})
		if err != nil || *adminEmail == "" {
			return err
		}
		inv, err := db.CreateInvitation(ctx, q, db.NewInvitation{TenantID: tenant.ID, Email: *adminEmail, Role: db.UserRoleAdmin})
		invitation = &inv
		return err
	})
	if err != nil {
		return fmt.Errorf("create tenant: %w", ownerRequired(err, adminURL))
	}
	fmt.Fprintf(out, "tenant %s (%s) created: %s\n", tenant.Slug, tenant.Name, tenant.ID)
	if invitation == nil {
		return nil
	}
	fmt.Fprintf(out, "invited %s as admin until %s: they join once their email is confirmed\n",
		invitation.Email, invitation.ExpiresAt.UTC().Format(time.RFC3339))
	if invites == nil {
		fmt.Fprintln(out, "no invitation email sent (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are not set): ask them to sign up with that email and confirm it")
		return nil
	}
	switch err := invites.Invite(ctx, invitation.Email); {
	case errors.Is(err, auth.ErrAccountExists):
		fmt.Fprintf(out, "they already have an account: they sign in and accept the invitation (POST /api/v1/invitations/%s/accept)\n", invitation.ID)
	case err != nil:
		return fmt.Errorf("the invitation is stored, but its email was not sent: %w", err)
	default:
		fmt.Fprintln(out, "Supabase Auth emailed them the invitation")
	}
	return nil
}
