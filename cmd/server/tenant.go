package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/atende/atende/db"
)

// runTenant handles `tenant create --name N --slug S [--admin-email E]`: it creates the
// tenant with its defaults and, given an email, invites the tenant's first admin, who
// joins by signing up with that email.
func runTenant(ctx context.Context, args []string) error {
	return createTenant(ctx, args, adminDatabaseURL(), os.Stdout)
}

func createTenant(ctx context.Context, args []string, adminURL string, out io.Writer) error {
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
	pool, err := db.OpenPool(ctx, adminURL, "")
	if err != nil {
		return err
	}
	defer pool.Close()

	var tenant db.Tenant
	var invitation *db.Invitation
	err = db.DB{Pool: pool}.AsService(ctx, func(q *db.Queries) error {
		var err error
		if tenant, err = db.CreateTenant(ctx, q, db.TenantCreateParams{Name: *name, Slug: *slug}); err != nil {
			return err
		}
		if *adminEmail == "" {
			return nil
		}
		inv, err := q.InvitationCreate(ctx, db.InvitationCreateParams{
			TenantID: tenant.ID, Email: *adminEmail, Role: db.UserRoleAdmin, ExpiresAt: time.Now().Add(14 * 24 * time.Hour),
		})
		invitation = &inv
		return err
	})
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	fmt.Fprintf(out, "tenant %s (%s) created: %s\n", tenant.Slug, tenant.Name, tenant.ID)
	if invitation != nil {
		fmt.Fprintf(out, "invited %s as admin until %s: they join by signing up with that email\n",
			invitation.Email, invitation.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}
