package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

type campaignsCampaign struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Channel         string         `json:"channel"`
	Status          string         `json:"status"`
	MessageTemplate *string        `json:"message_template"`
	AudienceFilter  map[string]any `json:"audience_filter"`
	ScheduledAt     *string        `json:"scheduled_at"`
	StartedAt       *string        `json:"started_at"`
	CompletedAt     *string        `json:"completed_at"`
}

func TestCampaignsCRUD(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)

	created := postCreated[campaignsCampaign](t, a, owner, "/api/v1/campaigns", map[string]any{
		"name": "Volta às aulas", "channel": "email", "status": "scheduled", "message_template": "Olá {{name}}",
		"audience_filter": map[string]any{"tags": []string{"vip"}}, "scheduled_at": "2026-12-01T12:00:00-03:00",
	})
	if created.Name != "Volta às aulas" || created.Channel != "email" || created.Status != "scheduled" ||
		created.MessageTemplate == nil || *created.MessageTemplate != "Olá {{name}}" ||
		created.ScheduledAt == nil || *created.ScheduledAt != "2026-12-01T15:00:00Z" || created.StartedAt != nil {
		t.Fatalf("created %+v", created)
	}
	if tags, _ := created.AudienceFilter["tags"].([]any); len(tags) != 1 || tags[0] != "vip" {
		t.Fatalf("audience_filter %v, want the vip tag", created.AudienceFilter)
	}

	defaults := postCreated[campaignsCampaign](t, a, owner, "/api/v1/campaigns", map[string]any{"name": "Só o nome"})
	if defaults.Channel != "whatsapp" || defaults.Status != "draft" || len(defaults.AudienceFilter) != 0 || defaults.ScheduledAt != nil {
		t.Fatalf("defaults %+v, want whatsapp, draft, {}, no schedule", defaults)
	}

	var patched campaignsCampaign
	a.do(request{method: "PATCH", path: "/api/v1/campaigns/" + created.ID, token: owner,
		body: map[string]any{"name": "Volta às aulas 2027", "message_template": nil, "scheduled_at": nil, "audience_filter": nil}}).
		expect(t, http.StatusOK).into(t, &patched)
	if patched.Name != "Volta às aulas 2027" || patched.MessageTemplate != nil || patched.ScheduledAt != nil ||
		len(patched.AudienceFilter) != 0 || patched.Channel != "email" || patched.Status != "scheduled" {
		t.Fatalf("after patch: %+v", patched)
	}
	a.do(request{method: "PATCH", path: "/api/v1/campaigns/" + created.ID, token: owner,
		body: map[string]any{"status": "cancelled"}}).expect(t, http.StatusOK).into(t, &patched)
	if patched.Status != "cancelled" || patched.CompletedAt == nil {
		t.Fatalf("after cancelling: %+v, want cancelled with completed_at", patched)
	}

	var got campaignsCampaign
	a.do(request{method: "GET", path: "/api/v1/campaigns/" + created.ID, token: owner}).expect(t, http.StatusOK).into(t, &got)
	if got.ID != created.ID || got.Name != "Volta às aulas 2027" || got.Status != "cancelled" {
		t.Fatalf("get: %+v", got)
	}

	a.do(request{method: "DELETE", path: "/api/v1/campaigns/" + created.ID, token: owner}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/campaigns/" + created.ID, token: owner}).expect(t, http.StatusNotFound)
	a.do(request{method: "DELETE", path: "/api/v1/campaigns/" + created.ID, token: owner}).expect(t, http.StatusNotFound)
	a.do(request{method: "PATCH", path: "/api/v1/campaigns/" + created.ID, token: owner, body: map[string]any{"name": "x"}}).
		expect(t, http.StatusNotFound)
}

func TestCampaignsList(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner := a.token(tn.OwnerID)
	var want []string // newest first
	for _, name := range []string{"Primeira", "Segunda", "Terceira"} {
		want = slices.Insert(want, 0, postCreated[campaignsCampaign](t, a, owner, "/api/v1/campaigns", map[string]any{"name": name}).ID)
	}
	want = append(want, tn.CampaignID.String()) // the seeded campaign is the oldest

	ids := listIDs(t, a, a.token(tn.AgentID), "/api/v1/campaigns?limit=2")
	if !slices.Equal(ids, want) || slices.Contains(ids, other.CampaignID.String()) {
		t.Fatalf("listed %v, want %v", ids, want)
	}
	a.do(request{method: "GET", path: "/api/v1/campaigns?limit=0", token: owner}).expectProblem(t, http.StatusBadRequest, "limit")
}

func TestCampaignsBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	campaign := "/api/v1/campaigns/" + tn.CampaignID.String()
	a.expectRefusals(t, owner, []refusal{
		{"no name", "POST", "/api/v1/campaigns", map[string]any{"channel": "email"}, 400, "name"},
		{"blank name", "POST", "/api/v1/campaigns", map[string]any{"name": "  "}, 400, "name"},
		{"name too long", "POST", "/api/v1/campaigns", map[string]any{"name": strings.Repeat("n", 201)}, 400, "name"},
		{"unknown channel", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "channel": "sms"}, 400, "channel"},
		{"created running", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "status": "running"}, 400, "status"},
		{"created completed", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "status": "completed"}, 400, "status"},
		{"filter not an object", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": []string{"vip"}}, 400, "audience_filter"},
		{"tags not an array", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": map[string]any{"tags": "vip"}}, 400, "audience_filter"},
		{"tags not strings", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": map[string]any{"tags": []any{"vip", 1}}}, 400, "audience_filter"},
		{"tags null", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": map[string]any{"tags": nil}}, 400, "audience_filter"},
		{"misspelt filter (would reach everyone)", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": map[string]any{"tag": "vip"}}, 400, "audience_filter"},
		{"unknown filter beside tags", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "audience_filter": map[string]any{"tags": []string{"vip"}, "city": "Rio"}}, 400, "audience_filter"},
		{"bad schedule", "POST", "/api/v1/campaigns", map[string]any{"name": "x", "scheduled_at": "amanhã"}, 400, "scheduled_at"},
		{"patch empty name", "PATCH", campaign, map[string]any{"name": ""}, 400, "name"},
		{"patch null name", "PATCH", campaign, map[string]any{"name": nil}, 400, "name"},
		{"patch running", "PATCH", campaign, map[string]any{"status": "running"}, 400, "status"},
		{"patch unknown status", "PATCH", campaign, map[string]any{"status": "paused"}, 400, "status"},
		{"patch channel", "PATCH", campaign, map[string]any{"channel": "email"}, 400, "channel"},
		{"patch tags not strings", "PATCH", campaign, map[string]any{"audience_filter": map[string]any{"tags": []int{1}}}, 400, "audience_filter"},
		{"patch bad schedule", "PATCH", campaign, map[string]any{"scheduled_at": "2026-13-01"}, 400, "scheduled_at"},
		{"malformed id", "GET", "/api/v1/campaigns/42", nil, 400, "id"},
		{"malformed id on launch", "POST", "/api/v1/campaigns/42/launch", nil, 400, "id"},
	}, tn.ID)
}

func TestCampaignsAgentReadsButCannotWrite(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	agent := a.token(tn.AgentID)
	campaign := "/api/v1/campaigns/" + tn.CampaignID.String()

	for _, path := range []string{"/api/v1/campaigns", campaign, campaign + "/stats", campaign + "/events"} {
		a.do(request{method: "GET", path: path, token: agent}).expect(t, http.StatusOK)
	}
	a.expectRefusals(t, agent, []refusal{
		{"create", "POST", "/api/v1/campaigns", map[string]any{"name": "Do agente"}, 403, ""},
		{"change", "PATCH", campaign, map[string]any{"name": "Mudado"}, 403, ""},
		{"delete", "DELETE", campaign, nil, 403, ""},
		{"launch", "POST", campaign + "/launch", nil, 403, ""},
	}, tn.ID)
	var after campaignsCampaign
	a.do(request{method: "GET", path: campaign, token: agent}).expect(t, http.StatusOK).into(t, &after)
	if after.Name != "Promo" || after.Status != "draft" {
		t.Fatalf("the agent changed the campaign: %+v", after)
	}
	var count int
	if err := a.db.Admin.QueryRow(context.Background(), "select count(*) from campaigns where tenant_id = $1", tn.ID).Scan(&count); err != nil || count != 1 {
		t.Fatalf("campaigns: %d (err %v), want only the seeded one", count, err)
	}
}

type campaignsStats struct {
	CampaignID string           `json:"campaign_id"`
	Events     map[string]int64 `json:"events"`
}

type campaignsEvent struct {
	ID         string    `json:"id"`
	CampaignID string    `json:"campaign_id"`
	ContactID  string    `json:"contact_id"`
	EventType  string    `json:"event_type"`
	OccurredAt time.Time `json:"occurred_at"`
}

func TestCampaignsLaunch(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner := a.token(tn.OwnerID)
	// With the seeded Maria (phone, vip) and João (no phone): Ana is in a vip whatsapp
	// audience, Bia has no phone, Caio is not vip.
	contactIDs := map[string]string{"Maria": tn.ContactID.String()}
	for _, c := range []map[string]any{
		{"name": "Ana", "phone": "+5511900000001", "tags": []string{"vip"}},
		{"name": "Bia", "email": "bia@example.com", "tags": []string{"vip"}},
		{"name": "Caio", "phone": "+5511900000003", "tags": []string{"lead"}},
	} {
		var created struct {
			ID string `json:"id"`
		}
		a.do(request{method: "POST", path: "/api/v1/contacts", token: owner, body: c}).expect(t, http.StatusCreated).into(t, &created)
		contactIDs[c["name"].(string)] = created.ID
	}
	campaign := postCreated[campaignsCampaign](t, a, owner, "/api/v1/campaigns", map[string]any{"name": "VIP", "message_template": "Oferta VIP", "audience_filter": map[string]any{"tags": []string{"vip"}}})
	path := "/api/v1/campaigns/" + campaign.ID

	var first, second struct {
		Campaign campaignsCampaign `json:"campaign"`
		Queued   int64             `json:"queued"`
	}
	a.do(request{method: "POST", path: path + "/launch", token: owner}).expect(t, http.StatusOK).into(t, &first)
	if first.Queued != 2 || first.Campaign.ID != campaign.ID || first.Campaign.Status != "running" || first.Campaign.StartedAt == nil {
		t.Fatalf("first launch: %+v, want 2 queued and the campaign running", first)
	}
	a.do(request{method: "POST", path: path + "/launch", token: owner}).expect(t, http.StatusOK).into(t, &second)
	if second.Queued != 0 || second.Campaign.Status != "running" || *second.Campaign.StartedAt != *first.Campaign.StartedAt {
		t.Fatalf("second launch: %+v, want nothing queued and the first start time", second)
	}

	// The campaign's message to Maria was delivered, which the stats count as sent too.
	if _, err := a.db.Admin.Exec(context.Background(),
		`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, campaign_id, status)
		values ($1, $2, 'whatsapp', 'outbound', 'system', 'Oferta VIP', $3, 'delivered')`,
		tn.ID, tn.ConversationID, campaign.ID); err != nil {
		t.Fatal(err)
	}
	var stats campaignsStats
	a.do(request{method: "GET", path: path + "/stats", token: a.token(tn.AgentID)}).expect(t, http.StatusOK).into(t, &stats)
	want := map[string]int64{"queued": 2, "sent": 1, "delivered": 1, "read": 0, "replied": 0, "failed": 0}
	if stats.CampaignID != campaign.ID || len(stats.Events) != len(want) {
		t.Fatalf("stats %+v, want %v", stats, want)
	}
	for eventType, n := range want {
		if got, ok := stats.Events[eventType]; !ok || got != n {
			t.Errorf("stats[%s] = %d (present %v), want %d", eventType, got, ok, n)
		}
	}

	// Events, one per page, oldest first.
	events := listAll[campaignsEvent](t, a, owner, path+"/events?limit=1")
	queued := map[string]bool{}
	for _, e := range events {
		if e.CampaignID != campaign.ID {
			t.Errorf("event %+v is another campaign's", e)
		}
		if e.EventType == "queued" {
			queued[e.ContactID] = true
		}
	}
	for i := 1; i < len(events); i++ {
		prev, e := events[i-1], events[i]
		if e.OccurredAt.Before(prev.OccurredAt) || e.OccurredAt.Equal(prev.OccurredAt) && e.ID <= prev.ID {
			t.Errorf("events out of order: %+v after %+v", e, prev)
		}
	}
	if len(events) != 2 || len(queued) != 2 || !queued[contactIDs["Maria"]] || !queued[contactIDs["Ana"]] {
		t.Fatalf("events %+v, want Maria and Ana queued", events)
	}
	// A cursor of this campaign's events is not one of another campaign's.
	var firstEvents listPage[campaignsEvent]
	a.do(request{method: "GET", path: path + "/events?limit=1", token: owner}).expect(t, http.StatusOK).into(t, &firstEvents)
	a.do(request{method: "GET", token: owner, path: "/api/v1/campaigns/" + tn.CampaignID.String() + "/events?cursor=" + *firstEvents.NextCursor}).
		expectProblem(t, http.StatusBadRequest, "cursor")

	// Finished campaigns cannot be launched; unknown and foreign ones are not found.
	a.do(request{method: "PATCH", path: path, token: owner, body: map[string]any{"status": "completed"}}).expect(t, http.StatusOK)
	refused := a.do(request{method: "POST", path: path + "/launch", token: owner}).expect(t, http.StatusConflict)
	if p := refused.problem(t); !strings.HasPrefix(p.Detail, "campaign cannot be launched") {
		t.Fatalf("refused launch: %+v", p)
	}
	for _, id := range []uuid.UUID{uuid.New(), other.CampaignID} {
		for _, r := range []request{
			{method: "POST", path: "/api/v1/campaigns/" + id.String() + "/launch"},
			{method: "GET", path: "/api/v1/campaigns/" + id.String() + "/stats"},
			{method: "GET", path: "/api/v1/campaigns/" + id.String() + "/events"},
		} {
			r.token = owner
			a.do(r).expect(t, http.StatusNotFound)
		}
	}
	var eventCount int
	if err := a.db.Admin.QueryRow(context.Background(), "select count(*) from campaign_events where campaign_id = $1", campaign.ID).Scan(&eventCount); err != nil || eventCount != 2 {
		t.Fatalf("campaign events: %d (err %v), want 2", eventCount, err)
	}
}
