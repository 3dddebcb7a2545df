package legacy

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/atende/atende/legacy/legacytest"
)

// checkTable refuses a table over the row limit before it is read; scanRows holds the
// limit by itself too (should the file change in between), naming the row past it.
func TestScanStopsAtTheRowLimit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rows.db")
	file, err := legacytest.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.ExecContext(ctx, "INSERT INTO contacts (id, name) VALUES (1, 'a'), (5, 'b'), (9, 'c')"); err != nil {
		t.Fatal(err)
	}
	file.Close()

	f, err := openFile(ctx, path, limits{cellBytes: 100, messages: 3, rows: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, err := f.readTable(ctx, contactsTable); err != nil || len(rows) != 3 {
		t.Fatalf("read at the limit: %d rows, %v", len(rows), err)
	}
	f.limits.rows = 2
	_, err = f.readTable(ctx, contactsTable)
	const want = "file refused: contacts has more than 2 rows, the limit (row 9 is one too many)"
	if !errors.Is(err, ErrRefusedFile) || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
