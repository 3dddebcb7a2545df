package api_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/live"
	"github.com/google/uuid"
)

// webhookSecret reads the tenant's webhook secret, as its provider has it configured.
func webhookSecret(t *testing.T, a *testAPI, tenantID uuid.UUID) string {
	t.Helper()
	var secret string
	if err := a.db.Admin.QueryRow(context.Background(), "select webhook_secret from tenant_secrets where tenant_id = $1", tenantID).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	return secret
}

// webhookSignature is the signature header's value for a body signed at the timestamp
// (unix seconds), as a provider computes it: the hex text of the secret is the key.
func webhookSignature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// signedAt is the headers of a body signed with the secret at the time.
func signedAt(secret string, at time.Time, body []byte) http.Header {
	timestamp := strconv.FormatInt(at.Unix(), 10)
	return http.Header{"X-Atende-Timestamp": {timestamp}, "X-Atende-Signature": {webhookSignature(secret, timestamp, body)}}
}

// signed is the headers of a body signed with the secret now.
func signed(secret string, body []byte) http.Header { return signedAt(secret, time.Now(), body) }

// webhookCall posts a body to a webhook path with the headers given. It may be called
// from any goroutine.
func webhookCall(a *testAPI, path string, header http.Header, body []byte) (response, error) {
	return inboxSend(a, "POST", path, "", header, body)
}

// webhookPost signs the payload with the secret and posts it to the tenant's webhook
// ("inbound" or "status"), failing the test on a transport error.
func webhookPost(t *testing.T, a *testAPI, tenantID uuid.UUID, kind, secret string, payload any) response {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := webhookCall(a, "/api/v1/webhooks/"+tenantID.String()+"/"+kind, signed(secret, body), body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// webhookReceipt is the inbound webhook's answer.
type webhookReceipt struct {
	MessageID      string `json:"message_id"`
	ConversationID string `json:"conversation_id"`
	ContactID      string `json:"contact_id"`
	Duplicate      bool   `json:"duplicate"`
}

// webhookCount counts, as a superuser, the rows a query selects.
func webhookCount(t *testing.T, a *testAPI, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.db.Admin.QueryRow(context.Background(), "select count(*) from ("+query+") counted", args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

func TestInboundWebhook(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	secret := webhookSecret(t, a, tn.ID)
	token := a.token(tn.AgentID)
	deliver := func(payload map[string]any) webhookReceipt {
		t.Helper()
		var receipt webhookReceipt
		webhookPost(t, a, tn.ID, "inbound", secret, payload).expect(t, http.StatusOK).into(t, &receipt)
		return receipt
	}

	sentAt := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	first := map[string]any{"channel": "whatsapp", "external_id": "wamid.A1", "from": "+55 (21) 98888-7777", "name": "Paula",
		"content": "Oi, quero marcar", "timestamp": sentAt.Format(time.RFC3339Nano)}
	stored := deliver(first)
	if stored.Duplicate || stored.MessageID == "" || stored.ConversationID == "" || stored.ContactID == "" {
		t.Fatalf("first delivery: %+v", stored)
	}
	var contact struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts/" + stored.ContactID, token: token}).expect(t, http.StatusOK).into(t, &contact)
	if contact.Phone != "+5521988887777" || contact.Name != "Paula" {
		t.Errorf("contact %+v, want Paula with the phone in E.164", contact)
	}
	conversation := inboxGet(t, a, token, stored.ConversationID)
	if *conversation.ContactID != stored.ContactID || conversation.Channel != "whatsapp" || conversation.Status != "open" ||
		conversation.UnreadCount != 1 || !conversation.LastMessageAt.Equal(sentAt) {
		t.Errorf("conversation %+v, want the contact's open whatsapp conversation, 1 unread, last message at %v", conversation, sentAt)
	}
	var messages struct {
		Items []inboxMessage `json:"items"`
	}
	a.do(request{method: "GET", path: "/api/v1/conversations/" + stored.ConversationID + "/messages", token: token}).expect(t, http.StatusOK).into(t, &messages)
	if len(messages.Items) != 1 {
		t.Fatalf("%d messages, want 1", len(messages.Items))
	}
	if m := messages.Items[0]; m.ID != stored.MessageID || m.Direction != "inbound" || m.SenderType != "contact" || m.Status != "delivered" ||
		*m.ExternalID != "wamid.A1" || *m.Content != "Oi, quero marcar" || !m.CreatedAt.Equal(sentAt) {
		t.Errorf("stored message %+v", m)
	}

	t.Run("a repeated delivery stores nothing", func(t *testing.T) {
		before := a.tenantSnapshot(t, tn.ID)
		again := deliver(first)
		if !again.Duplicate || again.MessageID != stored.MessageID || again.ConversationID != stored.ConversationID || again.ContactID != stored.ContactID {
			t.Errorf("redelivery: %+v, want duplicate with the stored ids %+v", again, stored)
		}
		expectSnapshot(t, "after a repeated delivery", before, a.tenantSnapshot(t, tn.ID))
	})

	t.Run("the contact's next message joins its conversation", func(t *testing.T) {
		next := deliver(map[string]any{"channel": "whatsapp", "external_id": "wamid.A2", "from": "21988887777", "name": "Outra",
			"media": map[string]any{"type": "image", "url": "https://example.com/x.jpg"}})
		if next.Duplicate || next.ContactID != stored.ContactID || next.ConversationID != stored.ConversationID {
			t.Errorf("second message: %+v, want the contact and conversation of %+v", next, stored)
		}
		if c := inboxGet(t, a, token, stored.ConversationID); c.UnreadCount != 2 || !c.LastMessageAt.After(sentAt) {
			t.Errorf("conversation after a second message without timestamp: %+v", c)
		}
		a.do(request{method: "GET", path: "/api/v1/contacts/" + stored.ContactID, token: token}).expect(t, http.StatusOK).into(t, &contact)
		if contact.Name != "Paula" {
			t.Errorf("a known contact was renamed to %q", contact.Name)
		}
		// A known contact's message joins the conversation the contact already has.
		maria := deliver(map[string]any{"channel": "whatsapp", "external_id": "wamid.M1", "from": "+5511987654321", "content": "Bom dia"})
		if maria.ContactID != tn.ContactID.String() || maria.ConversationID != tn.ConversationID.String() {
			t.Errorf("Maria's message: %+v, want her contact %s and conversation %s", maria, tn.ContactID, tn.ConversationID)
		}
	})

	t.Run("the same provider id in another tenant is another message", func(t *testing.T) {
		var theirs webhookReceipt
		webhookPost(t, a, other.ID, "inbound", webhookSecret(t, a, other.ID), first).expect(t, http.StatusOK).into(t, &theirs)
		if theirs.Duplicate || theirs.MessageID == stored.MessageID {
			t.Errorf("tenant B's delivery: %+v", theirs)
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		valid := func(field string, value any) map[string]any {
			p := map[string]any{"channel": "whatsapp", "external_id": "wamid.bad", "from": "+5521977776666", "content": "x"}
			if value == nil {
				delete(p, field)
			} else {
				p[field] = value
			}
			return p
		}
		tests := []struct {
			name    string
			payload map[string]any
			field   string
		}{
			{"unknown channel", valid("channel", "sms"), "channel"},
			{"no channel", valid("channel", nil), "channel"},
			{"no external id", valid("external_id", nil), "external_id"},
			{"external id too long", valid("external_id", strings.Repeat("w", 256)), "external_id"},
			{"no sender", valid("from", nil), "from"},
			{"not a phone", valid("from", "fulano"), "from"},
			{"media as text", valid("media", "photo.jpg"), "media"},
			{"bad timestamp", valid("timestamp", "yesterday"), "timestamp"},
			{"unknown field", valid("profile", map[string]any{}), "profile"},
		}
		before := a.tenantSnapshot(t, tn.ID)
		for _, tt := range tests {
			res := webhookPost(t, a, tn.ID, "inbound", secret, tt.payload)
			if res.status != http.StatusBadRequest || res.problem(t).Field != tt.field {
				t.Errorf("%s: %d %s, want 400 naming %s", tt.name, res.status, res.body, tt.field)
			}
		}
		expectSnapshot(t, "after refused deliveries", before, a.tenantSnapshot(t, tn.ID))
	})

	t.Run("oversize bodies", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"channel": "whatsapp", "external_id": "wamid.big", "from": "+5521977776666",
			"content": strings.Repeat("a", 70<<10)}) // the test server's limit is 64K
		url := a.server.URL + "/api/v1/webhooks/" + tn.ID.String() + "/inbound"
		// With a Content-Length, and streamed without one (chunked).
		for name, reader := range map[string]io.Reader{"with length": bytes.NewReader(body), "chunked": io.MultiReader(bytes.NewReader(body))} {
			req, err := http.NewRequest("POST", url, reader)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = signed(secret, body)
			res, err := a.server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s: status %d, want 413", name, res.StatusCode)
			}
		}
	})
}

// TestWebhookSignatures: a request without the tenant's signature over its exact body is
// a 401 that writes nothing and does not tell an unknown tenant from a bad signature.
func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	secret := webhookSecret(t, a, tn.ID)
	inbound, _ := json.Marshal(map[string]any{"channel": "whatsapp", "external_id": "wamid.forged", "from": "+5521966665555", "content": "forged"})
	status, _ := json.Marshal(map[string]any{"channel": "whatsapp", "external_id": "wamid.clinica-a", "status": "read"})
	path := func(tenant, kind string) string { return "/api/v1/webhooks/" + tenant + "/" + kind }

	now := strconv.FormatInt(time.Now().Unix(), 10)
	header := func(timestamp, signature string) http.Header {
		return http.Header{"X-Atende-Timestamp": {timestamp}, "X-Atende-Signature": {signature}}
	}
	bodyOnly := hmac.New(sha256.New, []byte(secret)) // the signature of the body alone, without its time
	bodyOnly.Write(inbound)
	tests := []struct {
		name, path string
		header     http.Header
		body       []byte
	}{
		{"no signature", path(tn.ID.String(), "inbound"), http.Header{}, inbound},
		{"signed with another tenant's secret", path(tn.ID.String(), "inbound"), signed(webhookSecret(t, a, other.ID), inbound), inbound},
		{"signature of another body", path(tn.ID.String(), "inbound"), header(now, webhookSignature(secret, now, status)), inbound},
		{"signature without its scheme", path(tn.ID.String(), "inbound"), header(now, strings.TrimPrefix(webhookSignature(secret, now, inbound), "sha256=")), inbound},
		{"signature not in hex", path(tn.ID.String(), "inbound"), header(now, "sha256=not-hex"), inbound},
		{"signature of the body without the timestamp", path(tn.ID.String(), "inbound"), header(now, "sha256="+hex.EncodeToString(bodyOnly.Sum(nil))), inbound},
		{"no timestamp", path(tn.ID.String(), "inbound"), header("", webhookSignature(secret, "", inbound)), inbound},
		{"timestamp not a number", path(tn.ID.String(), "inbound"), header("now", webhookSignature(secret, "now", inbound)), inbound},
		{"another timestamp than signed", path(tn.ID.String(), "inbound"), header(now, webhookSignature(secret, "1", inbound)), inbound},
		{"signed six minutes ago (a replay)", path(tn.ID.String(), "inbound"), signedAt(secret, time.Now().Add(-6*time.Minute), inbound), inbound},
		{"signed six minutes ahead", path(tn.ID.String(), "inbound"), signedAt(secret, time.Now().Add(6*time.Minute), inbound), inbound},
		{"unknown tenant", path(uuid.NewString(), "inbound"), signed(secret, inbound), inbound},
		{"malformed tenant id", path("clinica-a", "inbound"), signed(secret, inbound), inbound},
		{"status without signature", path(tn.ID.String(), "status"), http.Header{}, status},
		{"status signed with another tenant's secret", path(tn.ID.String(), "status"), signed(webhookSecret(t, a, other.ID), status), status},
	}
	before, otherBefore := a.tenantSnapshot(t, tn.ID), a.tenantSnapshot(t, other.ID)
	var details []string
	for _, tt := range tests {
		res, err := webhookCall(a, tt.path, tt.header, tt.body)
		if err != nil {
			t.Fatal(err)
		}
		if res.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", tt.name, res.status, res.body)
			continue
		}
		details = append(details, res.problem(t).Detail)
	}
	for _, detail := range details {
		if detail != details[0] {
			t.Errorf("401 details differ (%q, %q): they must not tell which check failed", details[0], detail)
		}
	}
	expectSnapshot(t, "after unsigned webhooks", before, a.tenantSnapshot(t, tn.ID))
	expectSnapshot(t, "after unsigned webhooks", otherBefore, a.tenantSnapshot(t, other.ID))

	// A bearer token is no substitute for the signature.
	res, err := inboxSend(a, "POST", path(tn.ID.String(), "inbound"), a.token(tn.OwnerID), nil, inbound)
	if err != nil || res.status != http.StatusUnauthorized {
		t.Errorf("with a bearer token and no signature: %d %s (err %v), want 401", res.status, res.body, err)
	}
}

// TestWebhookSignatureCheckedBeforeTheDatabase: once a tenant's secret is known, its
// deliveries, good or forged, are verified without reading the secret again. The test
// holds an exclusive lock on tenant_secrets: a request that read it would wait for the
// lock until its lock_timeout and fail.
func TestWebhookSignatureCheckedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	secret := webhookSecret(t, a, tn.ID)
	delivery := func(externalID string) map[string]any {
		return map[string]any{"channel": "whatsapp", "external_id": externalID, "from": "+5521966665555", "content": "Oi"}
	}
	webhookPost(t, a, tn.ID, "inbound", secret, delivery("wamid.first")).expect(t, http.StatusOK)

	lock, err := a.db.Admin.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(context.Background())
	if _, err := lock.Exec(t.Context(), "lock table tenant_secrets in access exclusive mode"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if res := webhookPost(t, a, tn.ID, "inbound", "forged-"+secret, delivery(fmt.Sprintf("wamid.forged-%d", i))); res.status != http.StatusUnauthorized {
			t.Fatalf("forged delivery %d: %d %s, want 401", i, res.status, res.body)
		}
	}
	webhookPost(t, a, tn.ID, "inbound", secret, delivery("wamid.second")).expect(t, http.StatusOK)
	webhookPost(t, a, tn.ID, "status", secret, map[string]any{"channel": "whatsapp", "external_id": "wamid.second", "status": "read"}).expect(t, http.StatusOK)
	if n := webhookCount(t, a, "select from messages where tenant_id = $1 and external_id like 'wamid.forged-%'", tn.ID); n != 0 {
		t.Errorf("%d forged messages stored", n)
	}
}

// TestInboundWebhookConcurrentDuplicates delivers the same message 50 times at once from
// a new contact: one delivery stores it, the others answer duplicate, and exactly one
// contact, conversation and message exist, counted once.
func TestInboundWebhookConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	secret := webhookSecret(t, a, tn.ID)
	sentAt := time.Now().Add(-30 * time.Second).Truncate(time.Microsecond)
	body, _ := json.Marshal(map[string]any{"channel": "whatsapp", "external_id": "wamid.HBgN001", "from": "+55 21 98888-7777",
		"content": "Oi, quero marcar", "timestamp": sentAt.Format(time.RFC3339Nano)})
	path := "/api/v1/webhooks/" + tn.ID.String() + "/inbound"
	header := signed(secret, body)

	const deliveries = 50
	receipts := make(chan webhookReceipt, deliveries)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range deliveries {
		wg.Go(func() {
			<-start // all deliveries race for the same rows
			res, err := webhookCall(a, path, header, body)
			if err != nil || res.status != http.StatusOK {
				t.Errorf("delivery: status %d, err %v: %s", res.status, err, res.body)
				return
			}
			var receipt webhookReceipt
			if err := json.Unmarshal(res.body, &receipt); err != nil {
				t.Errorf("decode %s: %v", res.body, err)
				return
			}
			receipts <- receipt
		})
	}
	close(start)
	wg.Wait()
	close(receipts)

	var stored []webhookReceipt
	duplicates := 0
	ids := map[webhookReceipt]bool{}
	for r := range receipts {
		if r.Duplicate {
			duplicates++
		} else {
			stored = append(stored, r)
		}
		r.Duplicate = false
		ids[r] = true
	}
	if len(stored) != 1 || duplicates != deliveries-1 {
		t.Fatalf("%d deliveries stored the message and %d were duplicates; want 1 and %d", len(stored), duplicates, deliveries-1)
	}
	if len(ids) != 1 {
		t.Errorf("deliveries answered %d different (message, conversation, contact) ids, want 1: %v", len(ids), ids)
	}
	if n := webhookCount(t, a, "select from messages where tenant_id = $1 and external_id = 'wamid.HBgN001'", tn.ID); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if n := webhookCount(t, a, "select from contacts where tenant_id = $1 and phone = '+5521988887777'", tn.ID); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	if n := webhookCount(t, a, "select from conversations where tenant_id = $1 and contact_id = $2", tn.ID, stored[0].ContactID); n != 1 {
		t.Errorf("%d conversations, want 1", n)
	}
	conversation := inboxGet(t, a, a.token(tn.AgentID), stored[0].ConversationID)
	if conversation.UnreadCount != 1 || !conversation.LastMessageAt.Equal(sentAt) {
		t.Errorf("conversation: unread %d, last message at %v; want 1 and %v", conversation.UnreadCount, conversation.LastMessageAt, sentAt)
	}
}

func TestStatusWebhook(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	secret := webhookSecret(t, a, tn.ID)
	token := a.token(tn.AgentID)
	messages := "/api/v1/conversations/" + tn.ConversationID.String() + "/messages"
	// An agent's reply, which the sender handed to the provider and recorded the id of.
	sent := func(externalID string) inboxMessage {
		t.Helper()
		var reply inboxMessage
		a.do(request{method: "POST", path: messages, token: token, body: map[string]any{"content": "Confirmado"}}).expect(t, http.StatusCreated).into(t, &reply)
		err := a.db.App.AsService(context.Background(), func(q *db.Queries) error {
			_, err := q.MessageSetExternalID(context.Background(), db.MessageSetExternalIDParams{TenantID: tn.ID, ID: uuid.MustParse(reply.ID), ExternalID: externalID})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	report := func(tenantID uuid.UUID, secret string, payload map[string]any) response {
		t.Helper()
		return webhookPost(t, a, tenantID, "status", secret, payload)
	}
	statusOf := func(id string) string {
		t.Helper()
		var status string
		if err := a.db.Admin.QueryRow(context.Background(), "select status from messages where tenant_id = $1 and id = $2", tn.ID, id).Scan(&status); err != nil {
			t.Fatal(err)
		}
		return status
	}

	reply := sent("wamid.out.1")
	steps := []struct {
		report, want string
		changed      bool
	}{
		{"delivered", "delivered", true},
		{"read", "read", true},
		{"sent", "read", false}, // late
		{"read", "read", false}, // repeated
		{"failed", "read", false},
	}
	for _, step := range steps {
		var receipt struct {
			Status  string `json:"status"`
			Changed bool   `json:"changed"`
		}
		report(tn.ID, secret, map[string]any{"channel": "whatsapp", "external_id": "wamid.out.1", "status": step.report, "timestamp": time.Now().Format(time.RFC3339)}).
			expect(t, http.StatusOK).into(t, &receipt)
		if receipt.Status != step.want || receipt.Changed != step.changed {
			t.Errorf("report %s: %+v, want status %s, changed %v", step.report, receipt, step.want, step.changed)
		}
	}
	if got := statusOf(reply.ID); got != "read" {
		t.Errorf("stored status %s, want read", got)
	}

	t.Run("unknown messages", func(t *testing.T) {
		otherSecret := webhookSecret(t, a, other.ID)
		for name, r := range map[string]response{
			"unknown id":                report(tn.ID, secret, map[string]any{"channel": "whatsapp", "external_id": "wamid.nope", "status": "read"}),
			"the id on another channel": report(tn.ID, secret, map[string]any{"channel": "instagram", "external_id": "wamid.out.1", "status": "read"}),
			"the id in another tenant":  report(other.ID, otherSecret, map[string]any{"channel": "whatsapp", "external_id": "wamid.out.1", "status": "read"}),
		} {
			if r.status != http.StatusNotFound {
				t.Errorf("%s: %d %s, want 404", name, r.status, r.body)
			}
		}
	})

	t.Run("bad bodies and signatures write nothing", func(t *testing.T) {
		queued := sent("wamid.out.2")
		before := a.tenantSnapshot(t, tn.ID)
		tests := []struct {
			name    string
			payload map[string]any
			field   string
		}{
			{"queued is not a provider status", map[string]any{"channel": "whatsapp", "external_id": "wamid.out.2", "status": "queued"}, "status"},
			{"unknown status", map[string]any{"channel": "whatsapp", "external_id": "wamid.out.2", "status": "seen"}, "status"},
			{"no status", map[string]any{"channel": "whatsapp", "external_id": "wamid.out.2"}, "status"},
			{"no channel", map[string]any{"external_id": "wamid.out.2", "status": "sent"}, "channel"},
			{"bad timestamp", map[string]any{"channel": "whatsapp", "external_id": "wamid.out.2", "status": "sent", "timestamp": "now"}, "timestamp"},
		}
		for _, tt := range tests {
			res := report(tn.ID, secret, tt.payload)
			if res.status != http.StatusBadRequest || res.problem(t).Field != tt.field {
				t.Errorf("%s: %d %s, want 400 naming %s", tt.name, res.status, res.body, tt.field)
			}
		}
		forged := report(tn.ID, webhookSecret(t, a, other.ID), map[string]any{"channel": "whatsapp", "external_id": "wamid.out.2", "status": "delivered"})
		if forged.status != http.StatusUnauthorized {
			t.Errorf("report signed with another tenant's secret: %d %s, want 401", forged.status, forged.body)
		}
		expectSnapshot(t, "after refused status reports", before, a.tenantSnapshot(t, tn.ID))
		if got := statusOf(queued.ID); got != "queued" {
			t.Errorf("status after refused reports: %s, want queued", got)
		}
	})
}

// TestWebhookSecretRotation: admins read the secret and rotate it; for 24 hours after a
// rotation both the new and the previous secret verify, then only the new one.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{})
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	type secretView struct {
		Secret             string     `json:"secret"`
		PreviousValidUntil *time.Time `json:"previous_valid_until"`
		InboundURL         string     `json:"inbound_url"`
	}
	var first secretView
	a.do(request{method: "GET", path: "/api/v1/webhook-secret", token: owner}).expect(t, http.StatusOK).into(t, &first)
	if first.Secret != webhookSecret(t, a, tn.ID) || first.PreviousValidUntil != nil ||
		!strings.HasSuffix(first.InboundURL, "/api/v1/webhooks/"+tn.ID.String()+"/inbound") {
		t.Fatalf("secret view: %+v", first)
	}
	a.do(request{method: "GET", path: "/api/v1/webhook-secret", token: a.token(tn.AgentID)}).expectProblem(t, http.StatusForbidden, "")
	a.do(request{method: "POST", path: "/api/v1/webhook-secret/rotate", token: a.token(tn.AgentID)}).expectProblem(t, http.StatusForbidden, "")

	var rotated secretView
	a.do(request{method: "POST", path: "/api/v1/webhook-secret/rotate", token: owner}).expect(t, http.StatusOK).into(t, &rotated)
	if rotated.Secret == first.Secret || rotated.PreviousValidUntil == nil || time.Until(*rotated.PreviousValidUntil) < 23*time.Hour {
		t.Fatalf("after rotating: %+v", rotated)
	}
	deliver := func(secret, externalID string) int {
		t.Helper()
		return webhookPost(t, a, tn.ID, "inbound", secret, map[string]any{"channel": "whatsapp", "external_id": externalID, "from": "+5521977776666"}).status
	}
	if got := deliver(rotated.Secret, "wamid.new-secret"); got != http.StatusOK {
		t.Errorf("signed with the new secret: %d", got)
	}
	if got := deliver(first.Secret, "wamid.old-secret"); got != http.StatusOK {
		t.Errorf("signed with the previous secret during the grace period: %d", got)
	}
	// The grace period ends (the database's clock is moved, not the API's): every process
	// hears of the change and drops the secrets it cached.
	if _, err := a.db.Admin.Exec(context.Background(), "update tenant_secrets set previous_valid_until = now() - interval '1 second' where tenant_id = $1", tn.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for deliver(first.Secret, "wamid.old-secret-late") != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("signed with the previous secret a second after the grace period: still accepted, want 401")
		}
		time.Sleep(10 * time.Millisecond) // waiting for the live hub's notification
	}
}

// TestInboundWebhookOtherChannels: on email, webchat and Instagram the sender is an
// address or a handle, not a phone: the contact is found by it, or created once.
func TestInboundWebhookOtherChannels(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	secret := webhookSecret(t, a, tn.ID)
	deliver := func(channel, from, externalID string) webhookReceipt {
		t.Helper()
		var receipt webhookReceipt
		webhookPost(t, a, tn.ID, "inbound", secret, map[string]any{"channel": channel, "external_id": externalID, "from": from, "name": "Fulana", "content": "Oi"}).
			expect(t, http.StatusOK).into(t, &receipt)
		return receipt
	}
	byEmail := deliver("email", " Fulana@Example.com ", "mail-1")
	again := deliver("email", "fulana@example.com", "mail-2")
	if byEmail.ContactID != again.ContactID || byEmail.ConversationID != again.ConversationID {
		t.Errorf("the same address made two contacts or conversations: %+v, %+v", byEmail, again)
	}
	var email *string
	if err := a.db.Admin.QueryRow(context.Background(), "select email from contacts where id = $1", byEmail.ContactID).Scan(&email); err != nil || email == nil || *email != "fulana@example.com" {
		t.Errorf("the email contact's email: %v (%v)", email, err)
	}
	// The seeded contact Maria is reached at maria@example.com.
	if got := deliver("email", "maria@example.com", "mail-3"); got.ContactID != tn.ContactID.String() {
		t.Errorf("a known address: contact %s, want Maria %s", got.ContactID, tn.ContactID)
	}
	handle := deliver("instagram", "@fulana.oficial", "ig-1")
	if handle.ContactID == byEmail.ContactID {
		t.Error("an Instagram handle reached the email contact")
	}
	if got := deliver("webchat", "session-8f2a", "chat-1"); got.ContactID == handle.ContactID || got.ContactID == "" {
		t.Errorf("webchat session: %+v", got)
	}
	for name, payload := range map[string]map[string]any{
		"a handle on whatsapp": {"channel": "whatsapp", "external_id": "w-x", "from": "@fulana"},
		"not an email":         {"channel": "email", "external_id": "m-x", "from": "fulana"},
		"blank on webchat":     {"channel": "webchat", "external_id": "c-x", "from": "   "},
	} {
		if res := webhookPost(t, a, tn.ID, "inbound", secret, payload); res.status != http.StatusBadRequest || res.problem(t).Field != "from" {
			t.Errorf("%s: %d %s, want 400 naming from", name, res.status, res.body)
		}
	}
}
