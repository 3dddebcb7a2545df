package api_test

import (
	"net/http"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// hostsContactNames lists, on the host, the contact names the token's caller sees.
func hostsContactNames(t *testing.T, a *testAPI, host, token string) []string {
	t.Helper()
	var p struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts", host: host, token: token}).expect(t, http.StatusOK).into(t, &p)
	names := make([]string, len(p.Items))
	for i, c := range p.Items {
		names[i] = c.Name
	}
	return names
}

// TestHosts: a tenant is reached at <slug>.<base domain> and at its custom domain, in
// any case and with a port; an unknown tenant host is a 404, another tenant's host a
// 403, and a change of slug or domain takes effect at once despite the host cache.
func TestHosts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tenantA := dbtest.SeedTenant(t, a.db, "clinica-a")
	tenantB := dbtest.SeedTenant(t, a.db, "clinica-b")
	ownerA, ownerB := a.token(tenantA.OwnerID), a.token(tenantB.OwnerID)
	a.do(request{method: "POST", path: "/api/v1/contacts", token: ownerA, body: map[string]any{"name": "Só da A"}}).expect(t, http.StatusCreated)

	t.Run("subdomain", func(t *testing.T) {
		if got := tenantsBrandingAt(t, a, "clinica-a.atende.test"); got.ID != tenantA.ID.String() {
			t.Fatalf("clinica-a.atende.test is %+v", got)
		}
		if names := hostsContactNames(t, a, "clinica-a.atende.test", ownerA); len(names) != 3 || names[0] != "Só da A" {
			t.Fatalf("contacts at clinica-a.atende.test: %v", names)
		}
	})
	t.Run("mixed case and a port", func(t *testing.T) {
		if got := tenantsBrandingAt(t, a, "Clinica-A.ATENDE.test:8443"); got.ID != tenantA.ID.String() {
			t.Fatalf("Clinica-A.ATENDE.test:8443 is %+v", got)
		}
		var me tenantsMe
		a.do(request{method: "GET", path: "/api/v1/me", host: "Clinica-A.ATENDE.test:8443", token: ownerA}).expect(t, http.StatusOK).into(t, &me)
		if me.Tenant == nil || me.Tenant.ID != tenantA.ID.String() {
			t.Fatalf("me at Clinica-A.ATENDE.test:8443: %+v", me)
		}
	})
	t.Run("bare API host", func(t *testing.T) {
		for _, host := range []string{"atende.test", "api.atende.test", "API.atende.test:443", "localhost:8080", "127.0.0.1"} {
			if names := hostsContactNames(t, a, host, ownerB); len(names) != 2 {
				t.Fatalf("tenant B's contacts at %s: %v", host, names)
			}
			a.do(request{method: "GET", path: "/api/v1/tenant", host: host}).expectProblem(t, http.StatusNotFound, "")
		}
	})
	t.Run("unknown subdomain", func(t *testing.T) {
		a.do(request{method: "GET", path: "/api/v1/tenant", host: "nobody.atende.test"}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: "GET", path: "/api/v1/contacts", host: "nobody.atende.test", token: ownerA}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: "GET", path: "/api/v1/contacts", host: "a.b.atende.test", token: ownerA}).expectProblem(t, http.StatusNotFound, "")
	})
	t.Run("another tenant's host", func(t *testing.T) {
		for _, path := range []string{"/api/v1/contacts", "/api/v1/me", "/api/v1/users"} {
			a.do(request{method: "GET", path: path, host: "clinica-b.atende.test", token: ownerA}).expectProblem(t, http.StatusForbidden, "")
		}
		a.do(request{method: "PATCH", path: "/api/v1/tenant", host: "clinica-b.atende.test", token: ownerA,
			body: map[string]any{"name": "Hijacked"}}).expectProblem(t, http.StatusForbidden, "")
		if got := tenantsBrandingAt(t, a, "clinica-b.atende.test"); got.Name != "clinica-b" {
			t.Fatalf("tenant B after A's attempt: %+v", got)
		}
	})

	t.Run("a site on another origin names its host in X-Atende-Host", func(t *testing.T) {
		site := func(host, token string) response {
			req := request{method: "GET", path: "/api/v1/me", token: token}
			res, err := inboxSend(a, req.method, req.path, req.token, http.Header{"X-Atende-Host": {host}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		site("clinica-a.atende.test:3000", ownerA).expect(t, http.StatusOK)
		if res := site("clinica-b.atende.test:3000", ownerA); res.status != http.StatusForbidden {
			t.Fatalf("tenant A's owner on tenant B's site: %d %s, want 403", res.status, res.body)
		}
		if res := site("nobody.atende.test", ownerA); res.status != http.StatusNotFound {
			t.Fatalf("an unknown tenant's site: %d, want 404", res.status)
		}
	})

	// Both the old and the new names are looked up first, so the cache holds a hit for
	// the old host and a miss for the new one when the slug and domain change.
	t.Run("a changed slug and domain take effect at once", func(t *testing.T) {
		tenantsBrandingAt(t, a, "clinica-a.atende.test")
		a.do(request{method: "GET", path: "/api/v1/tenant", host: "clinica-alfa.atende.test"}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: "GET", path: "/api/v1/tenant", host: "atendimento.clinica-a.com.br"}).expectProblem(t, http.StatusNotFound, "")

		a.do(request{method: "PATCH", path: "/api/v1/tenant", host: "clinica-a.atende.test", token: ownerA,
			body: map[string]any{"slug": "clinica-alfa", "custom_domain": "Atendimento.Clinica-A.com.br"}}).expect(t, http.StatusOK)
		a.verifyCustomDomain(t, ownerA)

		a.do(request{method: "GET", path: "/api/v1/tenant", host: "clinica-a.atende.test"}).expectProblem(t, http.StatusNotFound, "")
		a.do(request{method: "GET", path: "/api/v1/contacts", host: "clinica-a.atende.test", token: ownerA}).expectProblem(t, http.StatusNotFound, "")
		for _, host := range []string{"clinica-alfa.atende.test", "atendimento.clinica-a.com.br", "ATENDIMENTO.clinica-a.com.br:8443"} {
			if got := tenantsBrandingAt(t, a, host); got.ID != tenantA.ID.String() || got.Slug != "clinica-alfa" {
				t.Fatalf("%s is %+v", host, got)
			}
			if names := hostsContactNames(t, a, host, ownerA); len(names) != 3 {
				t.Fatalf("contacts at %s: %v", host, names)
			}
			a.do(request{method: "GET", path: "/api/v1/contacts", host: host, token: ownerB}).expectProblem(t, http.StatusForbidden, "")
		}

		// Dropping the custom domain frees it at once too.
		a.do(request{method: "PATCH", path: "/api/v1/tenant", token: ownerA, body: map[string]any{"custom_domain": nil}}).expect(t, http.StatusOK)
		a.do(request{method: "GET", path: "/api/v1/tenant", host: "atendimento.clinica-a.com.br"}).expectProblem(t, http.StatusNotFound, "")
	})
}
