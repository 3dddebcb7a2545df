package db_test

import (
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
)

// TestChannelAccessTokenIsWriteOnly: a tenant's admins write the WhatsApp access token but
// nobody reads it back except service_role, the senders' role.
func TestChannelAccessTokenIsWriteOnly(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	read := "select count(*) from channel_accounts where access_token is not null"
	if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.OwnerClaims(), nil, read); dbtest.SQLState(got.Err) != "42501" {
		t.Errorf("the owner reads the access token: %v, want permission denied", got)
	}
	if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.OwnerClaims(), nil, "select count(*) from channel_accounts where phone_number_id is not null"); got.Err != nil || got.Rows != 1 {
		t.Errorf("the owner reads the number: %v, want 1 row", got)
	}
	if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.AgentClaims(), nil, "select count(*) from channel_accounts where phone_number_id is not null"); got.Err != nil || got.Rows != 0 {
		t.Errorf("an agent reads the number: %v, want no row", got)
	}
	if got := dbtest.RunAs(t, d.Admin, "service_role", nil, nil, read); got.Err != nil || got.Rows != 1 {
		t.Errorf("service_role reads the access token: %v, want 1 row", got)
	}
}

// TestJobQueueIsTheBackendsOnly: River's schema is out of reach of anon and
// authenticated; the backend's roles can queue jobs.
func TestJobQueueIsTheBackendsOnly(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	insert := `insert into river.river_job (args, kind, max_attempts, queue) values ('{}', 'probe', 1, 'probe')`
	for _, role := range []string{"anon", "authenticated"} {
		if got := dbtest.RunAs(t, d.Admin, role, tn.OwnerClaims(), nil, insert); dbtest.SQLState(got.Err) != "42501" {
			t.Errorf("%s queues a job: %v, want permission denied", role, got)
		}
		if got := dbtest.RunAs(t, d.Admin, role, tn.OwnerClaims(), nil, "select count(*) from river.river_job"); dbtest.SQLState(got.Err) != "42501" {
			t.Errorf("%s reads the jobs: %v, want permission denied", role, got)
		}
	}
	if got := dbtest.RunAs(t, d.Admin, "service_role", nil, nil, insert); got.Err != nil || got.Rows != 1 {
		t.Errorf("service_role queues a job: %v", got)
	}
	if _, err := d.App.Pool.Exec(t.Context(), insert); err != nil {
		t.Errorf("atende_app (River's own connections) queues a job: %v", err)
	}
}

// TestSendTokenBucket: a phone number's bucket gives its burst at once, then one token per
// 1/rate seconds; a campaign send leaves the kept tokens to replies.
func TestSendTokenBucket(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	take := func(keep float64) float64 {
		t.Helper()
		var wait float64
		err := d.App.AsService(t.Context(), func(q *db.Queries) (err error) {
			// A rate so slow that no token comes back during the test.
			wait, err = q.SendTokenTake(t.Context(), db.SendTokenTakeParams{TenantID: tn.ID, PhoneNumberID: tn.PhoneNumberID, Rate: 0.001, Burst: 4, Keep: keep})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i, want := range []bool{true, true} { // campaign sends: 4 tokens, 2 kept
		if got := take(2) == 0; got != want {
			t.Fatalf("campaign send %d: token taken %v, want %v", i+1, got, want)
		}
	}
	if wait := take(2); wait <= 0 || wait > 1000.001 {
		t.Fatalf("third campaign send: wait %v s, want about 1/rate = 1000 s", wait)
	}
	for i, want := range []bool{true, true, false} { // replies take what campaigns kept
		if got := take(0) == 0; got != want {
			t.Fatalf("reply %d: token taken %v, want %v", i+1, got, want)
		}
	}
}
