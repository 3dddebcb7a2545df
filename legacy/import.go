// Package legacy imports an Atende V1.5 customer (one SQLite file) into a tenant of
// V1.6: read the file (read.go), apply the stated rules to every row (values.go,
// normalize.go), write the result in one transaction with COPY and set-based inserts
// (load.go), and report what became of every row (report.go). The rules are listed in
// README.md beside this file.
package legacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options says what to import where.
type Options struct {
	// File is the V1.5 SQLite file.
	File string
	// TenantSlug names the tenant to import into; it must exist unless CreateTenant.
	TenantSlug string
	// CreateTenant creates the tenant (named TenantName) when it does not exist, with its
	// secrets and, when the file has none, a default AI configuration.
	CreateTenant bool
	TenantName   string
	// DryRun runs the whole import, database constraints included, and rolls it back.
	DryRun bool
	// LegacyTimezone is the zone of the file's naive timestamps (default UTC).
	LegacyTimezone *time.Location
	// PhoneRegion reads phone numbers without a country code (default "BR").
	PhoneRegion string
	// Progress, when set, is called every ProgressEvery rows (default 100,000) while a
	// table is copied.
	Progress      func(table string, rows int)
	ProgressEvery int

	// The file is untrusted: these cap what is read from it (0 takes the default), and
	// a file over them is refused (ErrRefusedFile) before anything lands.
	//
	// MaxCellBytes caps one cell, as stored (default DefaultMaxCellBytes); it is
	// checked inside SQLite, before the value is read.
	MaxCellBytes int64
	// MaxMessages caps the rows of messages (default DefaultMaxMessages), MaxRows those
	// of every other table (default DefaultMaxRows), which are held in memory.
	MaxMessages int
	MaxRows     int
}

// The default limits of Options. 10 MiB is far more than a message, a prompt or a
// pasted document needs (the quirk tests keep a 1 MiB text whole), and small next to
// the importing machine's memory. 50 million messages is 50 times the benchmarked file
// (about 40 minutes of import at its speed). The other tables are held in memory (a few
// hundred bytes a row): 10 million rows of one of them is more contacts, conversations
// or campaign events than any customer with 50 million messages would have.
const (
	DefaultMaxCellBytes = 10 << 20
	DefaultMaxMessages  = 50_000_000
	DefaultMaxRows      = 10_000_000
)

var (
	// ErrTenantNotFound: no tenant has the slug, and CreateTenant was not asked for.
	ErrTenantNotFound = errors.New("tenant not found")
	// ErrImportRunning: another import into the same tenant holds the lock.
	ErrImportRunning = errors.New("another import into this tenant is running")
	// ErrRefusedFile: where the importer reads a table, the file has something that
	// could make reading it unbounded (a view, a virtual table, a generated column), or
	// more than Options allow (a cell, a table's rows). The file is untrusted: it is
	// refused before a row is read, or, for a cell, before the value is loaded.
	ErrRefusedFile = errors.New("file refused")
)

// Import loads opts.File into the tenant over pool, which must connect as the database
// owner (DATABASE_ADMIN_URL): the import writes auth.users and bypasses RLS. It lands
// whole or not at all. The report is returned whenever the file could be planned, also
// with an error; Report.Landed says whether the rows were committed.
func Import(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Report, error) {
	// The slug as every tenant's is written, also to find an existing one.
	slug, err := input.Slug(opts.TenantSlug)
	if err != nil {
		return nil, err
	}
	opts.TenantSlug = slug
	if opts.LegacyTimezone == nil {
		opts.LegacyTimezone = time.UTC
	}
	if opts.PhoneRegion == "" {
		opts.PhoneRegion = "BR"
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 100_000
	}
	lim := limits{cellBytes: opts.MaxCellBytes, messages: opts.MaxMessages, rows: opts.MaxRows}
	if lim.cellBytes <= 0 {
		lim.cellBytes = DefaultMaxCellBytes
	}
	if lim.messages <= 0 {
		lim.messages = DefaultMaxMessages
	}
	if lim.rows <= 0 {
		lim.rows = DefaultMaxRows
	}
	file, err := openFile(ctx, opts.File, lim)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	predicted := startPrediction(ctx, file, opts.LegacyTimezone)
	defer predicted.stop()
	data, err := file.read(ctx)
	if err != nil {
		return nil, err
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if err := registerEnums(ctx, conn.Conn()); err != nil {
		return nil, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Rolls back a dry run and any failure, also after ctx was cancelled.
	defer tx.Rollback(context.WithoutCancel(ctx))

	// A crash before the commit loses only the import, which can be run again: the
	// commit need not wait for the WAL flush.
	if _, err := tx.Exec(ctx, "set local synchronous_commit = off"); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// A million imported rows are no news for the tenant's live streams (and would be a
	// million notifications): the schema's triggers stay quiet for this transaction.
	if _, err := tx.Exec(ctx, "set local atende.events = off"); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if err := lockTenant(ctx, tx, opts.TenantSlug); err != nil {
		return nil, err
	}
	tenantID, err := resolveTenant(ctx, tx, opts)
	if err != nil {
		return nil, err
	}
	env := planEnv{tenantID: tenantID, loc: opts.LegacyTimezone, region: opts.PhoneRegion}
	if env.now, err = importTime(ctx, tx); err != nil {
		return nil, err
	}
	if env.accounts, err = existingAccounts(ctx, tx, fileEmails(data)); err != nil {
		return nil, err
	}

	p := newPlan(data, env, opts.File)
	report := p.out.report
	report.TenantID, report.TenantSlug, report.DryRun = tenantID, opts.TenantSlug, opts.DryRun
	l := &loader{tx: tx, tenantID: tenantID, progress: opts.Progress, every: opts.ProgressEvery}
	err = l.load(ctx, p, file, predicted)
	report.finish()
	if err != nil {
		return report, err
	}
	if opts.DryRun {
		return report, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(ctx); err != nil {
		return report, fmt.Errorf("commit: %w", err)
	}
	report.Landed = true
	return report, nil
}

// lockTenant takes the transaction-scoped advisory lock of the tenant's imports, or
// refuses at once: two imports into one tenant never interleave. The key is the slug,
// which names the tenant also before --create-tenant has made it.
func lockTenant(ctx context.Context, tx pgx.Tx, slug string) error {
	var locked bool
	if err := tx.QueryRow(ctx, "select pg_try_advisory_xact_lock(hashtextextended('atende.import-sqlite/' || $1, 0))", slug).Scan(&locked); err != nil {
		return fmt.Errorf("lock tenant %s: %w", slug, err)
	}
	if !locked {
		return fmt.Errorf("%w (tenant %s)", ErrImportRunning, slug)
	}
	return nil
}

// resolveTenant finds the tenant by slug, or creates it when asked, as every tenant is
// created (db.CreateTenant: the same checks, secrets, AI configuration and settings).
// The file's AI configuration and settings then replace the defaults nobody touched.
func resolveTenant(ctx context.Context, tx pgx.Tx, opts Options) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, "select id from public.tenants where slug = $1", opts.TenantSlug).Scan(&id)
	switch {
	case err == nil:
		return id, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return uuid.Nil, fmt.Errorf("find tenant %s: %w", opts.TenantSlug, err)
	case !opts.CreateTenant:
		return uuid.Nil, fmt.Errorf("%w: %s (use --create-tenant --name NAME to create it)", ErrTenantNotFound, opts.TenantSlug)
	}
	tenant, err := db.CreateTenant(ctx, db.New(tx), db.NewTenant{Name: opts.TenantName, Slug: opts.TenantSlug})
	if err != nil {
		return uuid.Nil, fmt.Errorf("create tenant %s: %w", opts.TenantSlug, db.MapError(err))
	}
	return tenant.ID, nil
}

// fileEmails lists the lower-cased emails of the file's users.
func fileEmails(data legacyData) []string {
	var emails []string
	for _, r := range data[usersTable.name] {
		emails = append(emails, foldEmail(r.cells[1]))
	}
	return emails
}
