package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// TestEndToEnd follows a clinic from signup to its first campaign, over HTTP, as the
// frontend and the channel provider would drive it.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	host := "clinica-sorriso." + baseDomain

	// Ana signs up with Supabase Auth and has no tenant yet; she sets up her clinic.
	anaID := dbtest.CreateAuthUser(t, a.db, "ana@sorriso.example", `{"provider": "email"}`, `{"full_name": "Ana Souza"}`)
	ana := a.token(anaID)
	var tenant struct {
		ID   uuid.UUID `json:"id"`
		Slug string    `json:"slug"`
	}
	a.do(request{method: "POST", path: "/api/v1/setup", token: ana,
		body: map[string]any{"name": "Clínica Sorriso", "slug": "clinica-sorriso", "theme": map[string]any{"primary": "#0a7"}}}).
		expect(t, http.StatusCreated).into(t, &tenant)
	var branding struct {
		Name string `json:"name"`
	}
	a.do(request{method: "GET", path: "/api/v1/tenant", host: host}).expect(t, http.StatusOK).into(t, &branding)
	if branding.Name != "Clínica Sorriso" {
		t.Fatalf("branding at %s: %+v", host, branding)
	}

	// She invites Bruno, who signs up with that email and joins as an agent.
	a.do(request{method: "POST", path: "/api/v1/invitations", host: host, token: ana,
		body: map[string]any{"email": "Bruno@Sorriso.example", "role": "agent"}}).expect(t, http.StatusCreated)
	brunoID := dbtest.CreateAuthUser(t, a.db, "bruno@sorriso.example", `{"provider": "email"}`, `{}`)
	bruno := a.token(brunoID)
	var me struct {
		Role     string    `json:"role"`
		TenantID uuid.UUID `json:"tenant_id"`
	}
	a.do(request{method: "GET", path: "/api/v1/me", host: host, token: bruno}).expect(t, http.StatusOK).into(t, &me)
	if me.Role != "agent" || me.TenantID != tenant.ID {
		t.Fatalf("Bruno after signup: %+v, want agent of %s", me, tenant.ID)
	}

	// Bruno adds contacts and finds one.
	var maria struct {
		ID uuid.UUID `json:"id"`
	}
	a.do(request{method: "POST", path: "/api/v1/contacts", host: host, token: bruno,
		body: map[string]any{"name": "Maria Oliveira", "phone": "(11) 98888-7777", "tags": []string{"vip"}}}).
		expect(t, http.StatusCreated).into(t, &maria)
	a.do(request{method: "POST", path: "/api/v1/contacts", host: host, token: bruno,
		body: map[string]any{"name": "João Lima", "email": "joao@example.com"}}).expect(t, http.StatusCreated)
	var found struct {
		Items []struct {
			ID uuid.UUID `json:"id"`
		} `json:"items"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts?q=oliveira", host: host, token: bruno}).expect(t, http.StatusOK).into(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != maria.ID {
		t.Fatalf("search for oliveira: %+v", found)
	}

	// A lead for Maria moves from new to qualified.
	var lead struct {
		ID       uuid.UUID `json:"id"`
		Stage    string    `json:"stage"`
		Position int       `json:"position"`
	}
	a.do(request{method: "POST", path: "/api/v1/leads", host: host, token: bruno,
		body: map[string]any{"contact_id": maria.ID, "value": 3500}}).expect(t, http.StatusCreated).into(t, &lead)
	a.do(request{method: "POST", path: "/api/v1/leads/" + lead.ID.String() + "/move", host: host, token: bruno,
		body: map[string]any{"stage": "qualified", "position": 0}}).expect(t, http.StatusOK).into(t, &lead)
	if lead.Stage != "qualified" || lead.Position != 0 {
		t.Fatalf("moved lead: %+v", lead)
	}

	// Maria writes on WhatsApp: the provider's webhook opens a conversation.
	secret := webhookSecret(t, a, tenant.ID)
	var receipt webhookReceipt
	sentAt := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	webhookPost(t, a, tenant.ID, "inbound", secret, map[string]any{
		"channel": "whatsapp", "external_id": "wamid.in-1", "from": "+55 11 98888-7777",
		"content": "Olá, queria marcar um implante", "timestamp": sentAt.Format(time.RFC3339),
	}).expect(t, http.StatusOK).into(t, &receipt)
	if receipt.Duplicate || receipt.ContactID != maria.ID.String() {
		t.Fatalf("inbound receipt %+v, want a new message from Maria (%s)", receipt, maria.ID)
	}
	var inbox struct {
		Items []struct {
			ID          string `json:"id"`
			UnreadCount int    `json:"unread_count"`
		} `json:"items"`
	}
	a.do(request{method: "GET", path: "/api/v1/conversations", host: host, token: bruno}).expect(t, http.StatusOK).into(t, &inbox)
	if len(inbox.Items) != 1 || inbox.Items[0].ID != receipt.ConversationID || inbox.Items[0].UnreadCount != 1 {
		t.Fatalf("inbox: %+v", inbox)
	}

	// Bruno replies; the provider takes the message and reports its delivery.
	var reply struct {
		ID     uuid.UUID `json:"id"`
		Status string    `json:"status"`
	}
	a.do(request{method: "POST", path: "/api/v1/conversations/" + receipt.ConversationID + "/messages", host: host, token: bruno,
		body: map[string]any{"content": "Claro! Amanhã às 10h?"}}).expect(t, http.StatusCreated).into(t, &reply)
	if reply.Status != "queued" {
		t.Fatalf("reply status %q, want queued", reply.Status)
	}
	err := a.db.App.AsService(context.Background(), func(q *db.Queries) error {
		_, err := q.MessageSetExternalID(context.Background(), db.MessageSetExternalIDParams{TenantID: tenant.ID, ID: reply.ID, ExternalID: "wamid.out-1"})
		return err
	})
	if err != nil {
		t.Fatalf("the sender records the provider's id: %v", err)
	}
	var status struct {
		Status  string `json:"status"`
		Changed bool   `json:"changed"`
	}
	for _, report := range []struct {
		status  string
		want    string
		changed bool
	}{{"delivered", "delivered", true}, {"read", "read", true}, {"sent", "read", false}} {
		webhookPost(t, a, tenant.ID, "status", secret, map[string]any{"channel": "whatsapp", "external_id": "wamid.out-1", "status": report.status}).
			expect(t, http.StatusOK).into(t, &status)
		if status.Status != report.want || status.Changed != report.changed {
			t.Fatalf("status report %q: %+v, want %s (changed %v)", report.status, status, report.want, report.changed)
		}
	}

	// Ana launches a campaign to the VIPs, twice: one set of events.
	var campaign struct {
		ID uuid.UUID `json:"id"`
	}
	a.do(request{method: "POST", path: "/api/v1/campaigns", host: host, token: ana,
		body: map[string]any{"name": "Clareamento de verão", "message_template": "Clareamento com 20% de desconto", "audience_filter": map[string]any{"tags": []string{"vip"}}}}).
		expect(t, http.StatusCreated).into(t, &campaign)
	var launch struct {
		Queued int `json:"queued"`
	}
	launchPath := "/api/v1/campaigns/" + campaign.ID.String() + "/launch"
	for i, want := range []int{1, 0} {
		a.do(request{method: "POST", path: launchPath, host: host, token: ana}).expect(t, http.StatusOK).into(t, &launch)
		if launch.Queued != want {
			t.Fatalf("launch %d queued %d, want %d", i+1, launch.Queued, want)
		}
	}
	var stats struct {
		Events map[string]int `json:"events"`
	}
	a.do(request{method: "GET", path: "/api/v1/campaigns/" + campaign.ID.String() + "/stats", host: host, token: bruno}).
		expect(t, http.StatusOK).into(t, &stats)
	if stats.Events["queued"] != 1 || stats.Events["sent"] != 0 {
		t.Fatalf("stats: %+v", stats)
	}

	// The assistant's knowledge: "implante" finds the document about "Implantes".
	a.do(request{method: "POST", path: "/api/v1/knowledge", host: host, token: ana,
		body: map[string]any{"title": "Implantes dentários", "content": "Implantes de titânio com garantia de 5 anos."}}).
		expect(t, http.StatusCreated)
	a.do(request{method: "POST", path: "/api/v1/knowledge", host: host, token: ana,
		body: map[string]any{"title": "Horários", "content": "Atendemos de segunda a sábado."}}).expect(t, http.StatusCreated)
	var search struct {
		Items []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	a.do(request{method: "GET", path: "/api/v1/knowledge?q=implante", host: host, token: bruno}).expect(t, http.StatusOK).into(t, &search)
	if len(search.Items) != 1 || search.Items[0].Title != "Implantes dentários" {
		t.Fatalf("search for implante: %+v", search)
	}
}
