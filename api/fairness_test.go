package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/db/dbtest"
)

// TestUserRateLimit: a user past their rate gets 429 with Retry-After; another user of the
// same tenant is not slowed.
func TestUserRateLimit(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := serveTestAPI(t, d, api.Config{Fairness: api.Fairness{UserRate: 0.01, UserBurst: 3, TenantInFlight: 4, TenantQueue: 10}}, testVerifier(t))
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	agent, owner := a.token(tn.AgentID), a.token(tn.OwnerID)
	for range 3 {
		a.do(request{method: "GET", path: "/api/v1/me", token: agent}).expect(t, http.StatusOK)
	}
	res := a.do(request{method: "GET", path: "/api/v1/me", token: agent})
	res.expectProblem(t, http.StatusTooManyRequests, "")
	if retry, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || retry < 1 {
		t.Errorf("Retry-After %q, want a number of seconds", res.header.Get("Retry-After"))
	}
	a.do(request{method: "GET", path: "/api/v1/me", token: owner}).expect(t, http.StatusOK)
}

// TestTenantInFlightLimit: with one place per tenant and one more in its queue, tenant A's
// request stuck on a lock holds A's place; of A's next two requests one waits and one is
// refused (429), while tenant B is served at once. Once the lock goes, A's held and
// waiting requests are served.
func TestTenantInFlightLimit(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	patient := *d
	patient.App.LockTimeout = time.Minute // the stuck request waits for the test, not for the default 2 s
	a := serveTestAPI(t, &patient, api.Config{Fairness: api.Fairness{UserRate: 1e6, UserBurst: 1e6, TenantInFlight: 1, TenantQueue: 1}}, testVerifier(t))
	tn, other := dbtest.SeedTenant(t, d, "clinica-a"), dbtest.SeedTenant(t, d, "clinica-b")
	owner := a.token(tn.OwnerID)
	a.do(request{method: "GET", path: "/api/v1/me", token: owner}).expect(t, http.StatusOK) // the API learns the owner's tenant

	lock, err := d.Admin.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(context.Background())
	if _, err := lock.Exec(t.Context(), "lock table contacts in access exclusive mode"); err != nil {
		t.Fatal(err)
	}
	statuses := make(chan int, 3)
	list := func() { statuses <- a.do(request{method: "GET", path: "/api/v1/contacts", token: owner}).status }
	go list()
	// Wait for the request to hold A's place: its backend waits on the lock.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting bool
		if err := d.Admin.QueryRow(t.Context(), "select exists (select from pg_locks where not granted and relation = 'contacts'::regclass)").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the lock")
		}
		time.Sleep(5 * time.Millisecond) // polling another process's state
	}
	go list()
	go list()
	if got := <-statuses; got != http.StatusTooManyRequests {
		t.Fatalf("first answer while A's place is held: %d, want 429 (one request waits, the other is refused)", got)
	}
	a.do(request{method: "GET", path: "/api/v1/me", token: a.token(other.OwnerID)}).expect(t, http.StatusOK)

	if err := lock.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := <-statuses; got != http.StatusOK {
			t.Errorf("A's held or waiting request after the lock went: %d, want 200", got)
		}
	}
}
