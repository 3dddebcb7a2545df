package db_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/input"
	"github.com/google/uuid"
)

func inviteParams(tn dbtest.Tenant, email string) db.NewInvitation {
	return db.NewInvitation{TenantID: tn.ID, Email: email, Role: db.UserRoleAdmin, InvitedBy: &tn.OwnerID}
}

// invite creates an invitation as the tenant's owner and returns it with the error, so
// that the test can expect a refusal.
func invite(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, params db.NewInvitation) (db.Invitation, error) {
	t.Helper()
	var invitation db.Invitation
	err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), func(q *db.Queries) error {
		var err error
		invitation, err = db.CreateInvitation(t.Context(), q, params)
		return err
	})
	return invitation, err
}

func revokeInvitation(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, id uuid.UUID) (db.Invitation, error) {
	t.Helper()
	var invitation db.Invitation
	err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), func(q *db.Queries) error {
		var err error
		invitation, err = q.InvitationRevoke(t.Context(), db.InvitationRevokeParams{TenantID: tn.ID, ID: id})
		return err
	})
	return invitation, err
}

// invitedEmails lists the tenant's invitations (pending only unless includeClosed),
// newest first, as their emails.
func invitedEmails(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, includeClosed bool) []string {
	t.Helper()
	var invitations []db.Invitation
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		var err error
		invitations, err = q.InvitationList(t.Context(), db.InvitationListParams{TenantID: tn.ID, IncludeClosed: includeClosed, RowLimit: 100})
		return err
	})
	emails := make([]string, 0, len(invitations))
	for _, inv := range invitations {
		emails = append(emails, inv.Email)
	}
	slices.Sort(emails)
	return emails
}

func TestInvitationCreate(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")

	invitation, err := invite(t, d, tn, inviteParams(tn, "Nova.Pessoa@Example.COM"))
	if err != nil {
		t.Fatal(err)
	}
	if invitation.Email != "nova.pessoa@example.com" || invitation.Role != db.UserRoleAdmin || invitation.TenantID != tn.ID ||
		invitation.InvitedByUserID == nil || *invitation.InvitedByUserID != tn.OwnerID ||
		invitation.AcceptedAt != nil || invitation.RevokedAt != nil {
		t.Errorf("invitation = %+v, want a pending admin invitation of nova.pessoa@example.com by the owner", invitation)
	}
	if days := time.Until(invitation.ExpiresAt).Hours() / 24; days < 13.9 || days > 14 {
		t.Errorf("invitation expires in %.2f days, want 14", days)
	}

	owner := inviteParams(tn, "dono@example.com")
	owner.Role = db.UserRoleOwner
	padded := inviteParams(tn, "  Ana@Example.COM ")
	tests := []struct {
		name       string
		tenant     dbtest.Tenant
		params     db.NewInvitation
		constraint string // the database refuses it: a conflict on this constraint
		field      string // the constructor refuses it: an *input.Error on this field
	}{
		{"same email pending, other case", tn, inviteParams(tn, "NOVA.PESSOA@example.com"), "invitations_tenant_id_email_pending_key", ""},
		{"a member's email", tn, inviteParams(tn, "Agent@Clinica-A.example"), "invitations_email_not_member", ""},
		{"same email in another tenant", other, inviteParams(other, "nova.pessoa@example.com"), "", ""},
		{"padded email is trimmed", tn, padded, "", ""},
		{"owner role", tn, owner, "", "role"},
		{"not an email", tn, inviteParams(tn, "nobody"), "", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, err := invite(t, d, tt.tenant, tt.params)
			var dbErr *db.Error
			var inputErr *input.Error
			switch {
			case tt.constraint != "":
				if !errors.Is(err, db.ErrConflict) || !errors.As(err, &dbErr) || dbErr.Constraint != tt.constraint {
					t.Errorf("err = %v, want a conflict on %s", err, tt.constraint)
				}
			case tt.field != "":
				if !errors.As(err, &inputErr) || inputErr.Field != tt.field {
					t.Errorf("err = %v, want an input error on %s", err, tt.field)
				}
			case err != nil:
				t.Errorf("err = %v, want the invitation", err)
			case created.Email != strings.ToLower(strings.TrimSpace(tt.params.Email)):
				t.Errorf("email stored as %q", created.Email)
			}
		})
	}
}

func TestInvitationRevoke(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	// The seed invites new@clinica-a.example.
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	invitation, err := invite(t, d, tn, inviteParams(tn, "ana@example.com"))
	if err != nil {
		t.Fatal(err)
	}

	revoked, err := revokeInvitation(t, d, tn, invitation.ID)
	if err != nil || revoked.ID != invitation.ID || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v, err %v; want the invitation with revoked_at set", revoked, err)
	}
	if _, err := revokeInvitation(t, d, tn, invitation.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("second revoke: err = %v, want ErrNotFound", err)
	}
	if _, err := revokeInvitation(t, d, tn, uuid.New()); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoke of an unknown invitation: err = %v, want ErrNotFound", err)
	}

	if got, want := invitedEmails(t, d, tn, false), []string{"new@clinica-a.example"}; !slices.Equal(got, want) {
		t.Errorf("pending invitations = %q, want %q", got, want)
	}
	if got, want := invitedEmails(t, d, tn, true), []string{"ana@example.com", "new@clinica-a.example"}; !slices.Equal(got, want) {
		t.Errorf("all invitations = %q, want %q", got, want)
	}
	// A revoked invitation no longer blocks inviting the email again.
	if _, err := invite(t, d, tn, inviteParams(tn, "ana@example.com")); err != nil {
		t.Errorf("invite again after revoking: %v", err)
	}
	if got, want := invitedEmails(t, d, tn, false), []string{"ana@example.com", "new@clinica-a.example"}; !slices.Equal(got, want) {
		t.Errorf("pending invitations after inviting again = %q, want %q", got, want)
	}
	// The other tenant's seeded invitation is neither listed nor revoked.
	if got, want := invitedEmails(t, d, other, false), []string{"new@clinica-b.example"}; !slices.Equal(got, want) {
		t.Errorf("other tenant's pending invitations = %q, want %q", got, want)
	}
}

// An invitation accepted at signup is closed: off the pending list, and no longer
// revocable.
func TestInvitationAcceptedIsClosed(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	var invitationID uuid.UUID
	if err := d.Admin.QueryRow(t.Context(), "select id from invitations where tenant_id = $1 and email = 'new@clinica-a.example'", tn.ID).Scan(&invitationID); err != nil {
		t.Fatal(err)
	}
	dbtest.CreateAuthUser(t, d, "new@clinica-a.example", `{"provider": "email"}`, `{}`)

	if got := invitedEmails(t, d, tn, false); len(got) != 0 {
		t.Errorf("pending invitations after signup = %q, want none", got)
	}
	if got, want := invitedEmails(t, d, tn, true), []string{"new@clinica-a.example"}; !slices.Equal(got, want) {
		t.Errorf("all invitations after signup = %q, want %q", got, want)
	}
	if _, err := revokeInvitation(t, d, tn, invitationID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoke of an accepted invitation: err = %v, want ErrNotFound", err)
	}
}
