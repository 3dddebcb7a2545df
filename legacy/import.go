// Package legacy imports an Atende V1.5 customer (one SQLite file) into a tenant of
// V1.6, and keeps it in step until the customer moves: read the file (read.go), apply the
// stated rules to every row (values.go, plan*.go), write the result in one transaction
// (write*.go: COPY on a first import, and on a later run only what changed since, told
// by the fingerprints an import leaves, fingerprint.go), report what became of every row
// (report.go), and compare the file with the tenant (verify.go). The rules are listed in
// README.md beside this file.
package legacy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
	// Sync brings a tenant that holds an earlier import of the file up to date with it:
	// rows changed in V1.5 since are rewritten where V1.6 left them as imported. Without
	// it a run into such a tenant inserts new rows only, and reports the changes pending.
	Sync bool
	// SyncDeletes (with Sync) removes the rows the file no longer has, where V1.6 left
	// them as imported.
	SyncDeletes bool
	// LegacyTimezone is the zone of the file's naive timestamps (default UTC).
	LegacyTimezone *time.Location
	// PhoneRegion reads phone numbers without a country code (default "BR").
	PhoneRegion string
	// Progress, when set, is called every ProgressEvery rows (default 100,000) while a
	// table is copied, and while the messages are read.
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
	// ErrNothingToSync: Sync was asked for, and the tenant holds no import to bring up
	// to date.
	ErrNothingToSync = errors.New("the tenant holds no import of a V1.5 file to sync")
	// ErrOtherMapping: the tenant was imported with another legacy timezone or phone
	// region, under which every row would plan otherwise.
	ErrOtherMapping = errors.New("the tenant was imported with other mapping options")
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
	if opts.SyncDeletes && !opts.Sync {
		return nil, errors.New("SyncDeletes needs Sync")
	}
	opts, file, err := opts.open(ctx)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	// A first import writes the conversations as this first pass over the messages
	// predicts they end; a sync has few to write, and does without.
	var predicted *prediction
	if !opts.Sync {
		predicted = startPrediction(ctx, file, opts.LegacyTimezone)
	}
	defer predicted.stop()
	// The file is read while the transaction begins (and creates the tenant).
	read := make(chan error, 1)
	var data legacyData
	go func() {
		var err error
		data, err = file.read(ctx)
		read <- err
	}()
	run, err := begin(ctx, pool, opts)
	if readErr := <-read; err == nil {
		err = readErr
	}
	if run != nil {
		// Rolls back a dry run and any failure, also after ctx was cancelled.
		defer run.close(ctx)
	}
	if err != nil {
		return nil, err
	}
	if opts.Sync && !run.imported {
		return nil, fmt.Errorf("%w (%s): import it first", ErrNothingToSync, opts.TenantSlug)
	}
	pl, err := run.plan(ctx, file, data)
	if err != nil {
		return nil, err
	}
	report := pl.report
	report.TenantID, report.TenantSlug, report.DryRun, report.Sync = run.tenantID, opts.TenantSlug, opts.DryRun, opts.Sync

	w := &writer{rows: run.rows, tenant: pgUUID(run.tenantID), report: report, sync: opts.Sync, deletes: opts.SyncDeletes,
		old: run.prints, next: fingerprints{},
		copier: &copier{tx: run.tx, tenantID: run.tenantID, progress: opts.Progress, every: opts.ProgressEvery}}
	if w.counts, err = run.rows.q.LegacyTenantRowCounts(ctx, run.tenantID); err != nil {
		return nil, fmt.Errorf("count the tenant's rows: %w", err)
	}
	err = w.write(ctx, pl, file, predicted)
	report.finish()
	report.fetched = run.rows.fetched
	if err != nil {
		return report, err
	}
	// A run that changed nothing (a re-run of the same file) leaves nothing either.
	if !run.imported || !run.prints.equal(w.next) {
		if err := run.save(ctx, w.next); err != nil {
			return report, err
		}
	}
	if opts.DryRun {
		return report, nil // rolled back by the deferred close
	}
	if err := run.tx.Commit(ctx); err != nil {
		return report, fmt.Errorf("commit: %w", err)
	}
	report.Landed = true
	return report, nil
}

// open checks opts, fills in what was left out, and opens the file.
func (opts Options) open(ctx context.Context) (Options, *legacyFile, error) {
	opts, lim, err := opts.withDefaults()
	if err != nil {
		return opts, nil, err
	}
	file, err := openFile(ctx, opts.File, lim)
	return opts, file, err
}

// acquire takes a connection from pool that knows the enums COPY writes.
func acquire(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Conn, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := registerEnums(ctx, conn.Conn()); err != nil {
		conn.Release()
		return nil, err
	}
	return conn, nil
}

// withDefaults checks opts and fills in what was left out, with the limits it sets.
func (opts Options) withDefaults() (Options, limits, error) {
	// The slug as every tenant's is written, also to find an existing one.
	slug, err := input.Slug(opts.TenantSlug)
	if err != nil {
		return opts, limits{}, err
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
	return opts, lim, nil
}

// importRun is one run's transaction on the tenant, and what the tenant holds of
// earlier imports.
type importRun struct {
	opts     Options
	conn     *pgxpool.Conn
	tx       pgx.Tx
	rows     *tenantRows
	tenantID uuid.UUID
	// startedAt is the transaction's time; importedAt the first import's, which rows
	// without a timestamp got.
	startedAt, importedAt time.Time
	// imported says the tenant holds an earlier import; prints are its fingerprints.
	imported bool
	prints   fingerprints
}

// begin opens the run's transaction: the import's settings, the tenant's lock, the
// tenant (created when asked for), and what it holds of earlier imports.
func begin(ctx context.Context, pool *pgxpool.Pool, opts Options) (*importRun, error) {
	conn, err := acquire(ctx, pool)
	if err != nil {
		return nil, err
	}
	run := &importRun{opts: opts, conn: conn}
	if err := run.start(ctx); err != nil {
		run.close(ctx)
		return nil, err
	}
	return run, nil
}

func (run *importRun) start(ctx context.Context) error {
	var err error
	if run.tx, err = run.conn.Begin(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	q := db.New(run.tx)
	if err := q.LegacyImportSettings(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	lock, err := q.LegacyImportLock(ctx, run.opts.TenantSlug)
	if err != nil {
		return fmt.Errorf("lock tenant %s: %w", run.opts.TenantSlug, err)
	}
	if !lock.Locked {
		return fmt.Errorf("%w (tenant %s)", ErrImportRunning, run.opts.TenantSlug)
	}
	run.startedAt = lock.StartedAt.UTC()
	return run.find(ctx)
}

// find finds the tenant (creates it, when asked for) and what it holds of earlier
// imports.
func (run *importRun) find(ctx context.Context) error {
	var err error
	if run.tenantID, err = resolveTenant(ctx, run.tx, run.opts); err != nil {
		return err
	}
	run.rows = newTenantRows(run.tx, run.tenantID)
	state, err := run.rows.q.LegacyImportGet(ctx, run.tenantID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		run.importedAt = run.startedAt
		return nil
	case err != nil:
		return fmt.Errorf("read the tenant's import: %w", err)
	}
	if state.LegacyTimezone != run.opts.LegacyTimezone.String() || state.PhoneRegion != run.opts.PhoneRegion {
		return fmt.Errorf("%w: --legacy-timezone %s --phone-region %s (not %s, %s): run with the same", ErrOtherMapping,
			state.LegacyTimezone, state.PhoneRegion, run.opts.LegacyTimezone, run.opts.PhoneRegion)
	}
	run.imported, run.importedAt = true, state.ImportedAt.UTC()
	run.prints, err = loadFingerprints(ctx, run.rows.q, run.tenantID)
	return err
}

// plan applies the rules to file's data, with the accounts that already have its emails.
func (run *importRun) plan(ctx context.Context, file *legacyFile, data legacyData) (*plan, error) {
	accounts, err := existingAccounts(ctx, run.tx, fileEmails(data))
	if err != nil {
		return nil, err
	}
	env := planEnv{tenantID: run.tenantID, loc: run.opts.LegacyTimezone, region: run.opts.PhoneRegion, now: run.importedAt,
		accounts: accounts, messages: int(file.counts[messagesTable.name])}
	return newPlan(data, env, run.opts.File), nil
}

// save leaves the run's fingerprints and the record of the import.
func (run *importRun) save(ctx context.Context, prints fingerprints) error {
	err := run.rows.q.LegacyImportSave(ctx, db.LegacyImportSaveParams{TenantID: run.tenantID, FileName: filepath.Base(run.opts.File),
		LegacyTimezone: run.opts.LegacyTimezone.String(), PhoneRegion: run.opts.PhoneRegion, ImportedAt: run.importedAt, SyncedAt: run.startedAt})
	if err != nil {
		return fmt.Errorf("record the import: %w", err)
	}
	return prints.save(ctx, run.rows.q, run.tenantID)
}

// close rolls back what was not committed and gives the connection back.
func (run *importRun) close(ctx context.Context) {
	if run.tx != nil {
		run.tx.Rollback(context.WithoutCancel(ctx))
	}
	run.conn.Release()
}

// resolveTenant finds the tenant by slug, or creates it when asked, as every tenant is
// created (db.CreateTenant: the same checks, secrets, AI configuration and settings).
// The file's AI configuration and settings then replace the defaults nobody touched.
func resolveTenant(ctx context.Context, tx pgx.Tx, opts Options) (uuid.UUID, error) {
	q := db.New(tx)
	tenant, err := q.TenantGetBySlug(ctx, opts.TenantSlug)
	switch {
	case err == nil:
		return tenant.ID, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return uuid.Nil, fmt.Errorf("find tenant %s: %w", opts.TenantSlug, err)
	case !opts.CreateTenant:
		return uuid.Nil, fmt.Errorf("%w: %s (use --create-tenant --name NAME to create it)", ErrTenantNotFound, opts.TenantSlug)
	}
	tenant, err = db.CreateTenant(ctx, q, db.NewTenant{Name: opts.TenantName, Slug: opts.TenantSlug})
	if err != nil {
		return uuid.Nil, fmt.Errorf("create tenant %s: %w", opts.TenantSlug, db.MapError(err))
	}
	return tenant.ID, nil
}

// fileEmails lists the lower-cased emails of the file's users.
func fileEmails(data legacyData) []string {
	var emails []string
	for _, r := range data[usersTable.name] {
		emails = append(emails, foldEmail(r.cell(userEmail)))
	}
	return emails
}
