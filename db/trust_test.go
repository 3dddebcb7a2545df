package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// TestSuspendedTenantIsClosed: while a tenant is suspended its members reach none of its
// rows through any client, and can say why; reactivated, everything is back.
func TestSuspendedTenantIsClosed(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()
	setStatus := func(status string) {
		t.Helper()
		if _, err := d.Admin.Exec(ctx, `update tenants set status = $2 where id = $1`, tn.ID, status); err != nil {
			t.Fatal(err)
		}
	}
	contacts := func(claims []byte) dbtest.Outcome {
		return dbtest.RunAs(t, d.Admin, "authenticated", claims, nil, `select count(*) from contacts`)
	}

	setStatus("suspended")
	if got := contacts(tn.OwnerClaims()); got.Err != nil || got.Rows != 0 {
		t.Errorf("the suspended tenant's owner counts %v contacts, want 0", got)
	}
	if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.OwnerClaims(), nil,
		`insert into contacts (tenant_id, name) values ($1, 'Nova')`, tn.ID); !got.Denied() {
		t.Errorf("the suspended tenant's owner added a contact: %v", got)
	}
	if got := contacts(other.OwnerClaims()); got.Rows != 2 {
		t.Errorf("another tenant's owner counts %v contacts, want its 2", got)
	}
	if refusal := callerRefusal(t, d, tn.OwnerID); refusal != "suspended" {
		t.Errorf("refusal = %q, want suspended", refusal)
	}

	setStatus("active")
	if got := contacts(tn.OwnerClaims()); got.Rows != 2 {
		t.Errorf("after reactivation the owner counts %v contacts, want 2", got)
	}
	if refusal := callerRefusal(t, d, tn.OwnerID); refusal != "" {
		t.Errorf("refusal = %q, want none", refusal)
	}
}

// TestCallerRefusalOfBannedAndDeletedAccounts: a token outlives a ban or a deletion in
// Supabase Auth; the caller's lookup on every request tells, and the policies give such
// an account nothing, through any client.
func TestCallerRefusalOfBannedAndDeletedAccounts(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := d.Admin.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// What the agent's Supabase client reads and may write.
	reaches := func(when string, want int64) {
		t.Helper()
		if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.AgentClaims(), nil, `select count(*) from contacts`); got.Err != nil || got.Rows != want {
			t.Errorf("%s: the agent counts %v contacts, want %d", when, got, want)
		}
		wrote := dbtest.RunAs(t, d.Admin, "authenticated", tn.AgentClaims(), nil, `insert into contacts (tenant_id, name) values ($1, 'Nova')`, tn.ID)
		if allowed := !wrote.Denied(); allowed != (want > 0) {
			t.Errorf("%s: the agent adding a contact: %v", when, wrote)
		}
	}
	contacts := dbtest.RunAs(t, d.Admin, "authenticated", tn.AgentClaims(), nil, `select count(*) from contacts`).Rows
	if contacts == 0 {
		t.Fatal("the seeded tenant has no contacts to read")
	}
	reaches("in good standing", contacts)

	exec(`update auth.users set banned_until = now() + interval '1 day' where id = $1`, tn.AgentID)
	if got := callerRefusal(t, d, tn.AgentID); got != "banned" {
		t.Errorf("banned: refusal = %q", got)
	}
	reaches("banned", 0)
	exec(`update auth.users set banned_until = now() - interval '1 day' where id = $1`, tn.AgentID)
	if got := callerRefusal(t, d, tn.AgentID); got != "" {
		t.Errorf("ban expired: refusal = %q, want none", got)
	}
	reaches("ban expired", contacts)
	exec(`update auth.users set deleted_at = now() where id = $1`, tn.AgentID)
	if got := callerRefusal(t, d, tn.AgentID); got != "deleted" {
		t.Errorf("soft-deleted: refusal = %q", got)
	}
	reaches("soft-deleted", 0)
	if got := callerRefusal(t, d, uuid.New()); got != "deleted" {
		t.Errorf("no such account: refusal = %q", got)
	}
}

// callerRefusal is private.caller_refusal() as the user, "" when there is none.
func callerRefusal(t *testing.T, d *dbtest.Database, userID uuid.UUID) string {
	t.Helper()
	var refusal *string
	tx, err := d.Admin.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if err := tx.QueryRow(context.Background(), `
		select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, string(dbtest.Claims(userID))).Scan(new(string), new(string)); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(context.Background(), `select private.caller_refusal()`).Scan(&refusal); err != nil {
		t.Fatal(err)
	}
	if refusal == nil {
		return ""
	}
	return *refusal
}

// TestOwnersDemotingEachOtherKeepAnOwner: two owners demote each other at the same time.
// The second waits for the first and is then no owner any more, so it is refused: the
// tenant keeps an owner.
func TestOwnersDemotingEachOtherKeepAnOwner(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := context.Background()
	second := dbtest.CreateAuthUser(t, d, "socia@clinica-a.example",
		`{"tenant_id": "`+tn.ID.String()+`", "tenant_role": "owner"}`, `{}`)

	first, err := d.App.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	if _, err := first.Exec(ctx, `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, string(tn.OwnerClaims())); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Exec(ctx, `update users set role = 'admin' where id = $1`, second); err != nil {
		t.Fatalf("the first owner demotes the second: %v", err)
	}

	// The second owner's demotion of the first waits for the first transaction.
	done := make(chan error, 1)
	go func() {
		done <- d.App.AsCaller(ctx, dbtest.Claims(second), func(q *db.Queries) error {
			_, err := q.UserUpdateRole(ctx, db.UserUpdateRoleParams{TenantID: tn.ID, ID: tn.OwnerID, Role: db.UserRoleAdmin})
			return err
		})
	}()
	waitForLockWait(t, d)
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, db.ErrPermission) {
		t.Fatalf("the second owner's concurrent demotion: err = %v, want refused", err)
	}
	var owners int
	if err := d.Admin.QueryRow(ctx, `select count(*) from users where tenant_id = $1 and role = 'owner'`, tn.ID).Scan(&owners); err != nil || owners != 1 {
		t.Fatalf("owners = %d (%v), want 1", owners, err)
	}
}

// waitForLockWait waits until a session of the test database waits on a lock.
func waitForLockWait(t *testing.T, d *dbtest.Database) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var waiting bool
		err := d.Admin.QueryRow(context.Background(), `
			select exists (select from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock')`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no session waited on a lock")
}
