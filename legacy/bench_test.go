package legacy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/atende/atende/legacy/legacytest"
)

// BenchmarkImportSQLite times the import of a generated V1.5 file with
// BENCH_IMPORT_MESSAGES messages (default 1,000,000) into a new tenant, and reports
// legacy rows per second. The file is generated once and kept in the temp directory.
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench ImportSQLite -benchtime 1x -timeout 30m ./legacy/
func BenchmarkImportSQLite(b *testing.B) {
	messages := 1_000_000
	if s := os.Getenv("BENCH_IMPORT_MESSAGES"); s != "" {
		var err error
		if messages, err = strconv.Atoi(s); err != nil {
			b.Fatalf("BENCH_IMPORT_MESSAGES: %v", err)
		}
	}
	ctx := context.Background()
	file := filepath.Join(os.TempDir(), fmt.Sprintf("atende-bench-v15-%d-v1.db", messages))
	if _, err := os.Stat(file); err != nil {
		if _, err := legacytest.Generate(ctx, file+".tmp", messages); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			b.Fatal(err)
		}
	}
	d := dbtest.New(b)

	var rows int
	var elapsed time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		report, err := legacy.Import(ctx, d.Admin, legacy.Options{File: file, TenantSlug: fmt.Sprintf("bench-%d", i), CreateTenant: true, TenantName: "Bench"})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		rows += report.Totals().Read
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/import")
}
