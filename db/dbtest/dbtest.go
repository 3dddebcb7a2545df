// Package dbtest gives each test its own migrated PostgreSQL database, cloned from a
// template database that is migrated once (peterldowns/pgtestdb), so tests run in
// parallel against a real server.
//
// The server is TEST_DATABASE_URL (a superuser URL) or, when that is unset, a PostgreSQL
// container started with testcontainers-go. When neither is available the test is
// skipped with the reason, or fails when CI is set: the suite never passes without
// having run.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/sql/schema"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
)

// Database is one test's migrated database.
type Database struct {
	// AdminURL connects as a superuser, which bypasses RLS: for fixtures and catalogue
	// queries.
	AdminURL string
	// AppURL connects as atende_app, the backend's login role.
	AppURL string
	// Admin is a pool on AdminURL.
	Admin *pgxpool.Pool
	// App runs queries as the backend does, on a pool on AppURL.
	App db.DB
}

// appRolePassword is set on atende_app in a container this package started, where
// password authentication is on. A TEST_DATABASE_URL server is expected to trust local
// connections (as the development machine and CI do), or TEST_APP_PASSWORD gives it.
const appRolePassword = "atende_app_test"

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
	// appPassword is atende_app's password on the test server, if it needs one.
	appPassword = os.Getenv("TEST_APP_PASSWORD")
)

// New returns a new migrated database for t, dropped when t ends (kept if t fails); on
// the Citus run (CITUS_TEST=1), a migrated and distributed one (citus.go).
func New(t testing.TB) *Database {
	t.Helper()
	if OnCitus() {
		return NewCitus(t)
	}
	adminURL := Server(t)
	conf := pgtestdb.Custom(t, configFromURL(t, adminURL), migrator{})
	ctx := context.Background()

	appURL := withUser(t, conf.URL(), "atende_app", appPassword)
	admin := openPool(t, ctx, conf.URL())
	app := openPool(t, ctx, appURL)
	return &Database{AdminURL: conf.URL(), AppURL: appURL, Admin: admin, App: db.DB{Pool: app}}
}

// Server returns the superuser URL of the test server, starting a container when
// TEST_DATABASE_URL is unset, or skips t (fails it when CI is set) when there is none.
func Server(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() { serverURL, serverErr = startServer() })
	if serverErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no test database: %v", serverErr)
		}
		t.Skipf("no test database, skipping: %v", serverErr)
	}
	return serverURL
}

func startServer() (string, error) {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	container, err := postgres.Run(ctx, "postgres:15-alpine",
		postgres.WithUsername("postgres"),
		postgres.WithPassword("postgres"),
		postgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", fmt.Errorf("TEST_DATABASE_URL is unset and no PostgreSQL container could start: %w", err)
	}
	// The container is removed by testcontainers' reaper when the test binary exits.
	adminURL, err := container.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		return "", fmt.Errorf("container connection string: %w", err)
	}
	appPassword = appRolePassword
	return adminURL, nil
}

// migrator migrates pgtestdb's template database with the embedded migrations; the
// template is rebuilt whenever a migration file changes.
type migrator struct{}

func (migrator) Hash() (string, error) { return common.HashDirs(schema.FS, "*.sql", ".") }

func (migrator) Migrate(ctx context.Context, sqlDB *sql.DB, _ pgtestdb.Config) error {
	if err := db.MigrateUp(ctx, sqlDB); err != nil {
		return err
	}
	if appPassword != "" {
		if _, err := sqlDB.ExecContext(ctx, fmt.Sprintf("alter role atende_app password '%s'", appPassword)); err != nil {
			return fmt.Errorf("set atende_app password: %w", err)
		}
	}
	return nil
}

func configFromURL(t testing.TB, rawURL string) pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	password, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   password,
		Database:   u.Path[1:],
		Options:    u.RawQuery,
		// Migrations create roles and extensions, which takes a superuser.
		TestRole: &pgtestdb.Role{Username: "atende_test", Password: "atende_test", Capabilities: "SUPERUSER"},
	}
}

func withUser(t testing.TB, rawURL, user, password string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse database URL: %v", err)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

func openPool(t testing.TB, ctx context.Context, databaseURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.OpenPool(ctx, databaseURL, db.PoolSettings{})
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Empty creates an empty database on the test server, dropped when t ends, and returns
// its superuser URL: for tests of the migrations themselves.
func Empty(t testing.TB) string {
	t.Helper()
	serverURL := Server(t)
	ctx := context.Background()
	admin := openPool(t, ctx, serverURL)
	name := "atende_empty_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := admin.Exec(ctx, "create database "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "drop database "+name+" with (force)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
