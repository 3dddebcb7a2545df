package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
)

// TestSetupRefusesAnonymousUsersAndReservedNames: a Supabase anonymous sign-in cannot
// create a tenant, and a tenant cannot take a name the platform uses or serve a logo
// that is not https.
func TestSetupRefusesAnonymousUsersAndReservedNames(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	userID := dbtest.CreateAuthUser(t, a.db, "novo@example.com", `{}`, `{}`)
	token := a.token(userID)
	valid := map[string]any{"name": "Nova", "slug": "nova"}

	anonymous := signToken(t, jwa.HS256(), []byte(testSecret), "", map[string]any{
		"sub": userID.String(), "role": "authenticated", "aud": "authenticated", "is_anonymous": true,
		"exp": time.Now().Add(time.Hour).Unix(),
	})
	a.do(request{method: "POST", path: "/api/v1/setup", token: anonymous, body: valid}).expectProblem(t, http.StatusForbidden, "")

	a.expectRefusals(t, token, []refusal{
		{"slug www", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "www"}, 400, "slug"},
		{"slug admin, in capitals", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "ADMIN"}, 400, "slug"},
		{"slug status", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "status"}, 400, "slug"},
		{"logo over http", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "logo_url": "http://evil.test/logo.png"}, 400, "logo_url"},
		{"logo as script", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "logo_url": "javascript:alert(1)"}, 400, "logo_url"},
	})
	// The review's squatter: a generic slug and someone else's domain. The slug is
	// refused; with a slug of its own, the domain is only claimed, and serves nothing.
	var squat tenantsBranding
	a.do(request{method: "POST", path: "/api/v1/setup", token: token, body: map[string]any{
		"name": "Sorriso?", "slug": "sorriso-falso", "custom_domain": "www.clinicasorriso.com.br", "logo_url": "https://evil.test/logo.png",
	}}).expect(t, http.StatusCreated).into(t, &squat)
	if squat.CustomDomainVerified {
		t.Fatal("a custom domain was verified at setup")
	}
	a.do(request{method: "GET", path: "/api/v1/tenant", host: "www.clinicasorriso.com.br"}).expectProblem(t, http.StatusNotFound, "")
	// The real clinic claims the same domain, proves it, and it serves the real clinic.
	realOwner := dbtest.CreateAuthUser(t, a.db, "dona@clinicasorriso.com.br", `{}`, `{}`)
	realToken := a.token(realOwner)
	a.do(request{method: "POST", path: "/api/v1/setup", token: realToken, body: map[string]any{
		"name": "Clínica Sorriso", "slug": "clinica-sorriso", "custom_domain": "www.clinicasorriso.com.br",
	}}).expect(t, http.StatusCreated)
	a.verifyCustomDomain(t, realToken)
	if got := tenantsBrandingAt(t, a, "www.clinicasorriso.com.br"); got.Slug != "clinica-sorriso" {
		t.Fatalf("www.clinicasorriso.com.br serves %+v", got)
	}
	// The squatter cannot verify it now, even with the record published.
	var status struct {
		TXTName  string `json:"txt_name"`
		TXTValue string `json:"txt_value"`
	}
	a.do(request{method: "GET", path: "/api/v1/tenant/custom-domain", token: token}).expect(t, http.StatusOK).into(t, &status)
	a.dns.publish(status.TXTName, status.TXTValue)
	a.do(request{method: "POST", path: "/api/v1/tenant/custom-domain/verify", token: token}).expectProblem(t, http.StatusConflict, "custom_domain")
}

// TestSuspendedTenant: a suspended tenant's members get a 403 saying so on every route,
// and its provider's deliveries a 423 (they are retried later); reactivated, it works.
func TestSuspendedTenant(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner := a.token(tn.OwnerID)
	secret := webhookSecret(t, a, tn.ID)
	inbound := map[string]any{"channel": "whatsapp", "external_id": "wamid.suspended", "from": "+5521988887777", "content": "Oi"}
	setStatus := func(status string) {
		t.Helper()
		if _, err := a.db.Admin.Exec(context.Background(), "update tenants set status = $2 where id = $1", tn.ID, status); err != nil {
			t.Fatal(err)
		}
	}

	setStatus("suspended")
	for _, path := range []string{"/api/v1/contacts", "/api/v1/me", "/api/v1/conversations"} {
		p := a.do(request{method: "GET", path: path, token: owner}).expectProblem(t, http.StatusForbidden, "")
		if !strings.Contains(p.Detail, "suspended") {
			t.Errorf("%s: detail %q does not say the tenant is suspended", path, p.Detail)
		}
	}
	if res := webhookPost(t, a, tn.ID, "inbound", secret, inbound); res.status != http.StatusLocked {
		t.Errorf("delivery to a suspended tenant: %d %s, want 423", res.status, res.body)
	}
	a.do(request{method: "GET", path: "/api/v1/contacts", token: a.token(other.OwnerID)}).expect(t, http.StatusOK)

	setStatus("active")
	a.do(request{method: "GET", path: "/api/v1/contacts", token: owner}).expect(t, http.StatusOK)
	webhookPost(t, a, tn.ID, "inbound", secret, inbound).expect(t, http.StatusOK)
}

// TestBannedAndDeletedAccounts: an access token outlives a ban or a deletion in Supabase
// Auth; the API refuses it on the next request.
func TestBannedAndDeletedAccounts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	agent := a.token(tn.AgentID)
	ctx := context.Background()
	a.do(request{method: "GET", path: "/api/v1/contacts", token: agent}).expect(t, http.StatusOK)

	if _, err := a.db.Admin.Exec(ctx, "update auth.users set banned_until = now() + interval '1 day' where id = $1", tn.AgentID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/contacts", "/api/v1/me"} {
		a.do(request{method: "GET", path: path, token: agent}).expectProblem(t, http.StatusForbidden, "")
	}
	if _, err := a.db.Admin.Exec(ctx, "delete from auth.users where id = $1", tn.AgentID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/contacts", "/api/v1/me"} {
		a.do(request{method: "GET", path: path, token: agent}).expectProblem(t, http.StatusUnauthorized, "")
	}
	a.do(request{method: "POST", path: "/api/v1/setup", token: agent, body: map[string]any{"name": "X", "slug": "x"}}).
		expectProblem(t, http.StatusUnauthorized, "")
}

// myInvitations is GET /api/v1/me/invitations.
type myInvitations struct {
	Items []struct {
		ID         string `json:"id"`
		TenantName string `json:"tenant_name"`
		TenantSlug string `json:"tenant_slug"`
		Role       string `json:"role"`
	} `json:"items"`
}

// TestInvitationAcceptance: a confirmed account invited by two tenants joins neither
// implicitly, lists both invitations and accepts one; an unconfirmed account, another's
// invitation and a second acceptance are refused.
func TestInvitationAcceptance(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tnA := dbtest.SeedTenant(t, a.db, "clinica-a")
	tnB := dbtest.SeedTenant(t, a.db, "clinica-b")
	for _, tn := range []dbtest.Tenant{tnA, tnB} {
		a.do(request{method: "POST", path: "/api/v1/invitations", token: a.token(tn.OwnerID), body: map[string]any{"email": "Ana@Example.com", "role": "admin"}}).
			expect(t, http.StatusCreated)
	}
	ana := a.token(dbtest.CreateAuthUser(t, a.db, "ana@example.com", `{}`, `{}`))
	if me := tenantsGetMe(t, a, ana); me.TenantID != nil {
		t.Fatalf("Ana joined %s implicitly", *me.TenantID)
	}
	var mine myInvitations
	a.do(request{method: "GET", path: "/api/v1/me/invitations", token: ana}).expect(t, http.StatusOK).into(t, &mine)
	if len(mine.Items) != 2 {
		t.Fatalf("Ana's invitations: %+v, want one from each tenant", mine)
	}
	var fromB string
	for _, inv := range mine.Items {
		if inv.TenantSlug == "clinica-b" && inv.TenantName == "clinica-b" && inv.Role == "admin" {
			fromB = inv.ID
		}
	}
	if fromB == "" {
		t.Fatalf("no invitation from clinica-b in %+v", mine)
	}

	// Someone else, with a confirmed email of their own, cannot take Ana's invitation.
	bia := a.token(dbtest.CreateAuthUser(t, a.db, "bia@example.com", `{}`, `{}`))
	a.do(request{method: "POST", path: "/api/v1/invitations/" + fromB + "/accept", token: bia}).expectProblem(t, http.StatusNotFound, "")
	// Nor Ana with an unconfirmed address, if that were her account.
	unconfirmed := dbtest.CreateUnconfirmedAuthUser(t, a.db, "carla@example.com")
	a.do(request{method: "POST", path: "/api/v1/invitations", token: a.token(tnA.OwnerID), body: map[string]any{"email": "carla@example.com"}}).expect(t, http.StatusCreated)
	var carlas myInvitations
	a.do(request{method: "GET", path: "/api/v1/me/invitations", token: a.token(unconfirmed)}).expect(t, http.StatusOK).into(t, &carlas)
	if len(carlas.Items) != 0 {
		t.Fatalf("an unconfirmed account sees invitations: %+v", carlas)
	}

	var joined tenantsMe
	a.do(request{method: "POST", path: "/api/v1/invitations/" + fromB + "/accept", token: ana}).expect(t, http.StatusOK).into(t, &joined)
	if joined.TenantID == nil || *joined.TenantID != tnB.ID.String() || joined.Role == nil || *joined.Role != "admin" {
		t.Fatalf("after accepting: %+v, want admin of clinica-b", joined)
	}
	a.do(request{method: "POST", path: "/api/v1/invitations/" + fromB + "/accept", token: ana}).expectProblem(t, http.StatusNotFound, "")
	for _, inv := range mine.Items {
		if inv.ID != fromB {
			a.do(request{method: "POST", path: "/api/v1/invitations/" + inv.ID + "/accept", token: ana}).expectProblem(t, http.StatusConflict, "")
		}
	}
	a.do(request{method: "POST", path: "/api/v1/invitations/not-a-uuid/accept", token: ana}).expectProblem(t, http.StatusBadRequest, "id")
}

// TestInvitationsWithSupabaseAuth runs onboarding against the real Supabase Auth server,
// with email confirmation on: the review's hijack (signing up with an invited address
// one does not own) joins nothing; confirming the address joins; an invitation emailed
// by Auth (SUPABASE_SERVICE_ROLE_KEY) joins once its link is followed; an existing
// account is told to accept.
func TestInvitationsWithSupabaseAuth(t *testing.T) {
	t.Parallel()
	d, srv := dbtest.NewWithAuth(t, dbtest.AuthOptions{AutoConfirm: false})
	tokens, err := auth.New(auth.Config{JWTSecret: srv.JWTSecret, SupabaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a := serveTestAPI(t, d, api.Config{Invites: &auth.Admin{SupabaseURL: srv.URL, ServiceRoleKey: srv.ServiceRoleKey()}}, tokens)

	srv.SignUp(t, "dona@sorriso.example", "senha da dona 123")
	owner := srv.Confirm(t, "dona@sorriso.example").AccessToken
	var tenant tenantsBranding
	a.do(request{method: "POST", path: "/api/v1/setup", token: owner, body: map[string]any{"name": "Sorriso", "slug": "sorriso"}}).
		expect(t, http.StatusCreated).into(t, &tenant)

	invite := func(email string) string {
		t.Helper()
		var created struct {
			InviteEmail string `json:"invite_email"`
		}
		a.do(request{method: "POST", path: "/api/v1/invitations", token: owner, body: map[string]any{"email": email}}).
			expect(t, http.StatusCreated).into(t, &created)
		return created.InviteEmail
	}
	tenantOf := func(token string) *string {
		t.Helper()
		return tenantsGetMe(t, a, token).TenantID
	}

	// An account made before the invitation: Auth says it exists, and its owner accepts.
	srv.SignUp(t, "antiga@sorriso.example", "senha antiga 123")
	antiga := srv.Confirm(t, "antiga@sorriso.example").AccessToken
	if got := invite("antiga@sorriso.example"); got != "account_exists" {
		t.Fatalf("inviting an existing account: invite_email %q, want account_exists", got)
	}
	if id := tenantOf(antiga); id != nil {
		t.Fatalf("the existing account joined %s without accepting", *id)
	}
	var mine myInvitations
	a.do(request{method: "GET", path: "/api/v1/me/invitations", token: antiga}).expect(t, http.StatusOK).into(t, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("invitations of the existing account: %+v", mine)
	}
	a.do(request{method: "POST", path: "/api/v1/invitations/" + mine.Items[0].ID + "/accept", token: antiga}).expect(t, http.StatusOK)
	if id := tenantOf(antiga); id == nil || *id != tenant.ID {
		t.Fatalf("after accepting: tenant %v, want %s", id, tenant.ID)
	}

	// Auth emails the invitation; following its link confirms the address and joins.
	if got := invite("Convidada@Sorriso.example"); got != "sent" {
		t.Fatalf("invite_email %q, want sent", got)
	}
	convidada := srv.AcceptInvite(t, "convidada@sorriso.example").AccessToken
	if id := tenantOf(convidada); id == nil || *id != tenant.ID {
		t.Fatalf("the invitee after following the link: tenant %v, want %s", id, tenant.ID)
	}
	a.do(request{method: "GET", path: "/api/v1/contacts", token: convidada}).expect(t, http.StatusOK)

	// The hijack: the attacker signs up with an address invited while Auth could not be
	// asked to email it, without owning the mailbox. Nothing is joined until the address
	// is confirmed by whoever reads that mailbox.
	b := serveTestAPI(t, d, api.Config{}, tokens) // no SUPABASE_SERVICE_ROLE_KEY
	var created struct {
		InviteEmail string `json:"invite_email"`
	}
	b.do(request{method: "POST", path: "/api/v1/invitations", token: owner, body: map[string]any{"email": "newhire@sorriso.example", "role": "admin"}}).
		expect(t, http.StatusCreated).into(t, &created)
	if created.InviteEmail != "not_configured" {
		t.Fatalf("invite_email %q, want not_configured", created.InviteEmail)
	}
	attacker := srv.SignUp(t, "NewHire@Sorriso.example", "senha do atacante")
	var profileTenant *uuid.UUID
	if err := d.Admin.QueryRow(context.Background(), "select tenant_id from users where id = $1", attacker).Scan(&profileTenant); err != nil || profileTenant != nil {
		t.Fatalf("the unconfirmed signup's profile: tenant %v (%v), want none", profileTenant, err)
	}
	newhire := srv.Confirm(t, "newhire@sorriso.example").AccessToken
	if me := tenantsGetMe(t, a, newhire); me.TenantID == nil || *me.TenantID != tenant.ID || me.Role == nil || *me.Role != "admin" {
		t.Fatalf("after confirming the address: %+v, want admin of %s", me, tenant.ID)
	}
}
