package db_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// planVolume is a small platform: enough tenants that one tenant's rows are a sliver of
// each table, as in production, so that a missing index shows up as a sequential scan.
var planVolume = dbtest.Volume{
	Tenants: 1500, UsersPerTenant: 3, ContactsPerTenant: 60, ConversationsPerTenant: 30,
	MessagesPerConversation: 6, LeadsPerTenant: 20, CampaignsPerTenant: 2, EventsPerCampaign: 40,
	DocumentsPerTenant: 4, SettingsPerTenant: 5, InvitationsPerTenant: 2,
}

// globalKeyIndexes are the indexes a query may use without tenant_id leading: the keys
// of tenants itself and of users (the auth id), for the allowlisted lookups that find
// the tenant or the caller's profile.
var globalKeyIndexes = map[string]bool{
	"tenants_pkey": true, "tenants_slug_key": true, "tenants_custom_domain_verified_key": true, "users_pkey": true,
	// InvitationListForInvitee: the invitations addressed to the caller's email, in
	// whichever tenant sent them.
	"invitations_email_pending_idx": true,
	// ChannelAccountTenant: the tenant whose WhatsApp number Meta's webhook names.
	"channel_accounts_phone_number_id_key": true,
}

// TestQueryPlansUseTenantIndexes explains the generic plan of every generated query on a
// seeded, analyzed database and fails when any tenant table in it is read by a
// sequential scan or through an index that does not lead with tenant_id. Generic plans
// (PREPARE, plan_cache_mode = force_generic_plan, EXECUTE with NULLs) are what a
// long-lived connection runs, and need no invented parameter values. Plans are made as
// the superuser, without RLS, so that each query's own tenant_id filter must do the work.
func TestQueryPlansUseTenantIndexes(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	dbtest.SeedVolume(t, d, planVolume)
	ctx := context.Background()
	conn, err := d.Admin.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "set plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	tenantRelations := tenantRelationParents(t, d.Admin)
	indexLeaders := indexLeadingColumns(t, d.Admin)

	queries := generatedQueries(t)
	for i, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			statement := fmt.Sprintf("q%d", i)
			if _, err := conn.Exec(ctx, fmt.Sprintf("prepare %s as %s", statement, q.sql)); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			var params int
			if err := conn.QueryRow(ctx, "select coalesce(cardinality(parameter_types), 0) from pg_prepared_statements where name = $1", statement).Scan(&params); err != nil {
				t.Fatal(err)
			}
			execute := "execute " + statement
			if params > 0 {
				execute += "(" + strings.TrimSuffix(strings.Repeat("null, ", params), ", ") + ")"
			}
			var plan []struct{ Plan planNode }
			if err := conn.QueryRow(ctx, "explain (format json) "+execute).Scan(&plan); err != nil {
				t.Fatalf("explain: %v", err)
			}
			plan[0].Plan.walk(func(n planNode) {
				table, isTenant := tenantRelations[n.RelationName]
				if !isTenant || n.NodeType == "ModifyTable" {
					return
				}
				if n.NodeType == "Seq Scan" {
					t.Errorf("sequential scan on %s", table)
				}
			})
			plan[0].Plan.walk(func(n planNode) {
				if n.IndexName == "" || globalKeyIndexes[n.IndexName] {
					return
				}
				if leader, ok := indexLeaders[n.IndexName]; ok && leader != "tenant_id" {
					t.Errorf("index %s does not lead with tenant_id", n.IndexName)
				}
			})
		})
	}
	if len(queries) < 40 {
		t.Fatalf("found %d generated queries; the parser of db/*.gen.go is broken", len(queries))
	}
}

// TestMessagesOfOneTenantTouchOnePartition executes a conversation's message list and
// checks that exactly one partition of messages was read.
func TestMessagesOfOneTenantTouchOnePartition(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		t.Run(mode, func(t *testing.T) {
			tx, err := d.Admin.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "set local plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			// Prepared statements outlive the transaction: one name per mode.
			statement := "messages_page_" + mode
			if _, err := tx.Exec(ctx, "prepare "+statement+" as "+queryText(t, "MessageListByConversation")); err != nil {
				t.Fatal(err)
			}
			var plan []struct{ Plan planNode }
			explain := fmt.Sprintf("explain (analyze, format json) execute %s('%s', '%s', null, null, 50)", statement, tn.ID, tn.ConversationID)
			if err := tx.QueryRow(ctx, explain).Scan(&plan); err != nil {
				t.Fatal(err)
			}
			var scanned []string
			plan[0].Plan.walk(func(n planNode) {
				if strings.HasPrefix(n.RelationName, "messages_p") && n.ActualLoops > 0 {
					scanned = append(scanned, n.RelationName)
				}
			})
			if len(scanned) != 1 {
				t.Fatalf("partitions read: %v, want exactly one", scanned)
			}
		})
	}
}

// planNode is the part of EXPLAIN's JSON these tests read.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	ActualLoops  float64    `json:"Actual Loops"`
	Plans        []planNode `json:"Plans"`
}

// walk calls fn for n and every node below it, init plans and sub plans included.
func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, child := range n.Plans {
		child.walk(fn)
	}
}

// tenantRelationParents maps every table of public and every partition to the name of
// the table it belongs to.
func tenantRelationParents(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	parents := map[string]string{}
	for _, row := range catalogueRows(t, pool, `
		select c.relname || ' ' || coalesce((select p.relname from pg_inherits i join pg_class p on p.oid = i.inhparent where i.inhrelid = c.oid), c.relname)
		from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')`) {
		relation, parent, _ := strings.Cut(row, " ")
		parents[relation] = parent
	}
	return parents
}

// indexLeadingColumns maps every index of public (partitions' included) to its first
// column.
func indexLeadingColumns(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	leaders := map[string]string{}
	for _, row := range catalogueRows(t, pool, `
		select ci.relname || ' ' || coalesce(a.attname, '(expression)')
		from pg_index i
			join pg_class ci on ci.oid = i.indexrelid
			left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
		where ci.relnamespace = 'public'::regnamespace`) {
		index, column, _ := strings.Cut(row, " ")
		leaders[index] = column
	}
	return leaders
}

// generatedQuery is one query as sqlc compiled it into db/*.gen.go.
type generatedQuery struct{ name, sql string }

var queryNameLine = regexp.MustCompile(`^-- name: (\w+) :\w+`)

// generatedQueries reads the query constants that sqlc wrote into db/*.gen.go.
func generatedQueries(t *testing.T) []generatedQuery {
	t.Helper()
	files, err := filepath.Glob("*.sql.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var queries []generatedQuery
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			lit, ok := node.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			if m := queryNameLine.FindStringSubmatch(text); m != nil {
				queries = append(queries, generatedQuery{name: m[1], sql: text})
			}
			return true
		})
	}
	return queries
}

// queryText returns the compiled SQL of the named query.
func queryText(t *testing.T, name string) string {
	t.Helper()
	for _, q := range generatedQueries(t) {
		if q.name == name {
			return q.sql
		}
	}
	t.Fatalf("no generated query %s", name)
	return ""
}
