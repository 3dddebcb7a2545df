package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// citusPlanNode is the part of a Citus EXPLAIN's JSON this test reads: the distributed
// scan, its job's task count and any subplan Citus runs first.
type citusPlanNode struct {
	NodeType         string          `json:"Node Type"`
	Provider         string          `json:"Custom Plan Provider"`
	DistributedQuery *citusJob       `json:"Distributed Query"`
	Plans            []citusPlanNode `json:"Plans"`
}

type citusJob struct {
	Job struct {
		TaskCount int `json:"Task Count"`
	} `json:"Job"`
	Subplans []json.RawMessage `json:"Subplans"`
}

// TestCitusRoutesTenantQueriesToOneShard explains, on the distributed database, every
// generated query that takes tenant_id (sql/queries, as TestQueriesTakeTenantID reads
// them) with that tenant's id for every uuid parameter, and fails unless each
// distributed scan in its plan is one task of Citus's router (no subplan first): a
// tenant's request never fans out to every shard. Queries that only call a function
// have no distributed scan of their own and are listed.
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
	var routed, functionCalls []string
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
			var plan []struct{ Plan citusPlanNode }
			if err := conn.QueryRow(ctx, "explain (format json) "+execute).Scan(&plan); err != nil {
				t.Fatalf("explain: %v", err)
			}
			scans := 0
			plan[0].Plan.walk(func(n citusPlanNode) {
				if n.DistributedQuery == nil {
					return
				}
				scans++
				if n.DistributedQuery.Job.TaskCount != 1 {
					t.Errorf("%s: %d tasks, want 1 (router)", n.Provider, n.DistributedQuery.Job.TaskCount)
				}
				if len(n.DistributedQuery.Subplans) > 0 {
					t.Errorf("%d subplans run first on the coordinator, want none", len(n.DistributedQuery.Subplans))
				}
			})
			if scans == 0 {
				functionCalls = append(functionCalls, q.name)
				return
			}
			routed = append(routed, q.name)
		})
	}
	t.Logf("%d tenant-scoped queries routed to one shard; %d call a function and have no distributed scan: %s",
		len(routed), len(functionCalls), strings.Join(functionCalls, ", "))
	if len(routed) < 40 {
		t.Fatalf("only %d queries checked", len(routed))
	}
}

func (n citusPlanNode) walk(fn func(citusPlanNode)) {
	fn(n)
	for _, child := range n.Plans {
		child.walk(fn)
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
