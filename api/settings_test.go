package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

type settingsSetting struct {
	TenantID string          `json:"tenant_id"`
	Key      string          `json:"key"`
	Value    json.RawMessage `json:"value"`
}

func TestSettings(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner, agent := a.token(tn.OwnerID), a.token(tn.AgentID)

	// Any JSON is a value, null included; PUT replaces.
	for _, put := range []struct{ key, value string }{
		{"inbox.auto-assign", `{"enabled": true, "agents": ["ana"]}`},
		{"a.limit", `3`},
		{"branding_footer", `null`},
		{"inbox.auto-assign", `{"enabled": false}`},
	} {
		var setting settingsSetting
		a.do(request{method: "PUT", path: "/api/v1/settings/" + put.key, token: owner, body: `{"value": ` + put.value + `}`}).
			expect(t, http.StatusOK).into(t, &setting)
		if setting.Key != put.key || setting.TenantID != tn.ID.String() || !settingsSameJSON(t, setting.Value, put.value) {
			t.Fatalf("PUT %s %s: %+v", put.key, put.value, setting)
		}
	}

	var got settingsSetting
	a.do(request{method: "GET", path: "/api/v1/settings/inbox.auto-assign", token: agent}).expect(t, http.StatusOK).into(t, &got)
	if !settingsSameJSON(t, got.Value, `{"enabled": false}`) {
		t.Fatalf("GET after replacing: %s", got.Value)
	}

	// Listed by key, two a page, as an agent; the other tenant's seeded setting is not.
	var keys []string
	for _, s := range listAll[settingsSetting](t, a, agent, "/api/v1/settings?limit=2") {
		if s.TenantID != tn.ID.String() {
			t.Errorf("listed %s of tenant %s", s.Key, s.TenantID)
		}
		keys = append(keys, s.Key)
	}
	if want := []string{"a.limit", "branding_footer", "inbox.auto-assign", "inbox.greeting"}; !slices.Equal(keys, want) {
		t.Fatalf("listed %q, want %q", keys, want)
	}

	// Agents read but do not write.
	a.do(request{method: "PUT", path: "/api/v1/settings/a.limit", token: agent, body: `{"value": 4}`}).expect(t, http.StatusForbidden)
	a.do(request{method: "DELETE", path: "/api/v1/settings/a.limit", token: agent}).expect(t, http.StatusForbidden)
	a.do(request{method: "GET", path: "/api/v1/settings/a.limit", token: agent}).expect(t, http.StatusOK).into(t, &got)
	if string(got.Value) != "3" {
		t.Fatalf("a.limit = %s after the agent's attempts, want 3", got.Value)
	}

	a.do(request{method: "DELETE", path: "/api/v1/settings/a.limit", token: owner}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/settings/a.limit", token: owner}).expect(t, http.StatusNotFound)
	a.do(request{method: "DELETE", path: "/api/v1/settings/a.limit", token: owner}).expect(t, http.StatusNotFound)

	// The other tenant's settings are its own: same key, separate values.
	a.do(request{method: "GET", path: "/api/v1/settings/inbox.auto-assign", token: a.token(other.OwnerID)}).expect(t, http.StatusNotFound)
	a.do(request{method: "GET", path: "/api/v1/settings/inbox.greeting", token: a.token(other.OwnerID)}).expect(t, http.StatusOK).into(t, &got)
	if got.TenantID != other.ID.String() {
		t.Fatalf("the other tenant read %+v", got)
	}
}

func TestSettingsBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)

	refusals := []refusal{
		{"no value", "PUT", "/api/v1/settings/a", `{}`, 400, "value"},
		{"key in the body", "PUT", "/api/v1/settings/a", `{"value": 1, "key": "b"}`, 400, "key"},
		{"forged cursor", "GET", "/api/v1/settings?cursor=bogus", nil, 400, "cursor"},
	}
	for _, key := range []string{"Inbox", "_private", ".hidden", "inbox:greeting", "caf%C3%A9", strings.Repeat("k", 101)} {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			refusals = append(refusals, refusal{method + " " + key, method, "/api/v1/settings/" + key, `{"value": 1}`, 400, "key"})
		}
	}
	a.expectRefusals(t, owner, refusals, tn.ID)
	a.do(request{method: "PUT", path: "/api/v1/settings/" + strings.Repeat("k", 100), token: owner, body: `{"value": 1}`}).expect(t, http.StatusOK)
}

// settingsSameJSON reports whether two JSON texts hold the same value.
func settingsSameJSON(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
