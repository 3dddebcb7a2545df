package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// An Endpoint is one hot route as the bench drives it.
type Endpoint struct {
	Name string // the row of the table, and what --only names
	Kind string // whose targets: small tenants', or the big one's
	// Read endpoints are measured next to pgbench replaying their transaction; a write's
	// replay would write rows of its own, and is not measured.
	Read    bool
	Request requestFunc
}

// A requestFunc builds a request about t for the API at base (scheme and host).
type requestFunc func(base string, t *Target, r *rand.Rand) (*http.Request, error)

// Endpoints are the measured routes, in the table's order.
var Endpoints = []Endpoint{
	{"contact", small, true, getContact},
	{"inbox", small, true, getInbox},
	{"inbox-big", big, true, getInbox},
	{"messages", small, true, getMessages},
	{"messages-big", big, true, getMessages},
	{"search", small, true, searchContacts},
	{"pipeline", small, true, getPipeline},
	{"webhook", small, false, postInbound},
	{"reply", small, false, postReply},
}

func getContact(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/contacts/"+t.ContactID.String(), nil)
}

func getInbox(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/conversations?limit=50", nil)
}

func getMessages(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/conversations/"+t.ConversationID.String()+"/messages?limit=50", nil)
}

func searchContacts(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/contacts?q="+url.QueryEscape(t.Q), nil)
}

func listContacts(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/contacts", nil)
}

func getPipeline(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	return userRequest(t, http.MethodGet, base+"/api/v1/pipeline", nil)
}

func postReply(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	body := []byte(`{"content": "Obrigado! Está confirmado para amanhã às 10h."}`)
	return userRequest(t, http.MethodPost, base+"/api/v1/conversations/"+t.ConversationID.String()+"/messages", body)
}

// leadStages are the pipeline's stages (db.AllLeadStageValues, as the API spells them).
var leadStages = []string{"new", "contacted", "qualified", "proposal", "won", "lost"}

// moveLead puts the target's lead at a random place, up to maxPosition, of a random
// stage.
func moveLead(maxPosition int) requestFunc {
	return func(base string, t *Target, r *rand.Rand) (*http.Request, error) {
		body := fmt.Appendf(nil, `{"stage": %q, "position": %d}`, leadStages[r.IntN(len(leadStages))], r.IntN(maxPosition+1))
		return userRequest(t, http.MethodPost, base+"/api/v1/leads/"+t.LeadID.String()+"/move", body)
	}
}

// deliveries numbers the webhook deliveries of this process; deliveryPrefix keeps the
// external ids apart from earlier runs' on a reused database.
var (
	deliveries     atomic.Uint64
	deliveryPrefix = strconv.FormatInt(time.Now().UnixNano(), 36)
)

// postInbound is a provider's delivery of a new message from the target's contact,
// signed as the API's webhooks require (README: Webhooks).
func postInbound(base string, t *Target, _ *rand.Rand) (*http.Request, error) {
	body, err := json.Marshal(map[string]string{
		"channel": "whatsapp", "external_id": fmt.Sprintf("bench-%s-%d", deliveryPrefix, deliveries.Add(1)),
		"from": t.Phone, "content": "Olá! Posso remarcar minha consulta para sexta?",
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/webhooks/"+t.TenantID.String()+"/inbound", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	timestamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(t.WebhookSecret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Atende-Timestamp", timestamp)
	req.Header.Set("X-Atende-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req, nil
}

// userRequest is a request with the target user's token, and body as JSON.
func userRequest(t *Target, method, target string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
