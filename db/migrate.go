package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/atende/atende/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	// The "pgx" database/sql driver that goose runs on; the request path uses pgxpool.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// migrationsSchema keeps goose's bookkeeping out of public, which Supabase exposes
// through its API.
const migrationsSchema = "atende_migrations"

// OpenAdmin opens a database/sql handle on adminURL (DATABASE_ADMIN_URL, the owner role),
// for migrations.
func OpenAdmin(adminURL string) (*sql.DB, error) {
	sqlDB, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, fmt.Errorf("open admin database: %w", err)
	}
	return sqlDB, nil
}

// NewMigrator returns a goose provider for the embedded migrations (sql/schema) on
// sqlDB. It holds a PostgreSQL advisory lock while it migrates, so concurrent deploys
// migrate one at a time.
func NewMigrator(ctx context.Context, sqlDB *sql.DB) (*goose.Provider, error) {
	if _, err := sqlDB.ExecContext(ctx, "create schema if not exists "+migrationsSchema); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", migrationsSchema, err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, schema.FS,
		goose.WithSessionLocker(locker),
		goose.WithTableName(migrationsSchema+".goose_db_version"),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return provider, nil
}

// MigrateUp applies every pending migration to sqlDB: ours, then the job queue's.
func MigrateUp(ctx context.Context, sqlDB *sql.DB) error {
	provider, err := NewMigrator(ctx, sqlDB)
	if err != nil {
		return err
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	_, err = MigrateJobQueue(ctx, sqlDB)
	return err
}

// JobSchema is the schema of the job queue's tables (River's), which migration 00030
// creates and grants.
const JobSchema = "river"

// MigrateJobQueue applies River's pending migrations in JobSchema, after ours (00030
// makes the schema): each in a transaction of its own (one adds an enum value that the
// next uses), under an advisory lock so that concurrent deploys take turns. It returns
// the versions it applied.
func MigrateJobQueue(ctx context.Context, sqlDB *sql.DB) ([]int, error) {
	migrator, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Schema: JobSchema})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	defer conn.Close()
	var applied []int
	err = conn.Raw(func(driverConn any) error {
		pgxConn := driverConn.(*stdlib.Conn).Conn()
		for _, version := range migrator.AllVersions() {
			tx, err := pgxConn.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('atende job queue migrations'))"); err != nil {
				return err
			}
			result, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: version.Version})
			if err != nil {
				return fmt.Errorf("version %d: %w", version.Version, err)
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			for _, v := range result.Versions {
				applied = append(applied, v.Version)
			}
		}
		return nil
	})
	if err != nil {
		return applied, fmt.Errorf("job queue migrations: %w", err)
	}
	return applied, nil
}
