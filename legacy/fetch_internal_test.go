package legacy

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// A later run reads from PostgreSQL only the rows that changed in V1.5: the others are
// compared with their fingerprints alone.
func TestUnchangedRowsAreNotRead(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	data, err := os.ReadFile("testdata/sample_v15.db")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "v15.db")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(sync bool) *Report {
		t.Helper()
		report, err := Import(ctx, d.Admin, Options{File: file, TenantSlug: "clinica", CreateTenant: true, TenantName: "Clínica", Sync: sync})
		if err != nil {
			t.Fatal(err)
		}
		return report
	}
	run(false)
	if again := run(true); again.fetched != 0 {
		t.Errorf("a re-run of the same file read %d of the tenant's rows, want none", again.fetched)
	}

	legacyFile, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	for _, change := range []string{
		"UPDATE contacts SET name = 'Outro Nome' WHERE id = 3",
		"UPDATE messages SET status = 'read' WHERE id = (SELECT min(id) FROM messages WHERE status = 'sent')",
	} {
		if _, err := legacyFile.Exec(change); err != nil {
			t.Fatal(err)
		}
	}
	legacyFile.Close()
	// The contact: read, rewritten, read back; the message: read, rewritten (its
	// update's one rule, the status's, needs no reading back).
	if synced := run(true); synced.fetched != 3 || synced.Totals().Updated != 2 {
		t.Errorf("the sync of two changed rows read %d of the tenant's rows (%s), want 3", synced.fetched, synced.Totals().Summary())
	}
}
