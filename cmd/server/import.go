package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	// Zone data inside the binary: --legacy-timezone works on hosts without tzdata.
	_ "time/tzdata"

	"github.com/atende/atende/db"
	"github.com/atende/atende/legacy"
	"github.com/jackc/pgx/v5/pgxpool"
)

// importDetailLimit caps the merged/rejected/changed lines printed per table; the JSON
// report has all of them.
const importDetailLimit = 20

// runImportSQLite imports a V1.5 SQLite file into a tenant on DATABASE_ADMIN_URL (or,
// with --verify, compares them) and prints the report. It succeeds only when the import
// landed (with --dry-run: when it would land), or the file and the tenant agree.
func runImportSQLite(ctx context.Context, args []string) error {
	return importSQLite(ctx, args, adminDatabaseURL(), os.Stdout, os.Stderr)
}

func importSQLite(ctx context.Context, args []string, databaseURL string, stdout, stderr io.Writer) error {
	flags, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	pool, err := db.OpenPool(ctx, databaseURL, db.PoolSettings{})
	if err != nil {
		return err
	}
	defer pool.Close()
	if flags.verify {
		return verifySQLite(ctx, pool, flags, databaseURL, stdout)
	}
	opts := flags.opts
	opts.Progress = func(table string, rows int) { fmt.Fprintf(stderr, "import-sqlite: %s: %d rows read\n", table, rows) }

	start := time.Now()
	report, importErr := legacy.Import(ctx, pool, opts)
	elapsed := time.Since(start)
	if report != nil {
		if err := report.WriteTable(stdout, importDetailLimit); err != nil {
			return errors.Join(importErr, err)
		}
		if flags.reportJSON != "" {
			if err := report.WriteJSONFile(flags.reportJSON); err != nil {
				return errors.Join(importErr, err)
			}
		}
	}
	if importErr != nil {
		return fmt.Errorf("import-sqlite: nothing was written: %w", ownerRequired(importErr, databaseURL))
	}
	read := report.Totals().Read
	outcome := "landed"
	if opts.DryRun {
		outcome = "would land (dry run: nothing written)"
	}
	fmt.Fprintf(stderr, "import-sqlite: %s: %d legacy rows in %s (%.0f rows/s)\n",
		outcome, read, elapsed.Round(time.Millisecond), float64(read)/elapsed.Seconds())
	return nil
}

// errDifferences is --verify's failure: the file and the tenant disagree.
var errDifferences = errors.New("the file and the tenant differ")

// verifySQLite compares the file with the tenant, prints every difference, and fails
// when there is one.
func verifySQLite(ctx context.Context, pool *pgxpool.Pool, flags importFlags, databaseURL string, stdout io.Writer) error {
	v, err := legacy.Verify(ctx, pool, flags.opts)
	if err != nil {
		return fmt.Errorf("import-sqlite --verify: %w", ownerRequired(err, databaseURL))
	}
	if err := v.WriteTable(stdout); err != nil {
		return err
	}
	if flags.reportJSON != "" {
		if err := v.WriteJSONFile(flags.reportJSON); err != nil {
			return err
		}
	}
	if n := v.Differences(); n > 0 {
		return fmt.Errorf("import-sqlite --verify: %w: %d rows differ", errDifferences, n)
	}
	fmt.Fprintln(stdout, "verify: the tenant has every row of the file as the file says")
	return nil
}

// importFlags is the command line.
type importFlags struct {
	opts       legacy.Options
	reportJSON string
	verify     bool
}

// parseImportFlags reads the command line; bad flags are errUsage.
func parseImportFlags(args []string, stderr io.Writer) (importFlags, error) {
	var f importFlags
	opts := &f.opts
	fs := flag.NewFlagSet("import-sqlite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.File, "file", "", "the V1.5 SQLite file (required)")
	fs.StringVar(&opts.TenantSlug, "tenant", "", "the slug of the tenant to import into (required)")
	fs.BoolVar(&opts.CreateTenant, "create-tenant", false, "create the tenant when it does not exist (needs --name)")
	fs.StringVar(&opts.TenantName, "name", "", "the name of the tenant --create-tenant creates")
	fs.BoolVar(&opts.DryRun, "dry-run", false, "validate and report, write nothing")
	fs.BoolVar(&opts.Sync, "sync", false, "bring the tenant's earlier import of the file up to date: apply what changed in V1.5 since")
	fs.BoolVar(&opts.SyncDeletes, "sync-deletes", false, "with --sync: remove the rows V1.5 deleted, where V1.6 left them as imported")
	fs.BoolVar(&f.verify, "verify", false, "compare the file with the tenant, row by row, and list every difference; writes nothing")
	fs.StringVar(&f.reportJSON, "report-json", "", "also write the full report as JSON to this file")
	timezone := fs.String("legacy-timezone", "UTC", "the time zone of the file's timestamps")
	fs.StringVar(&opts.PhoneRegion, "phone-region", "BR", "the region of phone numbers written without a country code")
	fs.Int64Var(&opts.MaxCellBytes, "max-cell-bytes", legacy.DefaultMaxCellBytes, "refuse a file with a larger value in any cell")
	fs.IntVar(&opts.MaxMessages, "max-messages", legacy.DefaultMaxMessages, "refuse a file with more messages")
	fs.IntVar(&opts.MaxRows, "max-rows", legacy.DefaultMaxRows, "refuse a file with more rows in any other table")
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("%w: %w", errUsage, err)
	}
	var err error
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case opts.File == "" || opts.TenantSlug == "":
		err = errors.New("--file and --tenant are required")
	case opts.CreateTenant && opts.TenantName == "":
		err = errors.New("--create-tenant needs --name")
	case !opts.CreateTenant && opts.TenantName != "":
		err = errors.New("--name is only used with --create-tenant")
	case opts.SyncDeletes && !opts.Sync:
		err = errors.New("--sync-deletes is only used with --sync")
	case f.verify && (opts.Sync || opts.DryRun || opts.CreateTenant):
		err = errors.New("--verify writes nothing: it takes no --sync, --dry-run or --create-tenant")
	}
	if err == nil {
		opts.LegacyTimezone, err = time.LoadLocation(*timezone)
	}
	if err != nil {
		fmt.Fprintln(stderr, "import-sqlite:", err)
		return f, fmt.Errorf("%w: %w", errUsage, err)
	}
	return f, nil
}
