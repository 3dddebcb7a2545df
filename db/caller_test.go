package db_test

import (
	"context"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// TestCallerMemo: the policies' helpers remember the caller for the transaction
// (migration 00028), and a change to users or tenants in the transaction, or another
// caller's claims, is seen by the next statement as before.
func TestCallerMemo(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := t.Context()
	tx, err := d.App.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	become := func(role string, claims []byte) {
		t.Helper()
		if _, err := tx.Exec(ctx, "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", role, string(claims)); err != nil {
			t.Fatal(err)
		}
	}
	caller := func() (tenant, role string) {
		t.Helper()
		if err := tx.QueryRow(ctx, "select coalesce(private.current_tenant_id()::text, ''), coalesce(private.current_user_role()::text, '')").Scan(&tenant, &role); err != nil {
			t.Fatal(err)
		}
		return tenant, role
	}
	expect := func(what, wantTenant, wantRole string) {
		t.Helper()
		if tenant, role := caller(); tenant != wantTenant || role != wantRole {
			t.Errorf("%s: caller (%q, %q), want (%q, %q)", what, tenant, role, wantTenant, wantRole)
		}
	}

	become("authenticated", tn.OwnerClaims())
	expect("the owner", tn.ID.String(), "owner")
	expect("the owner again, remembered", tn.ID.String(), "owner")
	become("authenticated", tn.AgentClaims())
	expect("another caller in the same transaction", tn.ID.String(), "agent")

	become("service_role", nil)
	expect("the service role, with no claims", "", "")
	if _, err := tx.Exec(ctx, "update users set role = 'admin' where id = $1", tn.AgentID); err != nil {
		t.Fatal(err)
	}
	become("authenticated", tn.AgentClaims())
	expect("after the caller's role changed in the transaction", tn.ID.String(), "admin")

	become("service_role", nil)
	if _, err := tx.Exec(ctx, "update tenants set status = 'suspended' where id = $1", tn.ID); err != nil {
		t.Fatal(err)
	}
	become("authenticated", tn.AgentClaims())
	expect("after the tenant was suspended in the transaction", "", "admin")
	var visible int
	if err := tx.QueryRow(ctx, "select count(*) from contacts").Scan(&visible); err != nil || visible != 0 {
		t.Errorf("contacts of a suspended tenant: %d (err %v), want none", visible, err)
	}
}
