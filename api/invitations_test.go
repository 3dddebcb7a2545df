package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// invitationsInvitation is an invitation as a client decodes it.
type invitationsInvitation struct {
	ID              string     `json:"id"`
	TenantID        string     `json:"tenant_id"`
	Email           string     `json:"email"`
	Role            string     `json:"role"`
	InvitedByUserID *string    `json:"invited_by_user_id"`
	ExpiresAt       time.Time  `json:"expires_at"`
	AcceptedAt      *time.Time `json:"accepted_at"`
	RevokedAt       *time.Time `json:"revoked_at"`
}

// invitationsEmails lists the emails of the invitations on GET path.
func invitationsEmails(t *testing.T, a *testAPI, token, path string) ([]string, *string) {
	t.Helper()
	var p listPage[invitationsInvitation]
	a.do(request{method: "GET", path: path, token: token}).expect(t, http.StatusOK).into(t, &p)
	emails := make([]string, len(p.Items))
	for i, inv := range p.Items {
		emails[i] = inv.Email
	}
	return emails, p.NextCursor
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner := a.token(tn.OwnerID)
	invite := func(token string, body any) response {
		return a.do(request{method: "POST", path: "/api/v1/invitations", token: token, body: body})
	}

	var admin invitationsInvitation
	invite(owner, map[string]any{"email": "  Nova.Admin@Example.COM ", "role": "admin"}).expect(t, http.StatusCreated).into(t, &admin)
	if admin.Email != "nova.admin@example.com" || admin.Role != "admin" || admin.TenantID != tn.ID.String() ||
		admin.InvitedByUserID == nil || *admin.InvitedByUserID != tn.OwnerID.String() || admin.AcceptedAt != nil || admin.RevokedAt != nil {
		t.Fatalf("admin invitation: %+v", admin)
	}
	if left := time.Until(admin.ExpiresAt); left < 13*24*time.Hour || left > 14*24*time.Hour {
		t.Fatalf("invitation expires in %s, want 14 days", left)
	}
	var agent invitationsInvitation
	invite(owner, map[string]any{"email": "nova.agente@example.com"}).expect(t, http.StatusCreated).into(t, &agent)
	if agent.Role != "agent" {
		t.Fatalf("default role %q, want agent", agent.Role)
	}

	a.expectRefusals(t, owner, []refusal{
		{"pending for the email", "POST", "/api/v1/invitations", map[string]any{"email": "NOVA.ADMIN@example.com", "role": "agent"}, 409, "email"},
		{"already a member", "POST", "/api/v1/invitations", map[string]any{"email": "Agent@Clinica-A.example"}, 409, "email"},
		{"owner role", "POST", "/api/v1/invitations", map[string]any{"email": "x@example.com", "role": "owner"}, 400, "role"},
		{"unknown role", "POST", "/api/v1/invitations", map[string]any{"email": "x@example.com", "role": "boss"}, 400, "role"},
		{"no email", "POST", "/api/v1/invitations", map[string]any{"role": "agent"}, 400, "email"},
		{"not an email", "POST", "/api/v1/invitations", map[string]any{"email": "not-an-email"}, 400, "email"},
		{"email with a name", "POST", "/api/v1/invitations", map[string]any{"email": "Ana <ana@example.com>"}, 400, "email"},
		{"email of the wrong type", "POST", "/api/v1/invitations", map[string]any{"email": []string{"a@example.com"}}, 400, "email"},
	}, tn.ID, other.ID)
	invite(a.token(tn.AgentID), map[string]any{"email": "x@example.com"}).expectProblem(t, http.StatusForbidden, "")
	invite("", map[string]any{"email": "x@example.com"}).expectProblem(t, http.StatusUnauthorized, "")

	// Pending invitations, newest first, two to a page: the two above, then the seeded one.
	emails, next := invitationsEmails(t, a, owner, "/api/v1/invitations?limit=2")
	if len(emails) != 2 || emails[0] != "nova.agente@example.com" || emails[1] != "nova.admin@example.com" || next == nil {
		t.Fatalf("first page %v (next %v)", emails, next)
	}
	emails, next = invitationsEmails(t, a, owner, "/api/v1/invitations?limit=2&cursor="+*next)
	if len(emails) != 1 || emails[0] != "new@clinica-a.example" || next != nil {
		t.Fatalf("second page %v (next %v)", emails, next)
	}

	var got invitationsInvitation
	a.do(request{method: "GET", path: "/api/v1/invitations/" + admin.ID, token: owner}).expect(t, http.StatusOK).into(t, &got)
	if got.ID != admin.ID || got.Email != admin.Email || got.Role != "admin" {
		t.Fatalf("get: %+v", got)
	}

	a.do(request{method: "DELETE", path: "/api/v1/invitations/" + admin.ID, token: owner}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/invitations/" + admin.ID, token: owner}).expect(t, http.StatusOK).into(t, &got)
	if got.RevokedAt == nil {
		t.Fatalf("revoked invitation: %+v", got)
	}
	a.do(request{method: "DELETE", path: "/api/v1/invitations/" + admin.ID, token: owner}).expectProblem(t, http.StatusNotFound, "")
	emails, _ = invitationsEmails(t, a, owner, "/api/v1/invitations")
	if len(emails) != 2 || emails[0] != "nova.agente@example.com" {
		t.Fatalf("pending after the revocation: %v", emails)
	}
	emails, _ = invitationsEmails(t, a, owner, "/api/v1/invitations?include_closed=true")
	if len(emails) != 3 || emails[1] != "nova.admin@example.com" {
		t.Fatalf("all after the revocation: %v", emails)
	}
	// Revoked, the email can be invited again.
	invite(owner, map[string]any{"email": "nova.admin@example.com", "role": "agent"}).expect(t, http.StatusCreated)

	var foreignID uuid.UUID
	if err := a.db.Admin.QueryRow(context.Background(), `select id from invitations where tenant_id = $1`, other.ID).Scan(&foreignID); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "DELETE"} {
		a.do(request{method: method, path: "/api/v1/invitations/" + foreignID.String(), token: owner}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: method, path: "/api/v1/invitations/" + uuid.NewString(), token: owner}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: method, path: "/api/v1/invitations/nope", token: owner}).expectProblem(t, http.StatusBadRequest, "id")
		a.do(request{method: method, path: "/api/v1/invitations/" + agent.ID, token: a.token(tn.AgentID)}).expectProblem(t, http.StatusForbidden, "")
	}
	a.do(request{method: "GET", path: "/api/v1/invitations", token: a.token(tn.AgentID)}).expectProblem(t, http.StatusForbidden, "")
	a.do(request{method: "GET", path: "/api/v1/invitations?include_closed=maybe", token: owner}).expectProblem(t, http.StatusBadRequest, "include_closed")
	a.do(request{method: "GET", path: "/api/v1/invitations?cursor=x.y", token: owner}).expectProblem(t, http.StatusBadRequest, "cursor")
	var stillPending invitationsInvitation
	a.do(request{method: "GET", path: "/api/v1/invitations/" + agent.ID, token: owner}).expect(t, http.StatusOK).into(t, &stillPending)
	if stillPending.RevokedAt != nil {
		t.Fatalf("the agent's invitation was revoked: %+v", stillPending)
	}
	var otherRevoked *time.Time
	if err := a.db.Admin.QueryRow(context.Background(), `select revoked_at from invitations where tenant_id = $1 and id = $2`, other.ID, foreignID).Scan(&otherRevoked); err != nil || otherRevoked != nil {
		t.Fatalf("tenant B's invitation: revoked at %v (%v)", otherRevoked, err)
	}
}

// TestInvitationAccepted: the invited email signs up and joins with the invitation's
// role, and the invitation is closed.
func TestInvitationAccepted(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)

	var inv invitationsInvitation
	a.do(request{method: "POST", path: "/api/v1/invitations", token: owner, body: map[string]any{"email": "gerente@example.com", "role": "admin"}}).
		expect(t, http.StatusCreated).into(t, &inv)
	userID := dbtest.CreateAuthUser(t, a.db, "Gerente@Example.com", `{}`, `{}`)
	me := tenantsGetMe(t, a, a.token(userID))
	if me.TenantID == nil || *me.TenantID != tn.ID.String() || me.Role == nil || *me.Role != "admin" {
		t.Fatalf("the invited user: %+v", me)
	}
	// As an admin they can now invite in turn; the accepted invitation is closed.
	a.do(request{method: "POST", path: "/api/v1/invitations", token: a.token(userID), body: map[string]any{"email": "outro@example.com"}}).expect(t, http.StatusCreated)
	a.do(request{method: "DELETE", path: "/api/v1/invitations/" + inv.ID, token: owner}).expectProblem(t, http.StatusNotFound, "")
}
