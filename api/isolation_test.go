package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// notFoundExceptions are routes that answer a foreign id with something other than 404,
// with the reason; the matrix still checks that the other tenant's rows are untouched
// and that the answer shows none of its ids.
var notFoundExceptions = map[string]string{
	"PUT /api/v1/settings/:key": "setting keys are names each tenant chooses, not ids: PUT creates the caller's own setting with that key",
}

// publicRoutes are list routes that show data without a tenant on purpose.
var publicRoutes = map[string]string{
	"GET /api/v1/tenant": "a tenant's branding is public: it is what the sign-in page of its host shows",
}

// TestIsolationMatrix probes every route of Echo's route table: tenant A's owner calls
// every route that takes an id with tenant B's ids, with every method the route has,
// and gets 404 while B's rows stay byte for byte as they were; every list, search,
// board and stats route called by A shows none of B's ids. The routes come from the
// route table and the request bodies from the OpenAPI document, so a new route is
// probed without anyone editing this test.
func TestIsolationMatrix(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tenantA := dbtest.SeedTenant(t, a.db, "clinica-a")
	tenantB := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tenantA.OwnerID)
	doc := openAPIDoc(t)

	probes := a.probes(t, tenantB.ID) // before the snapshot: it may create B's rows
	foreignIDs := a.tenantIDs(t, tenantB.ID)
	before := a.tenantSnapshot(t, tenantB.ID)

	var probed, listed int
	for _, p := range probes {
		r := p.route
		if len(r.params()) == 0 {
			if r.Method != http.MethodGet || r.Path == "/api/v1/openapi.json" {
				continue
			}
			if reason, public := publicRoutes[r.String()]; public {
				t.Logf("not checked for foreign ids: %s: %s", r, reason)
				continue
			}
			res := a.do(request{method: r.Method, path: r.Path, token: token})
			listed++
			for _, id := range foreignIDs {
				if strings.Contains(string(res.body), id) {
					t.Errorf("%s as tenant A shows tenant B's id %s: %s", r, id, res.body)
				}
			}
			continue
		}

		var body any
		if schema := requestSchema(r.operation(t, doc)); schema != nil {
			body = sample(schema)
		}
		res := a.do(request{method: r.Method, path: p.path, token: token, body: body})
		probed++
		if reason, ok := notFoundExceptions[r.String()]; ok {
			t.Logf("%s answered %d (allowed: %s)", r, res.status, reason)
		} else if res.status != http.StatusNotFound {
			encoded, _ := json.Marshal(body)
			t.Errorf("%s with tenant B's id %s and body %s: status %d, want 404: %s", r, p.path, encoded, res.status, res.body)
		}
		for _, id := range foreignIDs {
			if strings.Contains(string(res.body), id) {
				t.Errorf("%s as tenant A shows tenant B's id %s: %s", r, id, res.body)
			}
		}
	}
	expectSnapshot(t, "after tenant A probed every route with tenant B's ids", before, a.tenantSnapshot(t, tenantB.ID))
	t.Logf("isolation matrix: %d route×method probes with foreign ids, %d list routes checked", probed, listed)
	if probed == 0 || listed == 0 {
		t.Fatal("the route table yielded nothing to probe")
	}
}
