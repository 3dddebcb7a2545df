package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// tenantsBranding is the tenant resource as a client decodes it.
type tenantsBranding struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Slug         string  `json:"slug"`
	CustomDomain *string `json:"custom_domain"`
	// CustomDomainVerified says the domain serves the tenant.
	CustomDomainVerified bool           `json:"custom_domain_verified"`
	LogoURL              *string        `json:"logo_url"`
	Theme                map[string]any `json:"theme"`
}

// tenantsBrandingAt is GET /api/v1/tenant on the host, without a token.
func tenantsBrandingAt(t *testing.T, a *testAPI, host string) tenantsBranding {
	t.Helper()
	var b tenantsBranding
	a.do(request{method: "GET", path: "/api/v1/tenant", host: host}).expect(t, http.StatusOK).into(t, &b)
	return b
}

// tenantsMember adds an auth user to the tenant with the role, as an admin or the
// importer does through app metadata, and returns its id.
func tenantsMember(t *testing.T, a *testAPI, tn dbtest.Tenant, email, role string) uuid.UUID {
	t.Helper()
	return dbtest.CreateAuthUser(t, a.db, email, `{"tenant_id": "`+tn.ID.String()+`", "tenant_role": "`+role+`"}`, `{}`)
}

func TestTenantBrandingIsPublic(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")

	byHost := tenantsBrandingAt(t, a, "clinica-a.atende.test")
	if byHost.ID != tn.ID.String() || byHost.Slug != "clinica-a" || byHost.Name != "clinica-a" ||
		byHost.CustomDomain != nil || byHost.LogoURL != nil || byHost.Theme == nil || len(byHost.Theme) != 0 {
		t.Fatalf("branding by host: %+v", byHost)
	}
	var byParam tenantsBranding
	a.do(request{method: "GET", path: "/api/v1/tenant?host=CLINICA-A.atende.test:443"}).expect(t, http.StatusOK).into(t, &byParam)
	if byParam.ID != byHost.ID || byParam.Slug != byHost.Slug {
		t.Fatalf("branding by ?host=: %+v, want %+v", byParam, byHost)
	}

	a.do(request{method: "GET", path: "/api/v1/tenant"}).expectProblem(t, http.StatusNotFound, "")
	a.do(request{method: "GET", path: "/api/v1/tenant?host=nobody.atende.test"}).expectProblem(t, http.StatusNotFound, "")
	a.do(request{method: "GET", path: "/api/v1/tenant?host=not%20a%20host"}).expectProblem(t, http.StatusBadRequest, "host")
	a.do(request{method: "GET", path: "/api/v1/tenant?host="}).expectProblem(t, http.StatusBadRequest, "host")
}

func TestTenantUpdate(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner := a.token(tn.OwnerID)
	patch := func(token string, body any) response {
		return a.do(request{method: "PATCH", path: "/api/v1/tenant", token: token, body: body})
	}

	var updated tenantsBranding
	patch(owner, map[string]any{
		"name": "  Clínica A  ", "custom_domain": "Atendimento.Clinica-A.com.BR.", "logo_url": "https://cdn.example/a.png",
		"theme": map[string]any{"primary": "#0055ff"},
	}).expect(t, http.StatusOK).into(t, &updated)
	if updated.ID != tn.ID.String() || updated.Name != "Clínica A" || updated.Slug != "clinica-a" ||
		updated.CustomDomain == nil || *updated.CustomDomain != "atendimento.clinica-a.com.br" ||
		updated.LogoURL == nil || *updated.LogoURL != "https://cdn.example/a.png" || updated.Theme["primary"] != "#0055ff" {
		t.Fatalf("after patch: %+v", updated)
	}
	// The new domain is pending: it serves nothing until its TXT record is verified.
	if updated.CustomDomainVerified {
		t.Fatal("a new custom domain is verified without proof")
	}
	a.do(request{method: "GET", path: "/api/v1/tenant", host: "atendimento.clinica-a.com.br"}).expectProblem(t, http.StatusNotFound, "")
	a.do(request{method: "POST", path: "/api/v1/tenant/custom-domain/verify", token: owner}).expectProblem(t, http.StatusUnprocessableEntity, "")
	a.verifyCustomDomain(t, owner)
	if got := tenantsBrandingAt(t, a, "atendimento.clinica-a.com.br"); got.ID != tn.ID.String() || got.Name != "Clínica A" {
		t.Fatalf("branding at the custom domain: %+v", got)
	}

	// Absent fields are kept; null clears the nullable ones and resets the theme.
	var cleared tenantsBranding
	patch(owner, map[string]any{"logo_url": nil, "custom_domain": nil, "theme": nil}).expect(t, http.StatusOK).into(t, &cleared)
	if cleared.Name != "Clínica A" || cleared.LogoURL != nil || cleared.CustomDomain != nil || len(cleared.Theme) != 0 {
		t.Fatalf("after clearing: %+v", cleared)
	}

	admin := a.token(tenantsMember(t, a, tn, "admin@clinica-a.example", "admin"))
	var renamed tenantsBranding
	patch(admin, map[string]any{"name": "Clínica Alfa"}).expect(t, http.StatusOK).into(t, &renamed)
	if renamed.Name != "Clínica Alfa" {
		t.Fatalf("admin rename: %+v", renamed)
	}

	patch(a.token(tn.AgentID), map[string]any{"name": "Agent's"}).expectProblem(t, http.StatusForbidden, "")
	patch("", map[string]any{"name": "Anyone's"}).expectProblem(t, http.StatusUnauthorized, "")

	patch(a.token(other.OwnerID), map[string]any{"custom_domain": "clinica-b.com"}).expect(t, http.StatusOK)
	a.verifyCustomDomain(t, a.token(other.OwnerID))
	a.expectRefusals(t, owner, []refusal{
		{"slug not a DNS label", "PATCH", "/api/v1/tenant", map[string]any{"slug": "-clinica"}, 400, "slug"},
		{"slug too long", "PATCH", "/api/v1/tenant", map[string]any{"slug": "a234567890123456789012345678901234567890123456789012345678901234"}, 400, "slug"},
		{"slug reserved", "PATCH", "/api/v1/tenant", map[string]any{"slug": "api"}, 400, "slug"},
		{"slug reserved: www", "PATCH", "/api/v1/tenant", map[string]any{"slug": "WWW"}, 400, "slug"},
		{"slug null", "PATCH", "/api/v1/tenant", map[string]any{"slug": nil}, 400, "slug"},
		{"slug taken", "PATCH", "/api/v1/tenant", map[string]any{"slug": "Clinica-B"}, 409, "slug"},
		{"domain under base", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": "x.Atende.test"}, 400, "custom_domain"},
		{"domain is the base", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": "atende.test"}, 400, "custom_domain"},
		{"domain with scheme", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": "https://clinica.com"}, 400, "custom_domain"},
		{"domain with port", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": "clinica.com:8443"}, 400, "custom_domain"},
		{"domain one label", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": "clinica"}, 400, "custom_domain"},
		{"name null", "PATCH", "/api/v1/tenant", map[string]any{"name": nil}, 400, "name"},
		{"name blank", "PATCH", "/api/v1/tenant", map[string]any{"name": "   "}, 400, "name"},
		{"name wrong type", "PATCH", "/api/v1/tenant", map[string]any{"name": 7}, 400, "name"},
		{"theme not an object", "PATCH", "/api/v1/tenant", map[string]any{"theme": []string{"blue"}}, 400, "theme"},
		{"logo not a web URL", "PATCH", "/api/v1/tenant", map[string]any{"logo_url": "javascript:alert(1)"}, 400, "logo_url"},
		{"logo over plain http", "PATCH", "/api/v1/tenant", map[string]any{"logo_url": "http://cdn.example/a.png"}, 400, "logo_url"},
		{"unknown field", "PATCH", "/api/v1/tenant", map[string]any{"status": "suspended"}, 400, "status"},
		{"malformed JSON", "PATCH", "/api/v1/tenant", `{"name": `, 400, ""},
		{"not an object", "PATCH", "/api/v1/tenant", `["name"]`, 400, ""},
		{"custom domain wrong type", "PATCH", "/api/v1/tenant", map[string]any{"custom_domain": true}, 400, "custom_domain"},
		{"logo_url too long", "PATCH", "/api/v1/tenant", map[string]any{"logo_url": "https://x.example/" + string(make([]byte, 2048))}, 400, "logo_url"},
		{"theme wrong type (string)", "PATCH", "/api/v1/tenant", map[string]any{"theme": "blue"}, 400, "theme"},
	}, tn.ID, other.ID)

	// Nothing above changed either tenant.
	if got := tenantsBrandingAt(t, a, "clinica-a.atende.test"); got.Name != "Clínica Alfa" || got.Slug != "clinica-a" || got.CustomDomain != nil {
		t.Fatalf("tenant A after the failed patches: %+v", got)
	}
	if got := tenantsBrandingAt(t, a, "clinica-b.com"); got.ID != other.ID.String() || got.Name != "clinica-b" {
		t.Fatalf("tenant B: %+v", got)
	}
}

// tenantsMe is GET /api/v1/me as a client decodes it.
type tenantsMe struct {
	ID       string           `json:"id"`
	TenantID *string          `json:"tenant_id"`
	Email    *string          `json:"email"`
	FullName *string          `json:"full_name"`
	Role     *string          `json:"role"`
	Tenant   *tenantsBranding `json:"tenant"`
}

func tenantsGetMe(t *testing.T, a *testAPI, token string) tenantsMe {
	t.Helper()
	var me tenantsMe
	a.do(request{method: "GET", path: "/api/v1/me", token: token}).expect(t, http.StatusOK).into(t, &me)
	return me
}

// TestSetup is onboarding end to end: a new user without a tenant sets one up, becomes
// its owner with the defaults seeded, and invites a colleague who joins by signing up.
func TestSetup(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	ctx := context.Background()
	userID := dbtest.CreateAuthUser(t, a.db, "Dono@Example.com", `{}`, `{"full_name": "Dono"}`)
	token := a.token(userID)

	me := tenantsGetMe(t, a, token)
	if me.ID != userID.String() || me.TenantID != nil || me.Role != nil || me.Tenant != nil ||
		me.Email == nil || *me.Email != "dono@example.com" || me.FullName == nil || *me.FullName != "Dono" {
		t.Fatalf("me before setup: %+v", me)
	}
	a.do(request{method: "GET", path: "/api/v1/contacts", token: token}).expectProblem(t, http.StatusForbidden, "")
	a.do(request{method: "GET", path: "/api/v1/tenant", host: "clinica-nova.atende.test"}).expectProblem(t, http.StatusNotFound, "")

	var created tenantsBranding
	a.do(request{method: "POST", path: "/api/v1/setup", token: token, body: map[string]any{
		"name": "Clínica Nova", "slug": "Clinica-Nova", "custom_domain": "atendimento.clinicanova.com.br",
		"logo_url": "https://cdn.example/nova.png", "theme": map[string]any{"primary": "#00aa55"},
	}}).expect(t, http.StatusCreated).into(t, &created)
	tenantID, err := uuid.Parse(created.ID)
	if err != nil || created.Name != "Clínica Nova" || created.Slug != "clinica-nova" ||
		created.CustomDomain == nil || *created.CustomDomain != "atendimento.clinicanova.com.br" ||
		created.LogoURL == nil || created.Theme["primary"] != "#00aa55" {
		t.Fatalf("created %+v (%v)", created, err)
	}

	me = tenantsGetMe(t, a, token)
	if me.TenantID == nil || *me.TenantID != created.ID || me.Role == nil || *me.Role != "owner" ||
		me.Tenant == nil || me.Tenant.Slug != "clinica-nova" {
		t.Fatalf("me after setup: %+v", me)
	}
	var contacts struct{ Items []any }
	a.do(request{method: "GET", path: "/api/v1/contacts", token: token}).expect(t, http.StatusOK).into(t, &contacts)
	if len(contacts.Items) != 0 {
		t.Fatalf("a new tenant has contacts: %+v", contacts)
	}
	var aiConfigs, secrets int
	var locale string
	if err := a.db.Admin.QueryRow(ctx, `select
			(select count(*) from ai_config where tenant_id = $1),
			(select count(*) from tenant_secrets where tenant_id = $1),
			(select value #>> '{}' from system_settings where tenant_id = $1 and key = 'locale')`,
		tenantID).Scan(&aiConfigs, &secrets, &locale); err != nil {
		t.Fatal(err)
	}
	if aiConfigs != 1 || secrets != 1 || locale != "pt-BR" {
		t.Fatalf("defaults: %d ai_config, %d secrets, locale %q", aiConfigs, secrets, locale)
	}
	// Its host answers at once, though it was looked up (and cached as nobody's) before.
	if got := tenantsBrandingAt(t, a, "clinica-nova.atende.test"); got.ID != created.ID {
		t.Fatalf("branding at the new subdomain: %+v", got)
	}

	second := a.do(request{method: "POST", path: "/api/v1/setup", token: token, body: map[string]any{"name": "Outra", "slug": "outra"}})
	second.expectProblem(t, http.StatusConflict, "")
	a.do(request{method: "GET", path: "/api/v1/tenant?host=outra.atende.test"}).expectProblem(t, http.StatusNotFound, "")

	// The owner invites a colleague, who joins as an agent by signing up with that email.
	var invitation struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	a.do(request{method: "POST", path: "/api/v1/invitations", token: token, body: map[string]any{"email": "Colega@Example.com"}}).
		expect(t, http.StatusCreated).into(t, &invitation)
	if invitation.Email != "colega@example.com" || invitation.Role != "agent" {
		t.Fatalf("invitation %+v", invitation)
	}
	colleagueID := dbtest.CreateAuthUser(t, a.db, "colega@example.com", `{}`, `{"full_name": "Colega"}`)
	colleague := tenantsGetMe(t, a, a.token(colleagueID))
	if colleague.TenantID == nil || *colleague.TenantID != created.ID || colleague.Role == nil || *colleague.Role != "agent" ||
		colleague.Tenant == nil || colleague.Tenant.Name != "Clínica Nova" {
		t.Fatalf("colleague: %+v", colleague)
	}
	var accepted struct {
		AcceptedUserID *string `json:"accepted_user_id"`
		AcceptedAt     *string `json:"accepted_at"`
	}
	a.do(request{method: "GET", path: "/api/v1/invitations/" + invitation.ID, token: token}).expect(t, http.StatusOK).into(t, &accepted)
	if accepted.AcceptedUserID == nil || *accepted.AcceptedUserID != colleagueID.String() || accepted.AcceptedAt == nil {
		t.Fatalf("accepted invitation: %+v", accepted)
	}
}

func TestSetupRejects(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	userID := dbtest.CreateAuthUser(t, a.db, "novo@example.com", `{}`, `{}`)
	token := a.token(userID)
	setup := func(token, host string, body any) response {
		return a.do(request{method: "POST", path: "/api/v1/setup", token: token, host: host, body: body})
	}
	valid := map[string]any{"name": "Nova", "slug": "nova"}

	setup("", "", valid).expectProblem(t, http.StatusUnauthorized, "")
	setup("not-a-token", "", valid).expectProblem(t, http.StatusUnauthorized, "")
	setup(token, "clinica-a.atende.test", valid).expectProblem(t, http.StatusForbidden, "")
	setup(token, "nobody.atende.test", valid).expectProblem(t, http.StatusNotFound, "")
	setup(a.token(tn.AgentID), "", valid).expectProblem(t, http.StatusConflict, "")
	a.expectRefusals(t, token, []refusal{
		{"no name", "POST", "/api/v1/setup", map[string]any{"slug": "nova"}, 400, "name"},
		{"blank name", "POST", "/api/v1/setup", map[string]any{"name": " ", "slug": "nova"}, 400, "name"},
		{"no slug", "POST", "/api/v1/setup", map[string]any{"name": "Nova"}, 400, "slug"},
		{"bad slug", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova clínica"}, 400, "slug"},
		{"slug taken", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "clinica-a"}, 409, "slug"},
		{"domain under base", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "custom_domain": "nova.atende.test"}, 400, "custom_domain"},
		{"bad logo", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "logo_url": "/logo.png"}, 400, "logo_url"},
		{"bad theme", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "theme": 3}, 400, "theme"},
		{"unknown field", "POST", "/api/v1/setup", map[string]any{"name": "Nova", "slug": "nova", "role": "owner"}, 400, "role"},
		{"empty body", "POST", "/api/v1/setup", "", 400, ""},
	}, tn.ID)

	// Nothing was half-written: the user still has no tenant and can set one up.
	if me := tenantsGetMe(t, a, token); me.TenantID != nil || me.Role != nil {
		t.Fatalf("after failed setups: %+v", me)
	}
	setup(token, "api.atende.test", valid).expect(t, http.StatusCreated)
}

// TestSlugAvailability: the setup form learns, as it is typed, whether a slug is free.
func TestSlugAvailability(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	dbtest.SeedTenant(t, a.db, "clinica-a")
	for slug, want := range map[string]string{"Clinica-Nova": "", "clinica-a": "taken", "www": "reserved", "Admin": "reserved", "-x": "invalid", "": "invalid"} {
		var got struct {
			Slug      string  `json:"slug"`
			Available bool    `json:"available"`
			Reason    *string `json:"reason"`
		}
		a.do(request{method: "GET", path: "/api/v1/setup/slug?slug=" + slug}).expect(t, http.StatusOK).into(t, &got)
		reason := ""
		if got.Reason != nil {
			reason = *got.Reason
		}
		if reason != want || got.Available != (want == "") {
			t.Errorf("%q: %+v, want reason %q", slug, got, want)
		}
	}
}
