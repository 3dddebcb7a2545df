package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/live"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// newTestAPIWithEvents serves the API with live events, listening on a new test
// database as the backend's login role does.
func newTestAPIWithEvents(t *testing.T, cfg live.Config) *testAPI {
	t.Helper()
	return serveWithEvents(t, dbtest.New(t), cfg)
}

// serveWithEvents serves the API on the database with its own event hub: another
// replica, when called twice on one database.
func serveWithEvents(t *testing.T, d *dbtest.Database, cfg live.Config) *testAPI {
	t.Helper()
	cfg.Connect = func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, d.AppURL) }
	hub := live.NewHub(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	a := serveTestAPI(t, d, api.Config{Events: hub, CursorKey: []byte("the same cursor key on every replica")}, testVerifier(t))
	select {
	case <-hub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the event hub does not listen")
	}
	return a
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID, Name string
	Data     map[string]any
}

// eventStream is an open GET /api/v1/events.
type eventStream struct {
	t       *testing.T
	events  chan sseEvent
	cancel  context.CancelFunc
	Status  int
	schemas openapi3.Schemas // each event read is checked against its own
}

// openStream opens the event stream with the request's token or query, and
// Last-Event-ID when lastEventID is not empty. It is closed when the test ends.
func (a *testAPI) openStream(t *testing.T, query, token, lastEventID string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", a.server.URL+"/api/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := a.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &eventStream{t: t, events: make(chan sseEvent, 1000), cancel: cancel, Status: res.StatusCode, schemas: openAPIDoc(t).Components.Schemas}
	t.Cleanup(cancel)
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		scanner := bufio.NewScanner(res.Body)
		var e sseEvent
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case line == "":
				if e.Name != "" {
					s.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				e.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e.Data); err != nil {
					t.Errorf("event data is not JSON: %q", line)
				}
			}
		}
	}()
	return s
}

// controlEvents carry no data ({}): they say what happened to the stream itself.
var controlEvents = []string{"reset", "expired", "forbidden"}

// checkEventData fails the test when an event's data does not match the document's
// schema for its name (message.created: EventMessageCreated), so that every event a
// test reads checks what the typed clients are told.
func checkEventData(t *testing.T, schemas openapi3.Schemas, e sseEvent) {
	if slices.Contains(controlEvents, e.Name) {
		return
	}
	name := "Event"
	for part := range strings.SplitSeq(e.Name, ".") {
		name += strings.ToUpper(part[:1]) + part[1:]
	}
	schema, ok := schemas[name]
	if !ok {
		t.Errorf("event %s: the document has no schema %s", e.Name, name)
		return
	}
	if err := schema.Value.VisitJSON(e.Data, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("event %s does not match %s: %v\n%v", e.Name, name, err, e.Data)
	}
}

// next returns the next event, failing the test when none comes within the wait.
func (s *eventStream) next(wait time.Duration) sseEvent {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		checkEventData(s.t, s.schemas, e)
		return e
	case <-time.After(wait):
		s.t.Fatalf("no event within %s", wait)
		return sseEvent{}
	}
}

// until reads events until one named name whose data field has the value arrives,
// returning it and those before it.
func (s *eventStream) until(name, field string, value any, wait time.Duration) (sseEvent, []sseEvent) {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	var before []sseEvent
	for {
		e := s.next(time.Until(deadline))
		if e.Name == name && e.Data[field] == value {
			return e, before
		}
		before = append(before, e)
	}
}

// TestEventStream: a member's stream gets the tenant's changes as they commit, whoever
// made them — a webhook, the API, SQL — with the fields an inbox needs.
func TestEventStream(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{})
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	stream := a.openStream(t, "", owner, "")
	if stream.Status != http.StatusOK {
		t.Fatalf("stream: status %d", stream.Status)
	}

	// A message from a new contact: its conversation, then the message.
	var receipt webhookReceipt
	webhookPost(t, a, tn.ID, "inbound", webhookSecret(t, a, tn.ID),
		map[string]any{"channel": "whatsapp", "external_id": "wamid.live", "from": "+5521977776666", "name": "Nova", "content": "Olá, quero marcar"}).
		expect(t, http.StatusOK).into(t, &receipt)
	// The conversation is created with its first message counted.
	created, _ := stream.until("conversation.created", "id", receipt.ConversationID, time.Second)
	if created.Data["contact_name"] != "Nova" || created.Data["contact_phone"] != "+5521977776666" || created.Data["unread_count"] != float64(1) {
		t.Errorf("conversation.created: %v", created.Data)
	}
	message, _ := stream.until("message.created", "id", receipt.MessageID, time.Second)
	if message.Data["preview"] != "Olá, quero marcar" || message.Data["direction"] != "inbound" || message.Data["conversation_id"] != receipt.ConversationID || message.ID == "" {
		t.Errorf("message.created: %v", message)
	}
	// A second message bumps it.
	webhookPost(t, a, tn.ID, "inbound", webhookSecret(t, a, tn.ID),
		map[string]any{"channel": "whatsapp", "external_id": "wamid.live2", "from": "+5521977776666", "content": "Alô?"}).expect(t, http.StatusOK)
	updated, _ := stream.until("conversation.updated", "id", receipt.ConversationID, time.Second)
	if updated.Data["unread_count"] != float64(2) {
		t.Errorf("conversation.updated after the second message: %v", updated.Data)
	}

	// The agent replies through the API; the provider reports it read.
	var reply inboxMessage
	a.do(request{method: "POST", path: "/api/v1/conversations/" + receipt.ConversationID + "/messages", token: a.token(tn.AgentID),
		body: map[string]any{"content": "Claro!"}}).expect(t, http.StatusCreated).into(t, &reply)
	if e, _ := stream.until("message.created", "id", reply.ID, time.Second); e.Data["sender_user_id"] != tn.AgentID.String() || e.Data["status"] != "queued" {
		t.Errorf("reply: %v", e.Data)
	}
	if _, err := a.db.Admin.Exec(context.Background(), `update messages set status = 'sent' where tenant_id = $1 and id = $2`, tn.ID, reply.ID); err != nil {
		t.Fatal(err)
	}
	if e, _ := stream.until("message.updated", "id", reply.ID, time.Second); e.Data["status"] != "sent" {
		t.Errorf("message.updated: %v", e.Data)
	}

	// A lead moved by a Supabase client's SQL is seen too.
	var lead string
	if err := a.db.Admin.QueryRow(context.Background(), `update leads_pipeline set stage = 'won' where tenant_id = $1 returning id`, tn.ID).Scan(&lead); err != nil {
		t.Fatal(err)
	}
	if e, _ := stream.until("lead.moved", "id", lead, time.Second); e.Data["stage"] != "won" || e.Data["from_stage"] != "new" {
		t.Errorf("lead.moved: %v", e.Data)
	}
}

// TestEventStreamResumes: a client that reconnects with Last-Event-ID gets what it
// missed, in order; one whose event is no longer known is told to refetch.
func TestEventStreamResumes(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{})
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	conversation := tn.ConversationID.String()
	markRead := func() {
		t.Helper()
		// Unread 1 → 0 each time: one conversation.updated per call.
		if _, err := a.db.Admin.Exec(context.Background(), `update conversations set unread_count = 1 where id = $1`, tn.ConversationID); err != nil {
			t.Fatal(err)
		}
		a.do(request{method: "POST", path: "/api/v1/conversations/" + conversation + "/read", token: owner}).expect(t, http.StatusOK)
	}

	first := a.openStream(t, "", owner, "")
	markRead()
	seen, _ := first.until("conversation.updated", "unread_count", float64(0), time.Second)
	first.cancel()

	markRead()
	markRead()
	resumed := a.openStream(t, "", owner, seen.ID)
	var unread []any
	last, _ := strconv.ParseInt(seen.ID, 10, 64)
	for range 4 { // two changes, each to 1 then to 0
		e := resumed.next(time.Second)
		id, err := strconv.ParseInt(e.ID, 10, 64)
		if e.Name != "conversation.updated" || err != nil || id <= last {
			t.Fatalf("resumed stream: %s %s %v, want the missed conversation.updated after %d", e.ID, e.Name, e.Data, last)
		}
		last = id
		unread = append(unread, e.Data["unread_count"])
	}
	if want := []any{float64(1), float64(0), float64(1), float64(0)}; !slices.Equal(unread, want) {
		t.Errorf("replayed unread counts %v, want %v", unread, want)
	}

	stale := a.openStream(t, "", owner, "999999999")
	if e := stale.next(time.Second); e.Name != "reset" {
		t.Fatalf("an unknown Last-Event-ID: first event %s, want reset", e.Name)
	}
}

// TestEventStreamTicketsAndLimits: a browser opens its stream with a single-use ticket;
// streams per user are limited; a stream ends when its token expires.
func TestEventStreamTicketsAndLimits(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{PerUser: 2})
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)

	var ticket struct {
		Ticket string `json:"ticket"`
	}
	a.do(request{method: "POST", path: "/api/v1/events/ticket", token: owner}).expect(t, http.StatusCreated).into(t, &ticket)
	if s := a.openStream(t, "?ticket="+ticket.Ticket, "", ""); s.Status != http.StatusOK {
		t.Fatalf("stream with a ticket: %d", s.Status)
	}
	for name, query := range map[string]string{"used twice": "?ticket=" + ticket.Ticket, "unknown": "?ticket=" + tn.ID.String(), "malformed": "?ticket=x"} {
		if s := a.openStream(t, query, "", ""); s.Status != http.StatusUnauthorized {
			t.Errorf("ticket %s: status %d, want 401", name, s.Status)
		}
	}
	a.do(request{method: "POST", path: "/api/v1/events/ticket"}).expectProblem(t, http.StatusUnauthorized, "")
	if s := a.openStream(t, "", "", ""); s.Status != http.StatusUnauthorized {
		t.Errorf("no token: status %d", s.Status)
	}

	// The ticket's stream and one more are the owner's two; a third is refused.
	a.openStream(t, "", owner, "")
	if s := a.openStream(t, "", owner, ""); s.Status != http.StatusTooManyRequests {
		t.Errorf("third stream: status %d, want 429", s.Status)
	}

	short, err := a.tokens.Mint(tn.AgentID, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	expiring := a.openStream(t, "", short, "")
	if e, _ := expiring.until("expired", "", nil, 5*time.Second); e.Name != "expired" {
		t.Fatalf("expiring stream ended with %v", e)
	}
}

// TestEventStreamTenantLimit: a tenant's streams are limited whoever opens them, and
// another tenant's are counted apart.
func TestEventStreamTenantLimit(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{PerTenant: 2})
	tn, other := dbtest.SeedTenant(t, a.db, "clinica-a"), dbtest.SeedTenant(t, a.db, "clinica-b")
	for _, user := range []uuid.UUID{tn.OwnerID, tn.AgentID} {
		if s := a.openStream(t, "", a.token(user), ""); s.Status != http.StatusOK {
			t.Fatalf("a stream of the tenant's first two: status %d", s.Status)
		}
	}
	for _, user := range []uuid.UUID{tn.OwnerID, tn.AgentID} {
		if s := a.openStream(t, "", a.token(user), ""); s.Status != http.StatusTooManyRequests {
			t.Errorf("a third stream of the tenant: status %d, want 429", s.Status)
		}
	}
	if s := a.openStream(t, "", a.token(other.OwnerID), ""); s.Status != http.StatusOK {
		t.Errorf("another tenant's first stream: status %d, want 200", s.Status)
	}
}

// TestEventStreamIsolation derives from the route table: while tenant A's stream is open,
// tenant B's owner calls every write route on B's rows and B's provider delivers
// through both webhooks. A receives none of it — B's own stream shows there was plenty —
// and A's own change arrives within a second.
func TestEventStreamIsolation(t *testing.T) {
	t.Parallel()
	a := newTestAPIWithEvents(t, live.Config{})
	tenantA := dbtest.SeedTenant(t, a.db, "clinica-a")
	tenantB := dbtest.SeedTenant(t, a.db, "clinica-b")
	streamA := a.openStream(t, "", a.token(tenantA.OwnerID), "")
	streamB := a.openStream(t, "", a.token(tenantB.OwnerID), "")
	doc := openAPIDoc(t)
	ownerB := a.token(tenantB.OwnerID)

	secretB := webhookSecret(t, a, tenantB.ID)
	var receipt webhookReceipt
	webhookPost(t, a, tenantB.ID, "inbound", secretB, map[string]any{"channel": "whatsapp", "external_id": "wamid.b1", "from": "+5521955554444", "content": "B"}).
		expect(t, http.StatusOK).into(t, &receipt)
	webhookPost(t, a, tenantB.ID, "status", secretB, map[string]any{"channel": "whatsapp", "external_id": "wamid.clinica-b", "status": "read"}).expect(t, http.StatusOK)
	var writes int
	for _, p := range a.probes(t, tenantB.ID) {
		if p.route.Method == http.MethodGet {
			continue
		}
		var body any
		if schema := requestSchema(p.route.operation(t, doc)); schema != nil {
			body = sample(schema)
		}
		a.do(request{method: p.route.Method, path: p.path, token: ownerB, body: body})
		writes++
	}
	bIDs := a.tenantIDs(t, tenantB.ID)
	// B's stream got B's message: there were events for A's to leak.
	streamB.until("message.created", "id", receipt.MessageID, time.Second)

	var own webhookReceipt
	webhookPost(t, a, tenantA.ID, "inbound", webhookSecret(t, a, tenantA.ID), map[string]any{"channel": "whatsapp", "external_id": "wamid.a1", "from": "+5521933332222", "content": "A"}).
		expect(t, http.StatusOK).into(t, &own)
	_, before := streamA.until("message.created", "id", own.MessageID, time.Second)
	for _, e := range before {
		encoded, _ := json.Marshal(e.Data)
		for _, id := range bIDs {
			if strings.Contains(string(encoded), id) {
				t.Errorf("tenant A's stream got tenant B's %s %s", e.Name, encoded)
			}
		}
	}
	t.Logf("%d write routes of tenant B and two webhooks; tenant A's stream got %d other events before its own", writes, len(before))
}

// TestReplicas: two server processes on one database. A cursor from one is good on the
// other, and a slug changed through one stops naming the tenant on the other at once,
// though the other had cached it.
func TestReplicas(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	one, other := serveWithEvents(t, d, live.Config{}), serveWithEvents(t, d, live.Config{})
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	owner := one.token(tn.OwnerID)

	var page listPage[struct{}]
	one.do(request{method: "GET", path: "/api/v1/contacts?limit=1", token: owner}).expect(t, http.StatusOK).into(t, &page)
	other.do(request{method: "GET", path: "/api/v1/contacts?limit=1&cursor=" + url.QueryEscape(*page.NextCursor), token: owner}).expect(t, http.StatusOK)

	tenantsBrandingAt(t, other, "clinica-a.atende.test") // cached by the other replica
	one.do(request{method: "PATCH", path: "/api/v1/tenant", token: owner, body: map[string]any{"slug": "clinica-alfa"}}).expect(t, http.StatusOK)
	deadline := time.Now().Add(time.Second)
	for other.do(request{method: "GET", path: "/api/v1/tenant", host: "clinica-a.atende.test"}).status != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the other replica still serves the old slug a second after the change")
		}
		time.Sleep(10 * time.Millisecond) // waiting for another process's notification
	}
	if got := tenantsBrandingAt(t, other, "clinica-alfa.atende.test"); got.ID != tn.ID.String() {
		t.Fatalf("the new slug on the other replica: %+v", got)
	}
}
