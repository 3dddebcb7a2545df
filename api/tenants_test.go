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
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Slug         string         `json:"slug"`
	CustomDomain *string        `json:"custom_domain"`
	LogoURL      *string        `json:"logo_url"`
	Theme        map[string]any `json:"theme"`
}

// tenantsProblem fails the test unless the response is a problem with the status that
// names the field ("" for none).
func tenantsProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	r.expect(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r.body)
	}
	if p := r.problem(t); p.Status != status || p.Field != field {
		t.Fatalf("problem %+v, want status %d naming field %q", p, status, field)
	}
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

	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant"}), http.StatusNotFound, "")
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant?host=nobody.atende.test"}), http.StatusNotFound, "")
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant?host=not%20a%20host"}), http.StatusBadRequest, "host")
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant?host="}), http.StatusBadRequest, "host")
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

	tenantsProblem(t, patch(a.token(tn.AgentID), map[string]any{"name": "Agent's"}), http.StatusForbidden, "")
	tenantsProblem(t, patch("", map[string]any{"name": "Anyone's"}), http.StatusUnauthorized, "")

	patch(a.token(other.OwnerID), map[string]any{"custom_domain": "clinica-b.com"}).expect(t, http.StatusOK)
	for name, tc := range map[string]struct {
		body   any
		status int
		field  string
	}{
		"slug not a DNS label":      {map[string]any{"slug": "-clinica"}, http.StatusBadRequest, "slug"},
		"slug too long":             {map[string]any{"slug": "a234567890123456789012345678901234567890123456789012345678901234"}, http.StatusBadRequest, "slug"},
		"slug reserved":             {map[string]any{"slug": "api"}, http.StatusBadRequest, "slug"},
		"slug null":                 {map[string]any{"slug": nil}, http.StatusBadRequest, "slug"},
		"slug taken":                {map[string]any{"slug": "Clinica-B"}, http.StatusConflict, "slug"},
		"domain under base":         {map[string]any{"custom_domain": "x.Atende.test"}, http.StatusBadRequest, "custom_domain"},
		"domain is the base":        {map[string]any{"custom_domain": "atende.test"}, http.StatusBadRequest, "custom_domain"},
		"domain with scheme":        {map[string]any{"custom_domain": "https://clinica.com"}, http.StatusBadRequest, "custom_domain"},
		"domain with port":          {map[string]any{"custom_domain": "clinica.com:8443"}, http.StatusBadRequest, "custom_domain"},
		"domain one label":          {map[string]any{"custom_domain": "clinica"}, http.StatusBadRequest, "custom_domain"},
		"domain taken":              {map[string]any{"custom_domain": "CLINICA-B.com"}, http.StatusConflict, "custom_domain"},
		"name null":                 {map[string]any{"name": nil}, http.StatusBadRequest, "name"},
		"name blank":                {map[string]any{"name": "   "}, http.StatusBadRequest, "name"},
		"name wrong type":           {map[string]any{"name": 7}, http.StatusBadRequest, "name"},
		"theme not an object":       {map[string]any{"theme": []string{"blue"}}, http.StatusBadRequest, "theme"},
		"logo not a web URL":        {map[string]any{"logo_url": "javascript:alert(1)"}, http.StatusBadRequest, "logo_url"},
		"unknown field":             {map[string]any{"status": "suspended"}, http.StatusBadRequest, "status"},
		"malformed JSON":            {`{"name": `, http.StatusBadRequest, ""},
		"not an object":             {`["name"]`, http.StatusBadRequest, ""},
		"custom domain wrong type":  {map[string]any{"custom_domain": true}, http.StatusBadRequest, "custom_domain"},
		"logo_url too long":         {map[string]any{"logo_url": "https://x.example/" + string(make([]byte, 2048))}, http.StatusBadRequest, "logo_url"},
		"theme wrong type (string)": {map[string]any{"theme": "blue"}, http.StatusBadRequest, "theme"},
	} {
		t.Run(name, func(t *testing.T) {
			tenantsProblem(t, patch(owner, tc.body), tc.status, tc.field)
		})
	}

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
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/contacts", token: token}), http.StatusForbidden, "")
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant", host: "clinica-nova.atende.test"}), http.StatusNotFound, "")

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
	tenantsProblem(t, second, http.StatusConflict, "")
	tenantsProblem(t, a.do(request{method: "GET", path: "/api/v1/tenant?host=outra.atende.test"}), http.StatusNotFound, "")

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

	tenantsProblem(t, setup("", "", valid), http.StatusUnauthorized, "")
	tenantsProblem(t, setup("not-a-token", "", valid), http.StatusUnauthorized, "")
	tenantsProblem(t, setup(token, "clinica-a.atende.test", valid), http.StatusForbidden, "")
	tenantsProblem(t, setup(token, "nobody.atende.test", valid), http.StatusNotFound, "")
	tenantsProblem(t, setup(a.token(tn.AgentID), "", valid), http.StatusConflict, "")
	for name, tc := range map[string]struct {
		body   any
		status int
		field  string
	}{
		"no name":           {map[string]any{"slug": "nova"}, http.StatusBadRequest, "name"},
		"blank name":        {map[string]any{"name": " ", "slug": "nova"}, http.StatusBadRequest, "name"},
		"no slug":           {map[string]any{"name": "Nova"}, http.StatusBadRequest, "slug"},
		"bad slug":          {map[string]any{"name": "Nova", "slug": "nova clínica"}, http.StatusBadRequest, "slug"},
		"slug taken":        {map[string]any{"name": "Nova", "slug": "clinica-a"}, http.StatusConflict, "slug"},
		"domain under base": {map[string]any{"name": "Nova", "slug": "nova", "custom_domain": "nova.atende.test"}, http.StatusBadRequest, "custom_domain"},
		"bad logo":          {map[string]any{"name": "Nova", "slug": "nova", "logo_url": "/logo.png"}, http.StatusBadRequest, "logo_url"},
		"bad theme":         {map[string]any{"name": "Nova", "slug": "nova", "theme": 3}, http.StatusBadRequest, "theme"},
		"unknown field":     {map[string]any{"name": "Nova", "slug": "nova", "role": "owner"}, http.StatusBadRequest, "role"},
		"empty body":        {"", http.StatusBadRequest, ""},
	} {
		t.Run(name, func(t *testing.T) {
			tenantsProblem(t, setup(token, "", tc.body), tc.status, tc.field)
		})
	}

	// Nothing was half-written: the user still has no tenant and can set one up.
	if me := tenantsGetMe(t, a, token); me.TenantID != nil || me.Role != nil {
		t.Fatalf("after failed setups: %+v", me)
	}
	setup(token, "api.atende.test", valid).expect(t, http.StatusCreated)
}
