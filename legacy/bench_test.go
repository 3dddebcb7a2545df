package legacy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/atende/atende/legacy/legacytest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchEnv reads a positive integer from the environment, or gives def.
func benchEnv(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s: %q is not a positive integer", name, s)
	}
	return n
}

// benchFile is a generated V1.5 file with BENCH_IMPORT_MESSAGES messages (default
// 1,000,000), generated once and kept in the temp directory.
func benchFile(b *testing.B) string {
	messages := benchEnv(b, "BENCH_IMPORT_MESSAGES", 1_000_000)
	file := filepath.Join(os.TempDir(), fmt.Sprintf("atende-bench-v15-%d-v1.db", messages))
	if _, err := os.Stat(file); err != nil {
		if _, err := legacytest.Generate(context.Background(), file+".tmp", messages); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			b.Fatal(err)
		}
	}
	return file
}

// BenchmarkImportSQLite times the first import of the generated file into a new tenant
// and, in the same run, a bare COPY of the same message rows into the same table: the
// messages the import wrote, copied out in the order it wrote them, the table emptied
// and the rows copied back in one COPY with the import's settings (synchronous_commit and
// live events off), as binary over the connection, as the import sends them. Each of BENCH_ROUNDS rounds
// (default 3) does both in a new database; it reports the medians and import ÷ bare
// COPY, the overhead of everything the import does besides copying the messages.
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench ImportSQLite -benchtime 1x -timeout 60m ./legacy/
func BenchmarkImportSQLite(b *testing.B) {
	file := benchFile(b)
	rounds := benchEnv(b, "BENCH_ROUNDS", 3)
	ctx := context.Background()
	var imports, copies, ratios []float64
	var rows int
	for range b.N {
		for round := range rounds {
			d := dbtest.New(b)
			checkpoint(b, d.Admin)
			start := time.Now()
			report, err := legacy.Import(ctx, d.Admin, legacy.Options{File: file, TenantSlug: "bench", CreateTenant: true, TenantName: "Bench"})
			if err != nil {
				b.Fatal(err)
			}
			imported := time.Since(start).Seconds()
			copied := bareCopy(b, d.Admin, report.TenantID)
			rows = report.Totals().Read
			imports, copies, ratios = append(imports, imported), append(copies, copied), append(ratios, imported/copied)
			b.Logf("round %d: import %.1f s, bare COPY of its %d messages %.1f s: %.3f", round+1, imported, report.Table("messages").Imported, copied, imported/copied)
		}
	}
	b.ReportMetric(float64(rows)/median(imports), "rows/s")
	b.ReportMetric(median(imports), "s/import")
	b.ReportMetric(median(copies), "s/bare-copy")
	b.ReportMetric(median(ratios), "import/copy")
}

// bareCopy copies the tenant's messages out, empties the table and times copying them
// back in.
func bareCopy(b *testing.B, pool *pgxpool.Pool, tenantID uuid.UUID) float64 {
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	var rows bytes.Buffer
	// In the order the import wrote them (ctid: their place in the table's one partition):
	// the order decides how the indexes grow.
	if _, err := conn.Conn().PgConn().CopyTo(ctx, &rows,
		"copy (select * from public.messages where tenant_id = '"+tenantID.String()+"' order by ctid) to stdout (format binary)"); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "truncate public.messages"); err != nil {
		b.Fatal(err)
	}
	checkpoint(b, pool)
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select set_config('synchronous_commit', 'off', true), set_config('atende.events', 'off', true)"); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, &rows, "copy public.messages from stdin (format binary)"); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start).Seconds()
}

// checkpoint flushes what earlier work left in the WAL, so that each timed part starts
// from the same state.
func checkpoint(b *testing.B, pool *pgxpool.Pool) {
	if _, err := pool.Exec(context.Background(), "checkpoint"); err != nil {
		b.Fatal(err)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkSyncSQLite times the sync of a tenant that holds the generated file's import
// with the same file changed as legacytest.Change changes it: one row in a hundred of
// every table updated (10,000 of the million messages), 0.1% new messages, 0.01% of them
// deleted. The first import is not timed.
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench SyncSQLite -benchtime 1x -timeout 30m ./legacy/
func BenchmarkSyncSQLite(b *testing.B) {
	file := benchFile(b)
	ctx := context.Background()
	var elapsed time.Duration
	var rows int
	for range b.N {
		b.StopTimer()
		d := dbtest.New(b)
		if _, err := legacy.Import(ctx, d.Admin, legacy.Options{File: file, TenantSlug: "bench", CreateTenant: true, TenantName: "Bench"}); err != nil {
			b.Fatal(err)
		}
		changed := filepath.Join(b.TempDir(), "changed.db")
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(changed, data, 0o644); err != nil {
			b.Fatal(err)
		}
		counts, err := legacytest.Change(ctx, changed, 100)
		if err != nil {
			b.Fatal(err)
		}
		checkpoint(b, d.Admin)
		b.StartTimer()
		start := time.Now()
		report, err := legacy.Import(ctx, d.Admin, legacy.Options{File: changed, TenantSlug: "bench", Sync: true, SyncDeletes: true})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		total := report.Totals()
		rows = total.Read
		b.Logf("changed in the file: %v; sync: %s", counts, total.Summary())
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds()*float64(b.N), "rows/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/sync")
}
