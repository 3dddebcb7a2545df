package legacy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
)

// The importer reads files from customers: a file is untrusted. These tests build
// hostile V1.5 files: tables replaced by views, virtual tables or generated columns, and
// cells or tables over the limits.

// zeroblobValue is what the hostile views and generated columns compute: 60 MB of text
// from a file of 64 KiB.
const zeroblobValue = "hex(zeroblob(30000000))"

// writeHostileFile writes a V1.5 file with the schema and no rows, then runs alter,
// which replaces parts of the schema.
func writeHostileFile(t *testing.T, alter string) string {
	t.Helper()
	path := writeLegacyFile(t, "hostile.db", nil, nil)
	file, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.ExecContext(context.Background(), alter); err != nil {
		t.Fatalf("alter the schema: %v", err)
	}
	return path
}

// dryRun is a dry run into a new tenant.
func dryRun(file string) legacy.Options {
	return legacy.Options{File: file, TenantSlug: "hostile", CreateTenant: true, TenantName: "Hostile", DryRun: true}
}

// expectRefused asserts that err refuses the file with a message containing want, and
// that nothing was reported (nothing was planned).
func expectRefused(t *testing.T, report *legacy.Report, err error, want string) {
	t.Helper()
	if !errors.Is(err, legacy.ErrRefusedFile) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want ErrRefusedFile saying %q", err, want)
	}
	if report != nil {
		t.Errorf("a refused file was planned: %+v", report.Totals())
	}
}

func TestTablesThatAreNotStoredAreRefused(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	before := countAll(t, d)
	for i, tc := range []struct {
		name, alter string
		want        string
	}{{
		name: "a view computing 60 MB",
		alter: `DROP TABLE knowledge_documents;
			CREATE VIEW knowledge_documents (id, title, content, source_url, tags, created_at, updated_at) AS
				SELECT 1, 'Manual', ` + zeroblobValue + `, NULL, NULL, NULL, NULL`,
		want: "file refused: knowledge_documents is a view, not a plain table",
	}, {
		// Without end: reading it (ORDER BY id) would sort for ever, in temporary files.
		name: "a recursive view",
		alter: `DROP TABLE messages;
			CREATE VIEW messages AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
				SELECT i AS id, 1 AS conversation_id, 'inbound' AS direction, 'contact' AS sender_type,
					NULL AS sender_user_id, 'oi' AS content, NULL AS media_url, NULL AS status,
					NULL AS external_id, '2024-01-01 00:00:00' AS created_at
				FROM n`,
		want: "file refused: messages is a view, not a plain table",
	}, {
		name: "a virtual table",
		alter: `DROP TABLE knowledge_documents;
			CREATE VIRTUAL TABLE knowledge_documents USING fts5(id, title, content, source_url, tags, created_at, updated_at)`,
		want: "file refused: knowledge_documents is a virtual table, not a plain table",
	}, {
		name: "a virtual generated column computing 60 MB",
		alter: `DROP TABLE knowledge_documents;
			CREATE TABLE knowledge_documents (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(255) NOT NULL,
				content TEXT GENERATED ALWAYS AS (` + zeroblobValue + `) VIRTUAL,
				source_url TEXT, tags TEXT, created_at DATETIME, updated_at DATETIME);
			INSERT INTO knowledge_documents (id, title) VALUES (1, 'Manual')`,
		want: "file refused: column content of knowledge_documents is generated (GENERATED ALWAYS AS ...), not stored as written",
	}, {
		name: "a stored generated column",
		alter: `DROP TABLE contacts;
			CREATE TABLE contacts (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255),
				phone VARCHAR(32) GENERATED ALWAYS AS ('+55 11 9' || id) STORED,
				email VARCHAR(255), tags TEXT, custom_fields TEXT, created_at DATETIME, updated_at DATETIME)`,
		want: "file refused: column phone of contacts is generated",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := writeHostileFile(t, tc.alter)
			// Refused before a row is read: the deadline only stops a regression that
			// would read the recursive view without end.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			opts := dryRun(file)
			opts.TenantSlug = fmt.Sprintf("hostile-%d", i)
			report, err := legacy.Import(ctx, d.Admin, opts)
			expectRefused(t, report, err, tc.want)
		})
	}
	t.Cleanup(func() {
		if after := countAll(t, d); !maps.Equal(before, after) {
			t.Errorf("a refused file wrote: %v -> %v", before, after)
		}
	})
}

func TestMissingTableIsNotAV15File(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	file := writeHostileFile(t, "DROP TABLE campaign_events")
	_, err := legacy.Import(context.Background(), d.Admin, dryRun(file))
	// As before the file was untrusted: a format error, not a refusal.
	if err == nil || !strings.Contains(err.Error(), "not a V1.5 file") || !strings.Contains(err.Error(), "campaign_events") || errors.Is(err, legacy.ErrRefusedFile) {
		t.Fatalf("err = %v, want not a V1.5 file naming campaign_events", err)
	}
}

// TestViewIsRefusedInBoundedMemory measures the memory a dry run of the 60 MB view
// takes (before the view was refused: 115 MB allocated in Go, 430 MB peak RSS). It does
// not run in parallel, so that no other test allocates meanwhile.
func TestViewIsRefusedInBoundedMemory(t *testing.T) {
	file := writeHostileFile(t, `DROP TABLE knowledge_documents;
		CREATE VIEW knowledge_documents (id, title, content, source_url, tags, created_at, updated_at) AS
			SELECT 1, 'Manual', `+zeroblobValue+`, NULL, NULL, NULL, NULL`)
	d := dbtest.New(t)

	// TotalAlloc counts every byte the attempt allocates in Go, whenever the GC runs;
	// the peak RSS also counts SQLite's memory (modernc's C heap is not Go's).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rss, peakOK := resetPeakRSS(t)
	report, err := legacy.Import(context.Background(), d.Admin, dryRun(file))
	runtime.ReadMemStats(&after)
	peak := peakRSS(t)

	const mib = 1 << 20
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MiB in Go", float64(allocated)/mib)
	if allocated > 8*mib {
		t.Errorf("the refused view allocated %.1f MiB in Go, want under 8 MiB (the view makes 60 MB)", float64(allocated)/mib)
	}
	if peakOK {
		t.Logf("peak RSS grew %.1f MiB", float64(peak-rss)/mib)
		if peak-rss > 32*mib {
			t.Errorf("peak RSS grew %.1f MiB, want under 32 MiB (the view makes 60 MB)", float64(peak-rss)/mib)
		}
	}
	expectRefused(t, report, err, "knowledge_documents is a view")
}

// resetPeakRSS resets the process's peak resident size to the current one and returns
// it, on Linux (writing 5 to clear_refs resets VmHWM); ok is false where it cannot.
func resetPeakRSS(t *testing.T) (rss uint64, ok bool) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("peak RSS not measured: %v", err)
		return 0, false
	}
	return procStatus(t, "VmRSS"), true
}

func peakRSS(t *testing.T) uint64 { return procStatus(t, "VmHWM") }

// procStatus reads a size in /proc/self/status, in bytes; 0 where there is none.
func procStatus(t *testing.T, field string) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return kb << 10
		}
	}
	return 0
}

// limitRows is a small V1.5 file whose every row imports: only the limits can fail it.
var limitRows = []legacyRows{
	{"contacts", "id, name, phone, email, tags, custom_fields, created_at, updated_at", [][]any{
		{1, "Paula", "+55 21 99999-1111", nil, "", "", "2024-01-01 00:00:00", nil},
		{2, "Rui", "+55 21 99999-2222", nil, "", "", "2024-01-01 00:00:00", nil},
		{3, "Sara", "+55 21 99999-3333", nil, "", "", "2024-01-01 00:00:00", nil},
	}},
	{"conversations", "id, contact_id, channel, status, assigned_user_id, ai_enabled, last_message_at, created_at", [][]any{
		{1, 1, "whatsapp", "open", nil, 1, nil, "2024-01-10 08:00:00"},
	}},
	{"messages", "id, conversation_id, direction, sender_type, sender_user_id, content, media_url, status, external_id, created_at", [][]any{
		{1, 1, "inbound", "contact", nil, "oi", nil, nil, "wamid.L1", "2024-01-10 10:00:00"},
		{2, 1, "inbound", "contact", nil, "tudo bem?", nil, nil, "wamid.L2", "2024-01-10 10:01:00"},
		{3, 1, "inbound", "contact", nil, "olá", nil, nil, "wamid.L3", "2024-01-10 10:02:00"},
	}},
	{"knowledge_documents", "id, title, content, source_url, tags, created_at, updated_at", [][]any{
		{1, "Preços", "Limpeza: R$ 200", nil, "", "2024-01-01 00:00:00", nil},
	}},
	{"system_settings", "key, value, updated_at", [][]any{
		{"clinic_name", `"Clínica"`, nil},
	}},
}

// withRows returns limitRows with more rows in table.
func withRows(table string, extra ...[]any) []legacyRows {
	tables := make([]legacyRows, len(limitRows))
	for i, lr := range limitRows {
		tables[i] = legacyRows{lr.table, lr.cols, append([][]any(nil), lr.rows...)}
		if lr.table == table {
			tables[i].rows = append(tables[i].rows, extra...)
		}
	}
	return tables
}

// moreMessages are messages 4 to 603 of conversation 1: more than the 512 rows the
// reader hands over at once, so that a row after them fails the import while rows are
// in the COPY already.
func moreMessages() [][]any {
	var rows [][]any
	for id := 4; id <= 603; id++ {
		rows = append(rows, []any{id, 1, "inbound", "contact", nil, "msg", nil, nil, nil, "2024-01-10 10:03:00"})
	}
	return rows
}

func TestOversizeCellIsRefused(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	const limit = 4096
	// One byte over: 4096 bytes of text, a 2-byte "ç" among them.
	over := "ç" + strings.Repeat("x", limit-1)
	for i, tc := range []struct {
		name, table string
		rows        [][]any
		want        string
	}{{
		name: "a document (read into memory)", table: "knowledge_documents",
		rows: [][]any{{2, "Manual", over, nil, "", "2024-01-01 00:00:00", nil}},
		want: "read knowledge_documents: file refused: row 2, column content: 4097 bytes, over the limit of 4096 bytes per cell",
	}, {
		// Streamed while it is copied: 512 messages are in the COPY already, and the
		// import fails all the same.
		name: "a message (streamed into COPY)", table: "messages",
		rows: append(moreMessages(), []any{604, 1, "inbound", "contact", nil, "oi", over, nil, nil, "2024-01-10 10:04:00"}),
		want: "copy public.messages: read messages: file refused: row 604, column media_url: 4097 bytes, over the limit of 4096 bytes per cell",
	}, {
		name: "a blob in a setting", table: "system_settings",
		rows: [][]any{{"logo", []byte(over), nil}},
		want: `read system_settings: file refused: row key "logo", column value: 4097 bytes, over the limit of 4096 bytes per cell`,
	}, {
		// "ç..." sorts after "clinic_name".
		name: "a key", table: "system_settings",
		rows: [][]any{{over, "1", nil}},
		want: "read system_settings: file refused: row 2 in key order, column key: 4097 bytes, over the limit of 4096 bytes per cell",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := writeLegacyFile(t, "oversize.db", withRows(tc.table, tc.rows...), func(_ string, values []any) []any { return values })
			// A real import, not a dry run: nothing may land, not even the tenant.
			slug := fmt.Sprintf("oversize-%d", i)
			copied := 0
			opts := legacy.Options{File: file, TenantSlug: slug, CreateTenant: true, TenantName: "Oversize", MaxCellBytes: limit,
				ProgressEvery: 100, Progress: func(table string, rows int) {
					if table == "messages" {
						copied = rows
					}
				}}
			report, err := legacy.Import(context.Background(), d.Admin, opts)
			if !errors.Is(err, legacy.ErrRefusedFile) || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			if tc.table == "messages" && copied < 500 {
				t.Errorf("%d messages were in the COPY when the oversize one was read, want 500 or more", copied)
			}
			if report != nil && report.Landed {
				t.Error("the report says the import landed")
			}
			var tenants int
			if err := d.Admin.QueryRow(context.Background(), "select count(*) from tenants where slug = $1", slug).Scan(&tenants); err != nil || tenants != 0 {
				t.Errorf("tenant %s: %d rows, %v: the failed import landed", slug, tenants, err)
			}
		})
	}
}

func TestTableOverTheRowLimitIsRefused(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	file := writeLegacyFile(t, "rows.db", limitRows, func(_ string, values []any) []any { return values })
	for _, tc := range []struct {
		name string
		opts func(*legacy.Options)
		want string
	}{
		{"contacts over MaxRows", func(o *legacy.Options) { o.MaxRows = 2 }, "file refused: contacts has 3 rows, over the limit of 2 rows"},
		{"messages over MaxMessages", func(o *legacy.Options) { o.MaxMessages = 2 }, "file refused: messages has 3 rows, over the limit of 2 rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := dryRun(file)
			tc.opts(&opts)
			report, err := legacy.Import(context.Background(), d.Admin, opts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			expectRefused(t, report, err, tc.want)
		})
	}
}

func TestFileAtTheLimitsImports(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	// The longest cell: message 4's media, exactly at the limit.
	atLimit := strings.Repeat("m", 4096)
	file := writeLegacyFile(t, "limits.db",
		withRows("messages", []any{4, 1, "inbound", "contact", nil, "foto", atLimit, nil, "wamid.L4", "2024-01-10 10:03:00"}),
		func(_ string, values []any) []any { return values })
	opts := legacy.Options{File: file, TenantSlug: "limits", CreateTenant: true, TenantName: "Limits",
		MaxCellBytes: 4096, MaxRows: 3, MaxMessages: 4}
	report := mustImport(t, d.Admin, opts)
	if !report.Landed {
		t.Fatal("the import did not land")
	}
	for table, want := range map[string]int{"contacts": 3, "conversations": 1, "messages": 4, "knowledge_documents": 1, "system_settings": 1} {
		if tr := report.Table(table); tr.Read != want || tr.Imported != want {
			t.Errorf("%s: read %d, imported %d; want %d", table, tr.Read, tr.Imported, want)
		}
	}
	var url string
	if err := d.Admin.QueryRow(context.Background(), "select media ->> 'url' from messages where tenant_id = $1 and id = $2",
		report.TenantID, rowID(report.TenantID, "messages", 4)).Scan(&url); err != nil || url != atLimit {
		t.Errorf("message 4's media: %d bytes, %v; want the %d bytes whole", len(url), err, len(atLimit))
	}
}
