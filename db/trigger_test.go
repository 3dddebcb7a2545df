package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// profile is the public.users row the signup trigger made.
type profile struct {
	TenantID *uuid.UUID
	Role     *string
	Email    *string
	FullName *string
}

func profileOf(t *testing.T, d *dbtest.Database, id uuid.UUID) profile {
	t.Helper()
	var p profile
	err := d.Admin.QueryRow(context.Background(),
		"select tenant_id, role::text, email, full_name from public.users where id = $1", id).
		Scan(&p.TenantID, &p.Role, &p.Email, &p.FullName)
	if err != nil {
		t.Fatalf("profile of %s: %v", id, err)
	}
	return p
}

func TestSignupTrigger(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := context.Background()
	tenantApp := func(role string) string {
		return `{"provider": "email", "tenant_id": "` + tn.ID.String() + `", "tenant_role": "` + role + `"}`
	}

	t.Run("app metadata names the tenant and role", func(t *testing.T) {
		id := dbtest.CreateAuthUser(t, d, "Admin@Clinica-A.example", tenantApp("admin"), `{"full_name": "Ana Souza"}`)
		p := profileOf(t, d, id)
		if p.TenantID == nil || *p.TenantID != tn.ID || *p.Role != "admin" || *p.Email != "admin@clinica-a.example" || *p.FullName != "Ana Souza" {
			t.Fatalf("profile = %+v, want tenant %s, admin, lower-case email, name", p, tn.ID)
		}
	})

	t.Run("pending invitation joins with the invited role and is consumed", func(t *testing.T) {
		var invitation uuid.UUID
		if err := d.Admin.QueryRow(ctx, `insert into invitations (tenant_id, email, role) values ($1, 'bia@example.com', 'admin') returning id`, tn.ID).Scan(&invitation); err != nil {
			t.Fatal(err)
		}
		id := dbtest.CreateAuthUser(t, d, "Bia@Example.com", `{"provider": "email"}`, `{}`)
		p := profileOf(t, d, id)
		if p.TenantID == nil || *p.TenantID != tn.ID || *p.Role != "admin" {
			t.Fatalf("profile = %+v, want tenant %s as admin", p, tn.ID)
		}
		var acceptedBy *uuid.UUID
		if err := d.Admin.QueryRow(ctx, "select accepted_user_id from invitations where id = $1 and accepted_at is not null", invitation).Scan(&acceptedBy); err != nil || *acceptedBy != id {
			t.Fatalf("invitation accepted by %v (%v), want %s", acceptedBy, err, id)
		}
		// Deleting the user keeps the invitation's history, without the user.
		if _, err := d.Admin.Exec(ctx, "delete from auth.users where id = $1", id); err != nil {
			t.Fatalf("delete the user who accepted: %v", err)
		}
		if err := d.Admin.QueryRow(ctx, "select accepted_user_id from invitations where id = $1 and accepted_at is not null", invitation).Scan(&acceptedBy); err != nil || acceptedBy != nil {
			t.Fatalf("after deleting the user: accepted_user_id = %v (%v), want null", acceptedBy, err)
		}
	})

	t.Run("expired or revoked invitations are ignored", func(t *testing.T) {
		_, err := d.Admin.Exec(ctx, `
			insert into invitations (tenant_id, email, expires_at, revoked_at)
			values ($1, 'late@example.com', now() - interval '1 day', null), ($1, 'revoked@example.com', default, now())`, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"late@example.com", "revoked@example.com"} {
			if p := profileOf(t, d, dbtest.CreateAuthUser(t, d, email, `{}`, `{}`)); p.TenantID != nil || p.Role != nil {
				t.Errorf("%s joined %v as %v", email, *p.TenantID, *p.Role)
			}
		}
	})

	t.Run("user metadata cannot choose a tenant or role", func(t *testing.T) {
		userMetadata := `{"tenant_id": "` + tn.ID.String() + `", "tenant_role": "owner", "role": "owner"}`
		p := profileOf(t, d, dbtest.CreateAuthUser(t, d, "mallory@example.com", `{"provider": "email"}`, userMetadata))
		if p.TenantID != nil || p.Role != nil {
			t.Fatalf("profile = %+v, want no tenant and no role", p)
		}
	})

	t.Run("odd input never fails a signup", func(t *testing.T) {
		odd := []struct{ email, app, user string }{
			{"", `{}`, `{}`},                        // phone signup: no email
			{"  Spaced@Example.com ", `{}`, `null`}, // stray spaces, null user metadata
			{"not-a-uuid@example.com", `{"tenant_id": "clinica-a"}`, `{}`},
			{"ghost@example.com", `{"tenant_id": "` + uuid.NewString() + `"}`, `{}`}, // no such tenant
			{"array@example.com", `["tenant_id"]`, `"just a string"`},
			{"superrole@example.com", tenantApp("superadmin"), `{}`},
			{"long@example.com", `{}`, `{"full_name": "` + strings.Repeat("N", 5000) + `", "avatar_url": "` + strings.Repeat("a", 5000) + `"}`},
		}
		for _, o := range odd {
			id := createAuthUserAllowingEmpty(t, d, o.email, o.app, o.user)
			p := profileOf(t, d, id)
			if o.email == "superrole@example.com" && (p.Role == nil || *p.Role != "agent") {
				t.Errorf("unknown tenant_role: role = %v, want agent", p.Role)
			}
			if o.email == "long@example.com" && (p.FullName == nil || len(*p.FullName) != 200) {
				t.Errorf("long name kept as %d characters, want 200", len(*p.FullName))
			}
		}
	})

	t.Run("app metadata wins over an invitation", func(t *testing.T) {
		other := dbtest.SeedTenant(t, d, "clinica-b")
		if _, err := d.Admin.Exec(ctx, `insert into invitations (tenant_id, email) values ($1, 'both@example.com')`, other.ID); err != nil {
			t.Fatal(err)
		}
		p := profileOf(t, d, dbtest.CreateAuthUser(t, d, "both@example.com", tenantApp("agent"), `{}`))
		if *p.TenantID != tn.ID {
			t.Fatalf("tenant = %s, want %s from app metadata", *p.TenantID, tn.ID)
		}
		var pending bool
		if err := d.Admin.QueryRow(ctx, `select accepted_at is null from invitations where email = 'both@example.com'`).Scan(&pending); err != nil || !pending {
			t.Fatalf("the other tenant's invitation was consumed (%v)", err)
		}
	})
}

// TestInvitationNeedsConfirmedEmail: knowing an invited address is not enough to join a
// tenant. An unconfirmed signup joins nothing and leaves the invitation pending;
// confirming the email joins; when several tenants invited the address, none is chosen
// and the person accepts one explicitly.
func TestInvitationNeedsConfirmedEmail(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	b := dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()
	invite := func(tenant uuid.UUID, email, role string) {
		t.Helper()
		if _, err := d.Admin.Exec(ctx, `insert into invitations (tenant_id, email, role) values ($1, $2, $3)`, tenant, email, role); err != nil {
			t.Fatal(err)
		}
	}
	pending := func(email string) int {
		t.Helper()
		var n int
		if err := d.Admin.QueryRow(ctx, `select count(*) from invitations where email = $1 and accepted_at is null`, email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	confirm := func(id uuid.UUID) {
		t.Helper()
		if _, err := d.Admin.Exec(ctx, `update auth.users set email_confirmed_at = now() where id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("an unconfirmed signup of an invited address joins nothing", func(t *testing.T) {
		invite(a.ID, "newhire@a.test", "admin")
		// The review's attack: the invited address, padded and in another case.
		id := dbtest.CreateUnconfirmedAuthUser(t, d, "NewHire@A.test ")
		if p := profileOf(t, d, id); p.TenantID != nil || p.Role != nil {
			t.Fatalf("unconfirmed signup joined: %+v", p)
		}
		if pending("newhire@a.test") != 1 {
			t.Fatal("the invitation was consumed by an unconfirmed signup")
		}
		confirm(id)
		if p := profileOf(t, d, id); p.TenantID == nil || *p.TenantID != a.ID || *p.Role != "admin" {
			t.Fatalf("after confirming: %+v, want admin of tenant A", p)
		}
		if pending("newhire@a.test") != 0 {
			t.Fatal("the invitation is still pending after it was accepted")
		}
	})

	t.Run("two tenants invited the address: none is chosen", func(t *testing.T) {
		invite(a.ID, "both@example.com", "agent")
		invite(b.ID, "both@example.com", "admin")
		id := dbtest.CreateAuthUser(t, d, "both@example.com", `{}`, `{}`)
		if p := profileOf(t, d, id); p.TenantID != nil {
			t.Fatalf("joined %s implicitly", *p.TenantID)
		}
		if pending("both@example.com") != 2 {
			t.Fatal("an invitation was consumed")
		}
		// The person accepts B's, explicitly.
		var invitation uuid.UUID
		if err := d.Admin.QueryRow(ctx, `select id from invitations where tenant_id = $1 and email = 'both@example.com'`, b.ID).Scan(&invitation); err != nil {
			t.Fatal(err)
		}
		err := d.App.AsCaller(ctx, dbtest.Claims(id), func(q *db.Queries) error {
			_, err := q.InvitationAccept(ctx, invitation)
			return err
		})
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		if p := profileOf(t, d, id); p.TenantID == nil || *p.TenantID != b.ID || *p.Role != "admin" {
			t.Fatalf("after accepting B's invitation: %+v", p)
		}
		if pending("both@example.com") != 1 {
			t.Fatal("accepting one invitation did not leave the other pending")
		}
	})

	t.Run("an email changed later reaches the profile, and may join", func(t *testing.T) {
		id := dbtest.CreateAuthUser(t, d, "old@example.com", `{}`, `{}`)
		invite(a.ID, "novo@example.com", "agent")
		if _, err := d.Admin.Exec(ctx, `update auth.users set email = 'Novo@Example.com' where id = $1`, id); err != nil {
			t.Fatal(err)
		}
		p := profileOf(t, d, id)
		if p.Email == nil || *p.Email != "novo@example.com" || p.TenantID == nil || *p.TenantID != a.ID {
			t.Fatalf("after the email change: %+v, want novo@example.com in tenant A", p)
		}
	})

	t.Run("only an https avatar is taken from user metadata", func(t *testing.T) {
		for avatar, want := range map[string]string{
			"javascript:alert(1)":         "",
			"http://cdn.example/a.png":    "",
			"https://cdn.example/a.png":   "https://cdn.example/a.png",
			"https://cdn.example/a b.png": "",
			" https://cdn.example/b.png ": "https://cdn.example/b.png",
		} {
			id := dbtest.CreateAuthUser(t, d, uuid.NewString()+"@example.com", `{}`, `{"avatar_url": "`+avatar+`"}`)
			var got *string
			if err := d.Admin.QueryRow(ctx, `select avatar_url from users where id = $1`, id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (want == "") || (got != nil && *got != want) {
				t.Errorf("avatar %q stored as %v, want %q", avatar, got, want)
			}
		}
	})
}

// createAuthUserAllowingEmpty is dbtest.CreateAuthUser with an empty email stored as
// NULL, as a phone signup has it.
func createAuthUserAllowingEmpty(t *testing.T, d *dbtest.Database, email, app, user string) uuid.UUID {
	t.Helper()
	if email != "" {
		return dbtest.CreateAuthUser(t, d, email, app, user)
	}
	id := uuid.New()
	_, err := d.Admin.Exec(context.Background(), `
		insert into auth.users (id, aud, role, phone, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
		values ($1, 'authenticated', 'authenticated', '5511999990000', $2::jsonb, $3::jsonb, now(), now())`, id, app, user)
	if err != nil {
		t.Fatalf("phone signup: %v", err)
	}
	return id
}

// TestCompositeKeysRejectCrossTenantReferences writes, as the superuser (no RLS), rows of
// tenant A that point at tenant B's rows: the composite foreign keys refuse every one.
func TestCompositeKeysRejectCrossTenantReferences(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	b := dbtest.SeedTenant(t, d, "clinica-b")
	cases := map[string]struct {
		sql  string
		args []any
	}{
		"message in B's conversation": {`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content)
			values ($1, $2, 'whatsapp', 'outbound', 'user', 'x')`, []any{a.ID, b.ConversationID}},
		"conversation assigned to B's user": {`update conversations set assigned_user_id = $2 where tenant_id = $1 and id = $3`,
			[]any{a.ID, b.AgentID, a.ConversationID}},
		"conversation with B's contact": {`insert into conversations (tenant_id, contact_id) values ($1, $2)`, []any{a.ID, b.ContactID}},
		"lead owned by B's user":        {`insert into leads_pipeline (tenant_id, owner_user_id) values ($1, $2)`, []any{a.ID, b.OwnerID}},
		"campaign event for B's contact": {`insert into campaign_events (tenant_id, campaign_id, contact_id, event_type)
			values ($1, $2, $3, 'sent')`, []any{a.ID, a.CampaignID, b.ContactID}},
		"message sent by B's user": {`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id)
			values ($1, $2, 'whatsapp', 'outbound', 'user', $3)`, []any{a.ID, a.ConversationID, b.AgentID}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := d.Admin.Exec(context.Background(), c.sql, c.args...)
			if dbtest.SQLState(err) != "23503" {
				t.Fatalf("err = %v, want foreign_key_violation", err)
			}
		})
	}
}

// TestRemovedMemberKeepsAProfile removes a member from a tenant: the account keeps a
// tenantless profile, and the rows that pointed at the member keep existing without it.
func TestRemovedMemberKeepsAProfile(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := context.Background()
	if _, err := d.Admin.Exec(ctx, "delete from public.users where id = $1", tn.AgentID); err != nil {
		t.Fatal(err)
	}
	p := profileOf(t, d, tn.AgentID)
	if p.TenantID != nil || p.Role != nil || p.Email == nil || *p.Email != "agent@clinica-a.example" {
		t.Fatalf("profile after removal = %+v, want a tenantless profile with the email", p)
	}
	var assigned *uuid.UUID
	if err := d.Admin.QueryRow(ctx, "select assigned_user_id from conversations where tenant_id = $1 and id = $2", tn.ID, tn.ConversationID).Scan(&assigned); err != nil || assigned != nil {
		t.Fatalf("conversation still assigned to %v (%v)", assigned, err)
	}

	// Deleting the account removes the profile for good.
	if _, err := d.Admin.Exec(ctx, "delete from auth.users where id = $1", tn.AgentID); err != nil {
		t.Fatal(err)
	}
	var profiles int
	if err := d.Admin.QueryRow(ctx, "select count(*) from public.users where id = $1", tn.AgentID).Scan(&profiles); err != nil || profiles != 0 {
		t.Fatalf("profiles after deleting the account: %d (%v)", profiles, err)
	}
}
