package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// ownRowUpdates are the updates the isolation probe makes where setting a column to itself
// is not a write a member may make, with the one that is.
var ownRowUpdates = map[string]string{
	// Members revoke pending invitations; nothing else of an invitation changes.
	"invitations": "revoked_at = now()",
}

// TestRLSIsolatesEveryTable drives every table of public, read from the catalogue, as the
// owner of tenant A (the most privileged member): A's rows can be read, inserted, updated
// and deleted wherever a grant and a policy allow that command; tenant B's rows can never
// be seen, changed, deleted or created, and no row of A can be moved into B.
func TestRLSIsolatesEveryTable(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	b := dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()

	for _, table := range tenantTables(t, d.Admin) {
		t.Run(table.Name, func(t *testing.T) {
			p := dbtest.NewTableProbe(t, d.Admin, table, a.OwnerClaims())
			own := p.SampleRow(a.ID, a.OwnerID)
			other := p.SampleRow(b.ID, a.OwnerID)

			for _, cmd := range []string{"select", "update", "delete", "insert"} {
				allowed := p.Allows(cmd)
				got := p.Run(cmd, own, ownRowUpdates[table.Name])
				if allowed && (got.Err != nil || got.Rows != 1) {
					t.Errorf("%s own row: got %v, want 1 row (a grant and a policy allow it)", cmd, got)
				}
				if !allowed && !got.Denied() {
					t.Errorf("%s own row: got %v, want denied (no grant or no policy for it)", cmd, got)
				}
				if got := p.Run(cmd, other, ownRowUpdates[table.Name]); !got.Denied() {
					t.Errorf("%s tenant B's row as tenant A: got %v, want denied", cmd, got)
				}
			}
			if got := p.RunSQL(fmt.Sprintf("select count(*) from public.%s where %s <> $1", table.Name, table.TenantColumn), nil, a.ID); !got.Denied() {
				t.Errorf("rows of other tenants visible: %v", got)
			}
			// Citus refuses outright to change a row's distribution column (0A000).
			if got := p.Move(own, b.ID); !got.Denied() && !(dbtest.OnCitus() && dbtest.SQLState(got.Err) == "0A000") {
				t.Errorf("moving A's row into tenant B: got %v, want denied", got)
			}
		})
	}

	// Clients with no session, and the backend's login role before it switches role.
	partitions := catalogueRows(t, d.Admin, `
		select relname::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and relispartition`)
	for _, partition := range partitions {
		t.Run("authenticated/"+partition, func(t *testing.T) {
			count := fmt.Sprintf("select count(*) from public.%s", partition)
			if got := dbtest.RunAs(t, d.Admin, "authenticated", a.OwnerClaims(), nil, count); !got.Denied() {
				t.Errorf("partition read directly, not through its parent: got %v, want denied", got)
			}
		})
	}
	relations := catalogueRows(t, d.Admin, `
		select relname::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')`)
	for _, relation := range relations {
		count := fmt.Sprintf("select count(*) from public.%s", relation)
		t.Run("anon/"+relation, func(t *testing.T) {
			if got := dbtest.RunAs(t, d.Admin, "anon", nil, nil, count); !got.Denied() {
				t.Errorf("anon: got %v, want nothing", got)
			}
		})
		t.Run("atende_app/"+relation, func(t *testing.T) {
			err := d.App.Pool.QueryRow(ctx, count).Scan(new(int64))
			if dbtest.SQLState(err) != "42501" {
				t.Errorf("atende_app without switching role: err = %v, want permission denied", err)
			}
		})
	}
	// atende_app may name the objects of schema private (see migration 00025) but use none.
	usable := catalogueRows(t, d.Admin, `
		select c.oid::regclass::text from pg_class c
		where c.relnamespace = 'private'::regnamespace and case
		  when c.relkind = 'S' then has_sequence_privilege('atende_app', c.oid, 'usage, select, update')
		  when c.relkind in ('r', 'p', 'v', 'm') then
		    has_table_privilege('atende_app', c.oid, 'select, insert, update, delete, truncate, references, trigger')
		  else false end
		union all
		select p.oid::regprocedure::text from pg_proc p
		where p.pronamespace = 'private'::regnamespace and has_function_privilege('atende_app', p.oid, 'execute')`)
	if len(usable) > 0 {
		t.Errorf("atende_app can use objects of schema private without switching role: %v", usable)
	}
}
