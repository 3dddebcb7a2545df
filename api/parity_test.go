package api_test

import (
	"net/http"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// singletonTables maps the resources that are one row per tenant, and so have no :id,
// to their table.
var singletonTables = map[string]string{
	"tenant":         "tenants",
	"ai-config":      "ai_config",
	"me":             "users",
	"webhook-secret": "tenant_secrets",
	"channels":       "channel_accounts",
}

// writeCommand is the SQL command a write route makes on its table: POST creates, except
// on a row it names (launch, move, read, accept, verify), where it changes the row.
func writeCommand(r route) string {
	switch {
	case r.Method == http.MethodDelete:
		return "delete"
	case r.Method == http.MethodPost && len(r.params()) == 0 && r.resource() != "tenant":
		return "insert"
	default:
		return "update"
	}
}

// TestRoleRefusalsHoldInDatabase derives from the route table what the API refuses a
// member for their role: every write route is called as tenant A's agent, and wherever
// the API answers 403, the same command on the same table is attempted as that agent
// through SQL (as supabase-js would) and must be refused too. The database's own
// matrix of role and state rules is TestRulesHoldForSupabaseClients, in package db.
func TestRoleRefusalsHoldInDatabase(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	agent := a.token(tn.AgentID)
	doc := openAPIDoc(t)
	tables := map[string]dbtest.Table{}
	for _, table := range dbtest.Tables(t, a.db.Admin) {
		tables[table.Name] = table
	}

	var refusedByAPI int
	for _, p := range a.probes(t, tn.ID) {
		r := p.route
		if r.Method == http.MethodGet || r.resource() == "setup" {
			continue // reads, and the one write made before there is a tenant
		}
		var body any
		if schema := requestSchema(r.operation(t, doc)); schema != nil {
			body = sample(schema)
		}
		if res := a.do(request{method: r.Method, path: p.path, token: agent, body: body}); res.status != http.StatusForbidden {
			continue
		}
		refusedByAPI++
		name, ok := resourceTables[r.resource()]
		if !ok {
			name, ok = singletonTables[r.resource()]
		}
		if !ok {
			t.Errorf("%s: add its resource %q to resourceTables or singletonTables", r, r.resource())
			continue
		}
		probe := dbtest.NewTableProbe(t, a.db.Admin, tables[name], dbtest.Claims(tn.AgentID))
		cmd := writeCommand(r)
		if got := probe.Run(cmd, probe.SampleRow(tn.ID, tn.AgentID), ""); !got.Denied() {
			t.Errorf("%s is refused to an agent by the API, but %s on %s as that agent through SQL: %v", r, cmd, name, got)
		}
	}
	t.Logf("%d write routes refused to an agent, each checked in the database", refusedByAPI)
	if refusedByAPI < 10 {
		t.Fatalf("only %d write routes refused an agent: the probe is broken", refusedByAPI)
	}
}
