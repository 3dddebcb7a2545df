package api_test

import (
	"net/http"
	"net/http/httptest"
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
