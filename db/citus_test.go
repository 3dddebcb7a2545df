package db_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// taskCounts walks a Citus EXPLAIN's JSON and returns the task count of every
// distributed job in it, those of the subplans Citus runs first included.
func taskCounts(node any) []int {
	var counts []int
	switch n := node.(type) {
	case map[string]any:
		for key, value := range n {
			if count, ok := value.(float64); ok && key == "Task Count" {
				counts = append(counts, int(count))
			}
			counts = append(counts, taskCounts(value)...)
		}
	case []any:
		for _, value := range n {
			counts = append(counts, taskCounts(value)...)
		}
	}
	return counts
}

// TestCitusRoutesTenantQueriesToOneShard explains, on the distributed database, every
// generated query that takes tenant_id (sql/queries, as TestQueriesTakeTenantID reads
// them) with that tenant's id for every uuid parameter, and fails unless every
// distributed job in its plan is one task of Citus's router — the query's own and those
// of the writing CTEs Citus runs first, each on the tenant's shard: a tenant's request
// never fans out to every shard. Queries that only call a function have no distributed
// job of their own and are listed.
func TestCitusRoutesTenantQueriesToOneShard(t *testing.T) {
	dbtest.RequireCitus(t)
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()
	conn, err := d.Admin.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	scoped := tenantScopedQueries(t)
	var routed, functionCalls, steps []string
	for i, q := range generatedQueries(t) {
		if !scoped[q.name] {
			continue
		}
		t.Run(q.name, func(t *testing.T) {
			statement := fmt.Sprintf("q%d", i)
			if _, err := conn.Exec(ctx, fmt.Sprintf("prepare %s as %s", statement, q.sql)); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			var types []string
			if err := conn.QueryRow(ctx, "select coalesce(parameter_types::text[], '{}') from pg_prepared_statements where name = $1", statement).Scan(&types); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(types))
			for j, typ := range types {
				args[j] = "null"
				if typ == "uuid" {
					args[j] = "'" + tn.ID.String() + "'"
				}
			}
			execute := "execute " + statement
			if len(args) > 0 {
				execute += "(" + strings.Join(args, ", ") + ")"
			}
			var plan any
			if err := conn.QueryRow(ctx, "explain (format json) "+execute).Scan(&plan); err != nil {
				t.Fatalf("explain: %v", err)
			}
			counts := taskCounts(plan)
			for _, count := range counts {
				if count != 1 {
					t.Errorf("a distributed job of %d tasks, want 1 (router): %v", count, counts)
				}
			}
			if len(counts) == 0 {
				functionCalls = append(functionCalls, q.name)
				return
			}
			if len(counts) > 1 {
				steps = append(steps, fmt.Sprintf("%s (%d)", q.name, len(counts)))
			}
			routed = append(routed, q.name)
		})
	}
	t.Logf("%d tenant-scoped queries routed to the tenant's shard, %d of them in several one-task steps (writing CTEs): %s",
		len(routed), len(steps), strings.Join(steps, ", "))
	t.Logf("%d call a function and have no distributed scan of their own: %s", len(functionCalls), strings.Join(functionCalls, ", "))
	if len(routed) < 40 {
		t.Fatalf("only %d queries checked", len(routed))
	}
}

// tenantScopedQueries names the queries of sql/queries that take tenant_id.
func tenantScopedQueries(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../sql/queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files found (%v)", err)
	}
	scoped := map[string]bool{}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range splitQueries(string(text)) {
			scoped[name] = tenantIDParam.MatchString(body)
		}
	}
	return scoped
}

// TestCitusSupabaseClientsFailClosed acts as PostgREST, supabase-js and Realtime do,
// with the role and the claims set by set_config alone, which Citus does not carry to
// the workers: the member's own tenant's distributed rows are then out of reach there,
// for reads and for writes, rather than exposed (docs/scaling.md, section 1). On the
// workers the policies find no caller memo and fall back to auth.users, which only the
// coordinator has: the statement fails. The same caller through the backend's switch
// (private.share_caller) sees the rows.
func TestCitusSupabaseClientsFailClosed(t *testing.T) {
	dbtest.RequireCitus(t)
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	for _, statement := range []string{
		`select count(*) from contacts where tenant_id = $1`,
		`insert into contacts (tenant_id, name) values ($1, 'Nova')`,
		`update contacts set name = 'Outra' where tenant_id = $1`,
		`delete from contacts where tenant_id = $1`,
	} {
		got := dbtest.RunAsSupabaseClient(t, d.Admin, tn.OwnerClaims(), statement, tn.ID)
		if got.Err == nil && got.Rows != 0 {
			t.Errorf("%s as a Supabase client: %v, want an error or none", statement, got)
		}
		t.Logf("%s: %v", statement, got)
	}
	if got := dbtest.RunAs(t, d.Admin, "authenticated", tn.OwnerClaims(), nil, `select count(*) from contacts where tenant_id = $1`, tn.ID); got.Err != nil || got.Rows != 2 {
		t.Errorf("the owner's contacts through the backend's switch: %v, want 2 rows", got)
	}
}
