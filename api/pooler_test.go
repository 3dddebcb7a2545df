package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/atende/atende/api"
	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/delivery"
)

// TestThroughPgBouncer serves the API through PgBouncer in transaction mode, with the
// documented DATABASE_QUERY_EXEC_MODE=exec: eight clients share two server connections,
// so consecutive transactions of one client land on different ones. Every request is
// answered as directly, a failed transaction leaves nothing behind for the next one on
// its connection, and tenants stay apart.
func TestThroughPgBouncer(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := serveThroughPgBouncer(t, d)
	tn, other := dbtest.SeedTenant(t, d, "clinica-a"), dbtest.SeedTenant(t, d, "clinica-b")
	secret := webhookSecret(t, a, tn.ID)
	othersContacts := webhookCount(t, a, "select from contacts where tenant_id = $1", other.ID)

	const clients, rounds = 8, 10
	var wg sync.WaitGroup
	for client := range clients {
		wg.Go(func() {
			token := a.token(tn.AgentID)
			if client%2 == 1 {
				token = a.token(tn.OwnerID)
			}
			for round := range rounds {
				phone := fmt.Sprintf("+55219%04d%04d", client, round)
				call := func(method, path string, body any, want int) []byte {
					raw, _ := json.Marshal(body)
					res, err := inboxSend(a, method, path, token, nil, raw)
					if err != nil || res.status != want {
						t.Errorf("client %d round %d: %s %s: %d %s (err %v), want %d", client, round, method, path, res.status, res.body, err, want)
					}
					return res.body
				}
				var contact struct {
					ID string `json:"id"`
				}
				json.Unmarshal(call("POST", "/api/v1/contacts", map[string]any{"name": "Paciente", "phone": phone}, http.StatusCreated), &contact)
				call("POST", "/api/v1/contacts", map[string]any{"name": "Again", "phone": phone}, http.StatusConflict)
				call("GET", "/api/v1/contacts/"+contact.ID, nil, http.StatusOK)
				call("GET", "/api/v1/contacts/"+other.ContactID.String(), nil, http.StatusNotFound)
				call("GET", "/api/v1/conversations?limit=5", nil, http.StatusOK)
				call("POST", "/api/v1/leads/"+leadsSeeded(t, a, tn.ID)+"/move", map[string]any{"stage": "contacted", "position": round % 3}, http.StatusOK)
				delivery := map[string]any{"channel": "whatsapp", "external_id": fmt.Sprintf("wamid.%d.%d", client, round), "from": phone, "content": "Oi"}
				raw, _ := json.Marshal(delivery)
				if res, err := webhookCall(a, fmt.Sprintf("/api/v1/webhooks/%s/inbound", tn.ID), signed(secret, raw), raw); err != nil || res.status != http.StatusOK {
					t.Errorf("client %d round %d: inbound webhook: %d %s (err %v)", client, round, res.status, res.body, err)
				}
			}
		})
	}
	wg.Wait()

	if n := webhookCount(t, a, "select from contacts where tenant_id = $1 and phone like '+55219%'", tn.ID); n != clients*rounds {
		t.Errorf("%d contacts created through the pooler, want %d", n, clients*rounds)
	}
	if n := webhookCount(t, a, "select from messages where tenant_id = $1 and external_id like 'wamid.%.%'", tn.ID); n != clients*rounds {
		t.Errorf("%d inbound messages stored through the pooler, want %d", n, clients*rounds)
	}
	if n := webhookCount(t, a, "select from contacts where tenant_id = $1", other.ID); n != othersContacts {
		t.Errorf("tenant B has %d contacts, want its %d", n, othersContacts)
	}
}

// serveThroughPgBouncer serves the API on d through PgBouncer in transaction mode (two
// server connections), with the documented DATABASE_QUERY_EXEC_MODE=exec.
func serveThroughPgBouncer(t *testing.T, d *dbtest.Database) *testAPI {
	t.Helper()
	pool, err := db.OpenPool(t.Context(), dbtest.PgBouncer(t, d, 2), db.PoolSettings{ExecMode: "exec", MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	pooled := *d
	pooled.App = db.DB{Pool: pool}
	return serveTestAPI(t, &pooled, api.Config{}, testVerifier(t))
}

// TestRepliesGoOutThroughPgBouncer: behind a transaction-mode pooler the job queue's
// workers poll (JOBS_POLL_ONLY), a session's LISTEN being lost there; a reply written
// through PgBouncer is sent by workers whose connections go through it as well.
func TestRepliesGoOutThroughPgBouncer(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := serveThroughPgBouncer(t, d)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	workers := startWorkers(t, a, delivery.Config{PollOnly: true})
	agent := a.token(tn.AgentID)
	for _, content := range []string{"Posso ajudar?", "Confirmado para amanhã."} {
		id := reply(t, a, agent, tn.ConversationID, map[string]any{"content": content})
		if m := awaitStatus(t, a, workers, agent, tn.ConversationID, id); m.Status != "sent" || m.ExternalID == nil {
			t.Fatalf("%q through the pooler: %+v, want sent with its wamid", content, m)
		}
	}
	if sends := a.graph.Sends(); len(sends) != 2 || sends[0].Text != "Posso ajudar?" || sends[1].Text != "Confirmado para amanhã." {
		t.Fatalf("the Graph API got %+v, want the two replies in order", sends)
	}
}
