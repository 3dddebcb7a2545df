package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

type aiConfigBody struct {
	Enabled       bool           `json:"enabled"`
	Model         string         `json:"model"`
	SystemPrompt  string         `json:"system_prompt"`
	Temperature   float64        `json:"temperature"`
	BusinessHours map[string]any `json:"business_hours"`
	HandoffRules  map[string]any `json:"handoff_rules"`
}

// aiConfigFull is a complete PUT body.
func aiConfigFull() map[string]any {
	return map[string]any{
		"enabled": false, "model": "gpt-4o-mini", "system_prompt": "Seja breve.", "temperature": 0.7,
		"business_hours": map[string]any{"mon": [][]string{{"08:00", "18:00"}}},
		"handoff_rules":  map[string]any{"keywords": []string{"atendente"}},
	}
}

// aiConfigWith is aiConfigFull with one field changed, or removed when value is
// aiConfigRemoved.
func aiConfigWith(field string, value any) map[string]any {
	body := aiConfigFull()
	if value == aiConfigRemoved {
		delete(body, field)
	} else {
		body[field] = value
	}
	return body
}

const aiConfigRemoved = "<removed>"

func TestAIConfig(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner, agent := a.token(tn.OwnerID), a.token(tn.AgentID)

	var seeded aiConfigBody
	a.do(request{method: "GET", path: "/api/v1/ai-config", token: agent}).expect(t, http.StatusOK).into(t, &seeded)
	if seeded.SystemPrompt != "Você é a recepcionista." || !seeded.Enabled {
		t.Fatalf("seeded configuration %+v", seeded)
	}

	a.do(request{method: "PUT", path: "/api/v1/ai-config", token: agent, body: aiConfigFull()}).expect(t, http.StatusForbidden)

	var put, got aiConfigBody
	a.do(request{method: "PUT", path: "/api/v1/ai-config", token: owner, body: aiConfigFull()}).expect(t, http.StatusOK).into(t, &put)
	a.do(request{method: "GET", path: "/api/v1/ai-config", token: agent}).expect(t, http.StatusOK).into(t, &got)
	for _, c := range []aiConfigBody{put, got} {
		if c.Enabled || c.Model != "gpt-4o-mini" || c.SystemPrompt != "Seja breve." || c.Temperature != 0.7 ||
			c.BusinessHours["mon"] == nil || c.HandoffRules["keywords"] == nil {
			t.Fatalf("after PUT: %+v", c)
		}
	}

	// The other tenant's configuration is its own.
	var others aiConfigBody
	a.do(request{method: "GET", path: "/api/v1/ai-config", token: a.token(other.AgentID)}).expect(t, http.StatusOK).into(t, &others)
	if others.SystemPrompt != "Você é a recepcionista." {
		t.Fatalf("the other tenant's configuration changed: %+v", others)
	}
}

func TestAIConfigBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	const path = "/api/v1/ai-config"
	a.expectRefusals(t, owner, []refusal{
		{"only enabled", "PUT", path, map[string]any{"enabled": true}, 400, "model"},
		{"no temperature", "PUT", path, aiConfigWith("temperature", aiConfigRemoved), 400, "temperature"},
		{"no business hours", "PUT", path, aiConfigWith("business_hours", aiConfigRemoved), 400, "business_hours"},
		{"null handoff rules", "PUT", path, aiConfigWith("handoff_rules", nil), 400, "handoff_rules"},
		{"blank model", "PUT", path, aiConfigWith("model", " "), 400, "model"},
		{"model too long", "PUT", path, aiConfigWith("model", strings.Repeat("m", 101)), 400, "model"},
		{"temperature above 2", "PUT", path, aiConfigWith("temperature", 2.5), 400, "temperature"},
		{"negative temperature", "PUT", path, aiConfigWith("temperature", -0.1), 400, "temperature"},
		{"business hours not an object", "PUT", path, aiConfigWith("business_hours", []string{"mon"}), 400, "business_hours"},
		{"enabled not a boolean", "PUT", path, aiConfigWith("enabled", "yes"), 400, "enabled"},
	}, tn.ID)
	t.Run("every missing field is named", func(t *testing.T) {
		p := a.do(request{method: "PUT", path: path, token: owner, body: map[string]any{"enabled": true, "model": "m"}}).
			expectProblem(t, http.StatusBadRequest, "system_prompt")
		if !strings.Contains(p.Detail, "system_prompt, temperature, business_hours, handoff_rules") {
			t.Fatalf("detail %q does not name every missing field", p.Detail)
		}
	})
}

func TestAIConfigNotConfigured(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	if _, err := a.db.Admin.Exec(context.Background(), "delete from ai_config where tenant_id = $1", tn.ID); err != nil {
		t.Fatal(err)
	}
	a.do(request{method: "GET", path: "/api/v1/ai-config", token: a.token(tn.AgentID)}).expect(t, http.StatusNotFound)
	// PUT creates it.
	a.do(request{method: "PUT", path: "/api/v1/ai-config", token: a.token(tn.OwnerID), body: aiConfigFull()}).expect(t, http.StatusOK)
	a.do(request{method: "GET", path: "/api/v1/ai-config", token: a.token(tn.AgentID)}).expect(t, http.StatusOK)
}
