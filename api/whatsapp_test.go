package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/whatsapp"
	"github.com/google/uuid"
)

// metaPost signs the notification with the Meta app's secret (or the given signature)
// and posts it to the WhatsApp webhook.
func metaPost(t *testing.T, a *testAPI, notification any, signature ...string) response {
	t.Helper()
	body, err := json.Marshal(notification)
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{whatsapp.SignatureHeader: {whatsapp.Sign(testAppSecret, body)}}
	if len(signature) > 0 {
		header.Set(whatsapp.SignatureHeader, signature[0])
	}
	res, err := inboxSend(a, "POST", "/api/v1/webhooks/whatsapp", "", header, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// metaNotification is Meta's webhook payload for one phone number's value.
func metaNotification(phoneNumberID string, value map[string]any) map[string]any {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": "5511400000000", "phone_number_id": phoneNumberID}
	return map[string]any{"object": "whatsapp_business_account", "entry": []any{
		map[string]any{"id": "waba-1", "changes": []any{map[string]any{"field": "messages", "value": value}}},
	}}
}

// metaStatus is Meta's status report of a message the business sent.
func metaStatus(phoneNumberID, wamid, status string) map[string]any {
	s := map[string]any{"id": wamid, "status": status, "timestamp": "1764500000", "recipient_id": "5511987654321"}
	if status == "failed" {
		s["errors"] = []any{map[string]any{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
			"error_data": map[string]any{"details": "Receiver is incapable of receiving this message"}}}
	}
	return metaNotification(phoneNumberID, map[string]any{"statuses": []any{s}})
}

type whatsAppReceipt struct {
	Messages int `json:"messages"`
	Statuses int `json:"statuses"`
	Skipped  int `json:"skipped"`
}

func TestWhatsAppWebhookVerification(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	query := func(token string) string {
		return "/api/v1/webhooks/whatsapp?" + url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}.Encode()
	}
	res := a.do(request{method: "GET", path: query(testVerifyToken)}).expect(t, http.StatusOK)
	if string(res.body) != "1158201444" {
		t.Fatalf("challenge answered %q", res.body)
	}
	a.do(request{method: "GET", path: query("guessed")}).expect(t, http.StatusForbidden)
	a.do(request{method: "GET", path: "/api/v1/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=" + testVerifyToken + "&hub.challenge=1"}).
		expect(t, http.StatusForbidden)
}

func TestWhatsAppWebhookStoresMessagesOnce(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	delivery := metaNotification(tn.PhoneNumberID, map[string]any{
		"contacts": []any{map[string]any{"wa_id": "5521988887777", "profile": map[string]any{"name": "Bianca"}}},
		"messages": []any{
			map[string]any{"from": "5521988887777", "id": "wamid.in-text", "timestamp": "1764500000", "type": "text", "text": map[string]any{"body": "Quero marcar"}},
			map[string]any{"from": "5521988887777", "id": "wamid.in-photo", "timestamp": "1764500001", "type": "image",
				"image": map[string]any{"id": "media-1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "meu dente"}},
			map[string]any{"from": "5521988887777", "id": "wamid.in-place", "timestamp": "1764500002", "type": "location",
				"location": map[string]any{"latitude": -23.5, "longitude": -46.6}},
		},
	})

	// A wrong signature, a signature of another body and none at all store nothing.
	for _, signature := range []string{"sha256=" + fmt.Sprintf("%064x", 0), whatsapp.Sign(testAppSecret, []byte("{}")), ""} {
		metaPost(t, a, delivery, signature).expect(t, http.StatusUnauthorized)
	}
	if n := webhookCount(t, a, "select from messages where external_id like 'wamid.in-%'"); n != 0 {
		t.Fatalf("%d messages stored from unsigned deliveries", n)
	}

	// Meta delivers twice (it retries until it gets a 200): stored once.
	for range 2 {
		var receipt whatsAppReceipt
		metaPost(t, a, delivery).expect(t, http.StatusOK).into(t, &receipt)
		if receipt != (whatsAppReceipt{Messages: 3}) {
			t.Fatalf("receipt %+v, want 3 messages", receipt)
		}
	}
	var contact struct {
		Name, Phone string
		Messages    int
	}
	err := a.db.Admin.QueryRow(t.Context(), `
		select c.name, c.phone, count(m.id) from contacts c
		join conversations v on v.tenant_id = c.tenant_id and v.contact_id = c.id
		join messages m on m.tenant_id = v.tenant_id and m.conversation_id = v.id
		where c.tenant_id = $1 and c.phone = '+5521988887777' group by c.name, c.phone`, tn.ID).Scan(&contact.Name, &contact.Phone, &contact.Messages)
	if err != nil || contact.Name != "Bianca" || contact.Messages != 3 {
		t.Fatalf("contact %+v (err %v), want Bianca with 3 messages", contact, err)
	}
	var photoContent string
	var photoMedia, placeMedia map[string]any
	if err := a.db.Admin.QueryRow(t.Context(), `select content, media from messages where tenant_id = $1 and external_id = 'wamid.in-photo'`, tn.ID).
		Scan(&photoContent, &photoMedia); err != nil || photoContent != "meu dente" || photoMedia["type"] != "image" || photoMedia["id"] != "media-1" {
		t.Fatalf("photo: %q %v (err %v), want the caption and the media reference", photoContent, photoMedia, err)
	}
	if err := a.db.Admin.QueryRow(t.Context(), `select media from messages where tenant_id = $1 and external_id = 'wamid.in-place'`, tn.ID).
		Scan(&placeMedia); err != nil || placeMedia["type"] != "location" || placeMedia["location"] == nil {
		t.Fatalf("location: %v (err %v), want it kept as it came", placeMedia, err)
	}
	if n := webhookCount(t, a, "select from messages where tenant_id = $1 and external_id like 'wamid.in-%'", other.ID); n != 0 {
		t.Fatalf("the other tenant got %d of the messages", n)
	}

	// An unknown number is acknowledged (Meta would retry for days) and stores nothing.
	var receipt whatsAppReceipt
	metaPost(t, a, metaNotification("999000111", map[string]any{"messages": []any{
		map[string]any{"from": "5521988887777", "id": "wamid.lost", "timestamp": "1764500000", "type": "text", "text": map[string]any{"body": "Oi"}},
	}})).expect(t, http.StatusOK).into(t, &receipt)
	if receipt != (whatsAppReceipt{Skipped: 1}) || webhookCount(t, a, "select from messages where external_id = 'wamid.lost'") != 0 {
		t.Fatalf("unknown number: receipt %+v", receipt)
	}
	// A malformed notification is a 400, a signed one all the same.
	res, err := inboxSend(a, "POST", "/api/v1/webhooks/whatsapp", "", http.Header{whatsapp.SignatureHeader: {whatsapp.Sign(testAppSecret, []byte("{"))}}, []byte("{"))
	if err != nil || res.status != http.StatusBadRequest {
		t.Fatalf("malformed: %d %s (%v)", res.status, res.body, err)
	}
}

func TestWhatsAppAccounts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	owner, agent := a.token(tn.OwnerID), a.token(tn.AgentID)
	path := "/api/v1/channels/whatsapp"

	var account map[string]any
	a.do(request{method: "GET", path: path, token: owner}).expect(t, http.StatusOK).into(t, &account)
	if account["phone_number_id"] != tn.PhoneNumberID || account["access_token"] != nil {
		t.Fatalf("account %v, want the seeded number and no token", account)
	}
	a.do(request{method: "GET", path: path, token: agent}).expect(t, http.StatusForbidden)
	a.do(request{method: "PUT", path: path, token: agent, body: map[string]any{"phone_number_id": "123", "access_token": "x"}}).expect(t, http.StatusForbidden)

	// A token the Graph API refuses for the number is a 422; another tenant's number a 409.
	a.graph.RefuseToken("stolen")
	res := a.do(request{method: "PUT", path: path, token: owner, body: map[string]any{"phone_number_id": "5550001", "access_token": "stolen"}})
	if p := res.expect(t, http.StatusUnprocessableEntity).problem(t); p.Field != "access_token" {
		t.Fatalf("refused token: %+v", p)
	}
	a.do(request{method: "PUT", path: path, token: owner, body: map[string]any{"phone_number_id": other.PhoneNumberID, "access_token": "valid"}}).
		expectProblem(t, http.StatusConflict, "phone_number_id")

	// A new number and token; the display number comes from the Graph API.
	a.do(request{method: "PUT", path: path, token: owner, body: map[string]any{"phone_number_id": "5550001", "access_token": "new-token"}}).
		expect(t, http.StatusOK).into(t, &account)
	if account["phone_number_id"] != "5550001" || account["display_phone_number"] != "+55 11 4000-0001" || account["access_token"] != nil {
		t.Fatalf("after PUT: %v", account)
	}
	var token string
	if err := a.db.Admin.QueryRow(t.Context(), "select access_token from channel_accounts where tenant_id = $1", tn.ID).Scan(&token); err != nil || token != "new-token" {
		t.Fatalf("stored token %q (%v)", token, err)
	}

	a.do(request{method: "DELETE", path: path, token: owner}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: path, token: owner}).expect(t, http.StatusNotFound)
	a.do(request{method: "DELETE", path: path, token: owner}).expect(t, http.StatusNotFound)
	if n := webhookCount(t, a, "select from channel_accounts where tenant_id = $1", other.ID); n != 1 {
		t.Fatalf("the other tenant's account: %d rows", n)
	}
}

// TestCampaignLaunchNeedsSomethingToSend: a launch of a campaign that cannot be sent is a
// 409 naming the field, and changes nothing.
func TestCampaignLaunchNeedsSomethingToSend(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "Sem mensagem"}, "message_template"},
		{map[string]any{"name": "Por email", "channel": "email", "message_template": "Oi"}, "channel"},
	} {
		campaign := postCreated[struct{ ID uuid.UUID }](t, a, owner, "/api/v1/campaigns", tt.body)
		a.do(request{method: "POST", path: "/api/v1/campaigns/" + campaign.ID.String() + "/launch", token: owner}).
			expectProblem(t, http.StatusConflict, tt.field)
		if n := webhookCount(t, a, "select from campaigns where id = $1 and status = 'draft' and started_at is null", campaign.ID); n != 1 {
			t.Errorf("%s: the refused launch changed the campaign", tt.field)
		}
		if n := webhookCount(t, a, "select from campaign_events where campaign_id = $1", campaign.ID); n != 0 {
			t.Errorf("%s: the refused launch queued %d events", tt.field, n)
		}
	}
}
