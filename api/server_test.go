package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atende/atende/api"
	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.do(request{method: "GET", path: "/healthz"}).expect(t, http.StatusOK)
	a.do(request{method: "GET", path: "/readyz"}).expect(t, http.StatusOK)
	a.db.App.Pool.Close() // the database goes away
	if p := a.do(request{method: "GET", path: "/readyz"}).expect(t, http.StatusServiceUnavailable).problem(t); p.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz without a database: %+v", p)
	}
}

// TestPanicIsA500Problem checks that a handler's panic becomes a 500 problem carrying
// the request id, with nothing of the panic in it.
func TestPanicIsA500Problem(t *testing.T) {
	t.Parallel()
	e := api.New(api.Config{}, db.DB{}, nil)
	e.GET("/panic", func(echo.Context) error { panic("secret detail") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	p := response{status: rec.Code, body: rec.Body.Bytes()}.problem(t)
	if p.RequestID == "" || p.RequestID != rec.Header().Get(echo.HeaderXRequestID) || p.Detail != "internal error" {
		t.Fatalf("problem %+v, want the request id and no detail of the panic", p)
	}
}

// TestCORS: the browser origins of CORS_ALLOWED_ORIGINS — exact ones and subdomain
// patterns — may call the API; others get no CORS headers.
func TestCORS(t *testing.T) {
	t.Parallel()
	e := api.New(api.Config{CORSAllowedOrigins: []string{"http://localhost:3000", "http://*.localhost:3000", "https://*.atende.app"}}, db.DB{}, nil)
	preflight := func(origin string) http.Header {
		req := httptest.NewRequest(http.MethodOptions, "/api/v1/contacts", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Header()
	}
	for _, origin := range []string{"http://localhost:3000", "http://sorriso.localhost:3000", "https://clinica-a.atende.app", "https://a.b.atende.app"} {
		h := preflight(origin)
		if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
			t.Errorf("%s: allow-origin %q, allow-headers %q", origin, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Headers"))
		}
	}
	for _, origin := range []string{"http://localhost:3001", "https://sorriso.localhost:3000", "http://evil.test", "https://atende.app.evil.test", "https://evil.test/.atende.app", "https://atende.app"} {
		if got := preflight(origin).Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s: allowed (%q)", origin, got)
		}
	}
}
