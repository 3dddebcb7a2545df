package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/delivery"
	"github.com/atende/atende/whatsapp/whatsapptest"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// TestMain silences the access log: failures are reported by the tests.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// testSecret is the HS256 secret the test server trusts.
const testSecret = "test-secret-that-is-at-least-32-bytes-long"

// baseDomain is the test server's APP_BASE_DOMAIN.
const baseDomain = "atende.test"

// testAPI is the API served over HTTP on a fresh database.
type testAPI struct {
	t      *testing.T
	db     *dbtest.Database
	server *httptest.Server
	tokens *auth.Verifier
	// echo is the application, for its route table.
	echo *echo.Echo
	// dns answers the server's TXT lookups (custom domain verification).
	dns *fakeDNS
	// graph is the fake Graph API the server checks WhatsApp numbers with.
	graph *whatsapptest.Graph
}

// Meta app settings of the test server.
const (
	testAppSecret   = "test-meta-app-secret"
	testVerifyToken = "test-verify-token"
)

// fakeDNS holds the TXT records the tests publish.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if records, ok := f.records[name]; ok {
		return records, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) publish(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[name] = append(f.records[name], value)
}

// verifyCustomDomain publishes the TXT record that proves the token's tenant controls
// its custom domain, as the tenant's DNS admin would, and verifies it.
func (a *testAPI) verifyCustomDomain(t *testing.T, token string) {
	t.Helper()
	var status struct {
		TXTName  string `json:"txt_name"`
		TXTValue string `json:"txt_value"`
		Verified bool   `json:"verified"`
	}
	a.do(request{method: "GET", path: "/api/v1/tenant/custom-domain", token: token}).expect(t, http.StatusOK).into(t, &status)
	a.dns.publish(status.TXTName, status.TXTValue)
	a.do(request{method: "POST", path: "/api/v1/tenant/custom-domain/verify", token: token}).expect(t, http.StatusOK).into(t, &status)
	if !status.Verified {
		t.Fatalf("custom domain not verified: %+v", status)
	}
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	return newTestAPIWith(t, testVerifier(t))
}

// testVerifier trusts tokens signed with testSecret.
func testVerifier(t *testing.T) *auth.Verifier {
	t.Helper()
	tokens, err := auth.New(auth.Config{JWTSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// newTestAPIWith serves the API with the given token verifier.
func newTestAPIWith(t *testing.T, tokens *auth.Verifier) *testAPI {
	t.Helper()
	return serveTestAPI(t, dbtest.New(t), api.Config{}, tokens)
}

// serveTestAPI serves the API on the database with cfg, completed with the test
// server's base domain, body limit, DNS, Meta app and fake Graph API, and (unless cfg
// has one) a Delivery that queues jobs without working them.
func serveTestAPI(t *testing.T, d *dbtest.Database, cfg api.Config, tokens *auth.Verifier) *testAPI {
	t.Helper()
	dns := &fakeDNS{records: map[string][]string{}}
	graph := whatsapptest.New(t)
	cfg.BaseDomain, cfg.BodyLimit, cfg.Resolver = baseDomain, "64K", dns
	cfg.WhatsApp = api.WhatsAppConfig{Graph: graph.Client(), AppSecret: testAppSecret, VerifyToken: testVerifyToken}
	if cfg.Delivery == nil {
		outbox, err := delivery.New(d.App, delivery.Config{Graph: graph.Client()})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Delivery = outbox
	}
	if cfg.Fairness == (api.Fairness{}) {
		// Tests make requests far faster than people do; TestFairness tests the limits.
		cfg.Fairness = api.Fairness{UserRate: 1e6, UserBurst: 1e6, TenantInFlight: 4, TenantQueue: 1000}
	}
	e := api.New(cfg, d.App, tokens)
	server := httptest.NewServer(newResponseValidator(t, e))
	t.Cleanup(server.Close)
	return &testAPI{t: t, db: d, server: server, tokens: tokens, echo: e, dns: dns, graph: graph}
}

// token mints an access token for the auth user.
func (a *testAPI) token(userID uuid.UUID) string {
	a.t.Helper()
	token, err := a.tokens.Mint(userID, time.Hour)
	if err != nil {
		a.t.Fatal(err)
	}
	return token
}

// request is one HTTP request to the test server. Host defaults to the bare API host.
type request struct {
	method, path, host, token string
	body                      any // marshalled to JSON, or sent as is when a string
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// into decodes the response body into v, failing the test when it cannot.
func (r response) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem decodes a problem response.
func (r response) problem(t *testing.T) api.Problem {
	t.Helper()
	var p api.Problem
	r.into(t, &p)
	return p
}

func (a *testAPI) do(r request) response {
	a.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		body = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(context.Background(), r.method, a.server.URL+r.path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if r.host != "" {
		req.Host = r.host
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.server.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// expect fails the test unless the response has the status.
func (r response) expect(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// postCreated POSTs the body to path as the token's user, expects 201 and returns the
// decoded answer.
func postCreated[T any](t *testing.T, a *testAPI, token, path string, body any) T {
	t.Helper()
	var created T
	a.do(request{method: "POST", path: path, token: token, body: body}).expect(t, http.StatusCreated).into(t, &created)
	return created
}

// expectProblem fails the test unless the response is a problem document with the
// status, naming the field ("" for none) and with a detail; it returns the problem.
func (r response) expectProblem(t *testing.T, status int, field string) api.Problem {
	t.Helper()
	r.expect(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r.body)
	}
	p := r.problem(t)
	if p.Status != status || p.Field != field || p.Detail == "" {
		t.Fatalf("problem %+v, want status %d naming field %q, with a detail", p, status, field)
	}
	return p
}

// refusal is a request the API must refuse with the status and a problem naming the
// field ("" for none).
type refusal struct {
	name, method, path string
	body               any
	status             int
	field              string
}

// expectRefusals sends each refused request with the token, one subtest each, and
// checks its problem; then that nothing of the tenants changed. The subtests run one
// after the other, so that the snapshots bracket them all.
func (a *testAPI) expectRefusals(t *testing.T, token string, refusals []refusal, tenants ...uuid.UUID) {
	t.Helper()
	before := make([]map[string]string, len(tenants))
	for i, id := range tenants {
		before[i] = a.tenantSnapshot(t, id)
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			a.do(request{method: r.method, path: r.path, token: token, body: r.body}).expectProblem(t, r.status, r.field)
		})
	}
	for i, id := range tenants {
		expectSnapshot(t, "after the refused requests, tenant "+id.String(), before[i], a.tenantSnapshot(t, id))
	}
}

// listPage is a list response.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// listAll follows a list's next_cursor from path (which has a query) to the last page
// and returns every item in order.
func listAll[T any](t *testing.T, a *testAPI, token, path string) []T {
	t.Helper()
	var items []T
	next := path
	for range 20 {
		var page listPage[T]
		a.do(request{method: "GET", path: next, token: token}).expect(t, http.StatusOK).into(t, &page)
		items = append(items, page.Items...)
		if page.NextCursor == nil {
			return items
		}
		next = path + "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	t.Fatalf("%s: more than 20 pages", path)
	return nil
}

// listIDs is listAll keeping only the items' ids.
func listIDs(t *testing.T, a *testAPI, token, path string) []string {
	t.Helper()
	type withID struct {
		ID string `json:"id"`
	}
	var ids []string
	for _, item := range listAll[withID](t, a, token, path) {
		ids = append(ids, item.ID)
	}
	return ids
}
