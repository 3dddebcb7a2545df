package legacy_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/atende/atende/legacy/legacytest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

const sampleFile = "testdata/sample_v15.db"

// legacyRows are rows of one V1.5 table, to write into a test file.
type legacyRows struct {
	table, cols string
	rows        [][]any
}

// writeLegacyFile writes tables to a new V1.5 file named name; prepare may rewrite each
// row's values before they are inserted.
func writeLegacyFile(t *testing.T, name string, tables []legacyRows, prepare func(table string, values []any) []any) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), name)
	file, err := legacytest.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, table := range tables {
		marks := strings.TrimSuffix(strings.Repeat("?, ", strings.Count(table.cols, ",")+1), ", ")
		for _, row := range table.rows {
			values := prepare(table.table, slices.Clone(row))
			if _, err := file.ExecContext(ctx, "INSERT INTO "+table.table+" ("+table.cols+") VALUES ("+marks+")", values...); err != nil {
				t.Fatalf("insert %s %v: %v", table.table, row[0], err)
			}
		}
	}
	return path
}

// rowID is the documented id scheme (a UUIDv5 of "<table>:<id>" in the tenant's
// namespace), computed here independently of the importer.
func rowID(tenantID uuid.UUID, table string, legacyID int) uuid.UUID {
	return uuid.NewSHA1(tenantID, []byte(table+":"+strconv.Itoa(legacyID)))
}

// mustImport runs an import that must land (or, dry, would land).
func mustImport(t *testing.T, pool *pgxpool.Pool, opts legacy.Options) *legacy.Report {
	t.Helper()
	report, err := legacy.Import(context.Background(), pool, opts)
	if err != nil {
		t.Fatalf("import %s into %s: %v", opts.File, opts.TenantSlug, err)
	}
	return report
}

// createTenant inserts a bare tenant and returns its id.
func createTenant(t *testing.T, d *dbtest.Database, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := d.Admin.QueryRow(context.Background(), "insert into tenants (name, slug) values ($1, $1) returning id", slug).Scan(&id); err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return id
}

// tenantTables are the tables a tenant's rows live in, each with the condition that
// selects one tenant's rows ($1).
var tenantTables = map[string]string{
	"public.users":               "tenant_id = $1",
	"public.contacts":            "tenant_id = $1",
	"public.leads_pipeline":      "tenant_id = $1",
	"public.conversations":       "tenant_id = $1",
	"public.messages":            "tenant_id = $1",
	"public.campaigns":           "tenant_id = $1",
	"public.campaign_events":     "tenant_id = $1",
	"public.ai_config":           "tenant_id = $1",
	"public.knowledge_documents": "tenant_id = $1",
	"public.system_settings":     "tenant_id = $1",
	"public.invitations":         "tenant_id = $1",
	"public.tenant_secrets":      "tenant_id = $1",
	"public.tenants":             "id = $1",
	"auth.users":                 "raw_app_meta_data ->> 'tenant_id' = $1::text",
	"auth.identities":            "user_id in (select id from auth.users where raw_app_meta_data ->> 'tenant_id' = $1::text)",
	// What the imports left to compare later runs with.
	"private.legacy_imports":             "tenant_id = $1",
	"private.legacy_import_fingerprints": "tenant_id = $1",
}

// snapshot is every row of the tenant, as text: two equal snapshots mean nothing changed.
func snapshot(t *testing.T, d *dbtest.Database, tenantID uuid.UUID) map[string]string {
	t.Helper()
	snap := map[string]string{}
	for table, where := range tenantTables {
		var rows string
		query := "select coalesce(string_agg(t::text, E'\\n' order by t::text), '') from " + table + " t where " + where
		if err := d.Admin.QueryRow(context.Background(), query, tenantID).Scan(&rows); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		snap[table] = rows
	}
	return snap
}

// countAll counts the rows of every tenant table, all tenants together.
func countAll(t *testing.T, d *dbtest.Database) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for table := range tenantTables {
		var n int
		if err := d.Admin.QueryRow(context.Background(), "select count(*) from "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

// openLegacy opens a V1.5 file to derive a test's expectations from it.
func openLegacy(t *testing.T, path string) *sql.DB {
	t.Helper()
	file, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	return file
}

// noteIDs lists the legacy ids of report notes.
func noteIDs(notes []legacy.RowNote) []string {
	ids := make([]string, len(notes))
	for i, n := range notes {
		ids[i] = n.LegacyID
	}
	return ids
}

// findNote returns the reason of legacy id's note, "" when there is none.
func findNote(notes []legacy.RowNote, legacyID string, contains string) string {
	for _, n := range notes {
		if n.LegacyID == legacyID && strings.Contains(n.Reason, contains) {
			return n.Reason
		}
	}
	return ""
}

// expectNoOpRerun checks the report of a re-run of an unchanged file: the rules say what
// they said the first time, and every imported row is unchanged — "0 new, 0 updated".
func expectNoOpRerun(t *testing.T, first, again *legacy.Report) {
	t.Helper()
	rules := func(r *legacy.Report) string {
		var tables []legacy.TableReport
		for _, tr := range r.Tables {
			tables = append(tables, legacy.TableReport{Table: tr.Table, Read: tr.Read, Imported: tr.Imported, Merged: tr.Merged,
				Rejected: tr.Rejected, Changed: tr.Changed, MergedRows: tr.MergedRows, RejectedRows: tr.RejectedRows, ChangedRows: tr.ChangedRows})
		}
		doc, _ := json.Marshal(tables)
		return string(doc)
	}
	if a, b := rules(first), rules(again); a != b {
		t.Errorf("the re-run's rules report otherwise:\n%s\n%s", a, b)
	}
	for _, tr := range again.Tables {
		if tr.Unchanged != tr.Imported || tr.New+tr.Updated+tr.Conflicts+tr.Pending+tr.DeletedInV15 != 0 {
			t.Errorf("re-run %s: %s, of %d imported; want all unchanged", tr.Table, tr.Summary(), tr.Imported)
		}
	}
	if total := again.Totals(); !strings.HasPrefix(total.Summary(), "0 new, 0 updated, ") {
		t.Errorf("re-run: %q, want 0 new, 0 updated", total.Summary())
	}
}

// execSQL runs a statement on the test's database as its owner (as V1.6 would write).
func execSQL(t *testing.T, d *dbtest.Database, query string, args ...any) {
	t.Helper()
	if _, err := d.Admin.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// scanRow reads one row of the test's database into dest.
func scanRow(t *testing.T, d *dbtest.Database, query string, args []any, dest ...any) {
	t.Helper()
	if err := d.Admin.QueryRow(context.Background(), query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
