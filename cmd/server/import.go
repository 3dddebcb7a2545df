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
)

// importDetailLimit caps the merged/rejected/changed lines printed per table; the JSON
// report has all of them.
const importDetailLimit = 20

// runImportSQLite imports a V1.5 SQLite file into a tenant on DATABASE_ADMIN_URL and
// prints the report. It succeeds only when the import landed (with --dry-run: when it
// would land).
func runImportSQLite(ctx context.Context, args []string) error {
	return importSQLite(ctx, args, adminDatabaseURL(), os.Stdout, os.Stderr)
}

func importSQLite(ctx context.Context, args []string, databaseURL string, stdout, stderr io.Writer) error {
	opts, reportJSON, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	pool, err := db.OpenPool(ctx, databaseURL, db.PoolSettings{})
	if err != nil {
		return err
	}
	defer pool.Close()
	opts.Progress = func(table string, rows int) { fmt.Fprintf(stderr, "import-sqlite: %s: %d rows copied\n", table, rows) }

	start := time.Now()
	report, importErr := legacy.Import(ctx, pool, opts)
	elapsed := time.Since(start)
	if report != nil {
		if err := report.WriteTable(stdout, importDetailLimit); err != nil {
			return errors.Join(importErr, err)
		}
		if reportJSON != "" {
			if err := report.WriteJSONFile(reportJSON); err != nil {
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

// parseImportFlags reads the command line; bad flags are errUsage.
func parseImportFlags(args []string, stderr io.Writer) (opts legacy.Options, reportJSON string, err error) {
	fs := flag.NewFlagSet("import-sqlite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.File, "file", "", "the V1.5 SQLite file (required)")
	fs.StringVar(&opts.TenantSlug, "tenant", "", "the slug of the tenant to import into (required)")
	fs.BoolVar(&opts.CreateTenant, "create-tenant", false, "create the tenant when it does not exist (needs --name)")
	fs.StringVar(&opts.TenantName, "name", "", "the name of the tenant --create-tenant creates")
	fs.BoolVar(&opts.DryRun, "dry-run", false, "validate and report, write nothing")
	fs.StringVar(&reportJSON, "report-json", "", "also write the full report as JSON to this file")
	timezone := fs.String("legacy-timezone", "UTC", "the time zone of the file's timestamps")
	fs.StringVar(&opts.PhoneRegion, "phone-region", "BR", "the region of phone numbers written without a country code")
	fs.Int64Var(&opts.MaxCellBytes, "max-cell-bytes", legacy.DefaultMaxCellBytes, "refuse a file with a larger value in any cell")
	fs.IntVar(&opts.MaxMessages, "max-messages", legacy.DefaultMaxMessages, "refuse a file with more messages")
	fs.IntVar(&opts.MaxRows, "max-rows", legacy.DefaultMaxRows, "refuse a file with more rows in any other table")
	if err := fs.Parse(args); err != nil {
		return opts, "", fmt.Errorf("%w: %w", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case opts.File == "" || opts.TenantSlug == "":
		err = errors.New("--file and --tenant are required")
	case opts.CreateTenant && opts.TenantName == "":
		err = errors.New("--create-tenant needs --name")
	case !opts.CreateTenant && opts.TenantName != "":
		err = errors.New("--name is only used with --create-tenant")
	}
	if err == nil {
		opts.LegacyTimezone, err = time.LoadLocation(*timezone)
	}
	if err != nil {
		fmt.Fprintln(stderr, "import-sqlite:", err)
		return opts, "", fmt.Errorf("%w: %w", errUsage, err)
	}
	return opts, reportJSON, nil
}
