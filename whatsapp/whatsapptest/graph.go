// Package whatsapptest is a fake WhatsApp Cloud API for tests and benchmarks: it records
// every send it acknowledges, fails on demand, and answers the phone number lookup.
package whatsapptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/whatsapp"
)

// Send is a send the fake Graph API acknowledged.
type Send struct {
	PhoneNumberID string
	Token         string
	To            string
	// Text is the text body, or the media's caption.
	Text string
	// Body is the request as sent.
	Body map[string]any
	// WAMID is the id the fake answered with.
	WAMID string
	At    time.Time
}

// Failure is an error answer of the Graph API.
type Failure struct {
	Status  int
	Code    int
	Message string
	// RetryAfter is the Retry-After header, when set.
	RetryAfter string
}

// Graph is the fake; its zero value is not usable: see New.
type Graph struct {
	Server *httptest.Server

	mu       sync.Mutex
	sends    []Send
	attempts int
	changed  chan struct{}
	failNext []Failure
	failTo   map[string]Failure
	refused  map[string]bool
}

// New starts a fake Graph API, closed when t ends. Every phone number id and token are
// accepted until RefuseToken says otherwise.
func New(t testing.TB) *Graph {
	g := &Graph{changed: make(chan struct{}), failTo: map[string]Failure{}, refused: map[string]bool{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Server.Close)
	return g
}

// Client is a Graph API client of the fake.
func (g *Graph) Client() *whatsapp.Client {
	return whatsapp.NewClient(g.Server.URL+"/v21.0", 10*time.Second)
}

// FailNext makes the next sends fail, one per failure given, in order.
func (g *Graph) FailNext(failures ...Failure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failNext = append(g.failNext, failures...)
}

// FailTo makes every send to the recipient (digits, no +) fail.
func (g *Graph) FailTo(to string, f Failure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failTo[to] = f
}

// RefuseToken makes the phone number lookup refuse the token.
func (g *Graph) RefuseToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused[token] = true
}

// Sends are the acknowledged sends, in order.
func (g *Graph) Sends() []Send {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Send(nil), g.sends...)
}

// Attempts counts every send request, failed ones too.
func (g *Graph) Attempts() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.attempts
}

// Await waits until done holds for the acknowledged sends, and fails t after timeout.
func (g *Graph) Await(t testing.TB, timeout time.Duration, what string, done func([]Send) bool) []Send {
	t.Helper()
	deadline := time.After(timeout)
	for {
		g.mu.Lock()
		sends, changed := append([]Send(nil), g.sends...), g.changed
		g.mu.Unlock()
		if done(sends) {
			return sends
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited %s for %s: %d sends", timeout, what, len(sends))
		}
	}
}

func (g *Graph) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v21.0/<id>[/messages]
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2:
		g.lookup(w, parts[1], token)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
		g.send(w, r, parts[1], token)
	default:
		fail(w, Failure{Status: http.StatusNotFound, Code: 100, Message: "Unknown path components"})
	}
}

func (g *Graph) lookup(w http.ResponseWriter, id, token string) {
	g.mu.Lock()
	refused := g.refused[token]
	g.mu.Unlock()
	if refused {
		fail(w, Failure{Status: http.StatusBadRequest, Code: 100, Message: "Unsupported get request. Object with ID '" + id + "' does not exist"})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"id": id, "display_phone_number": "+55 11 4000-" + id[max(0, len(id)-4):]})
}

func (g *Graph) send(w http.ResponseWriter, r *http.Request, phoneNumberID, token string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, Failure{Status: http.StatusBadRequest, Code: 100, Message: "malformed body"})
		return
	}
	s := Send{PhoneNumberID: phoneNumberID, Token: token, Body: body, At: time.Now()}
	s.To, _ = body["to"].(string)
	if typ, _ := body["type"].(string); typ != "" {
		if content, ok := body[typ].(map[string]any); ok {
			s.Text, _ = content["body"].(string)
			if caption, ok := content["caption"].(string); ok {
				s.Text = caption
			}
		}
	}
	g.mu.Lock()
	g.attempts++
	var failure *Failure
	if f, ok := g.failTo[s.To]; ok {
		failure = &f
	} else if len(g.failNext) > 0 {
		failure = &g.failNext[0]
		g.failNext = g.failNext[1:]
	}
	if failure == nil {
		s.WAMID = fmt.Sprintf("wamid.fake%06d", len(g.sends)+1)
		g.sends = append(g.sends, s)
		close(g.changed)
		g.changed = make(chan struct{})
	}
	g.mu.Unlock()
	if failure != nil {
		fail(w, *failure)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": s.To, "wa_id": s.To}},
		"messages":          []map[string]string{{"id": s.WAMID}},
	})
}

func fail(w http.ResponseWriter, f Failure) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": f.Message, "type": "OAuthException", "code": f.Code}})
}
