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

	"github.com/atende/atende/db"
	"github.com/atende/atende/sql/citus"
	"github.com/atende/atende/sql/schema"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/peterldowns/pgtestdb/migrators/common"
)

// With CITUS_TEST=1, New gives each test a database on the Citus cluster whose
// coordinator is TEST_CITUS_URL (a superuser URL of its postgres database, where the
// workers were added, as the cluster tool leaves it): migrated and distributed by
// `server distribute`'s code. Citus does not propagate CREATE DATABASE, so a database is
// one database per node; each test's is cloned, node by node, from a template built once
// (the Citus metadata, shards included, names no database, so the clones agree).
const (
	citusEnv        = "CITUS_TEST"
	citusURLEnv     = "TEST_CITUS_URL"
	defaultCitusURL = "postgres://postgres@127.0.0.1:5441/postgres?sslmode=disable"
	// citusShardCount keeps the test cluster small: each clone copies every shard.
	citusShardCount = 4
)

// OnCitus reports whether the tests run on the Citus cluster (CITUS_TEST=1).
func OnCitus() bool { return os.Getenv(citusEnv) == "1" }

// RequireCitus skips t unless the tests run on the Citus cluster.
func RequireCitus(t testing.TB) {
	t.Helper()
	if !OnCitus() {
		t.Skip("needs the Citus cluster (CITUS_TEST=1)")
	}
}

// citusNode is one node of the test cluster.
type citusNode struct {
	Host string
	Port int
}

var (
	citusOnce     sync.Once
	citusTemplate string
	citusNodes    []citusNode // coordinator first
	citusErr      error
)

func citusURL() string {
	if u := os.Getenv(citusURLEnv); u != "" {
		return u
	}
	return defaultCitusURL
}

// nodeURL is the superuser URL of database name on node n.
func nodeURL(n citusNode, name string) string {
	u, _ := url.Parse(citusURL())
	u.Host = fmt.Sprintf("%s:%d", n.Host, n.Port)
	u.Path = "/" + name
	return u.String()
}

// onEveryNode runs statement in the postgres database of every node, workers first.
func onEveryNode(ctx context.Context, statement string) error {
	for i := len(citusNodes) - 1; i >= 0; i-- {
		if err := execOn(ctx, nodeURL(citusNodes[i], "postgres"), statement); err != nil {
			return fmt.Errorf("node %d: %w", citusNodes[i].Port, err)
		}
	}
	return nil
}

func execOn(ctx context.Context, databaseURL string, statements ...string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// NewCitus is New on the Citus cluster, whatever CITUS_TEST says: for comparisons of the
// two (benchmarks).
func NewCitus(t testing.TB) *Database {
	t.Helper()
	citusOnce.Do(func() { citusTemplate, citusErr = buildCitusTemplate(context.Background()) })
	if citusErr != nil {
		t.Fatalf("citus test cluster at %s: %v", citusURL(), citusErr)
	}
	ctx := context.Background()
	name := "atende_citus_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20]
	t.Cleanup(func() {
		// The coordinator first: its cached connections to the workers' database go with it.
		for _, n := range citusNodes {
			if err := execOn(context.Background(), nodeURL(n, "postgres"), "drop database if exists "+name+" with (force)"); err != nil {
				t.Errorf("drop %s on %d: %v", name, n.Port, err)
			}
		}
	})
	if err := onEveryNode(ctx, fmt.Sprintf("create database %s template %s", name, citusTemplate)); err != nil {
		t.Fatalf("clone the distributed template: %v", err)
	}
	adminURL := nodeURL(citusNodes[0], name)
	// A clone has a new oid, and the database's own settings (ALTER DATABASE … SET) are
	// keyed to it: distributing again sets them and finds the rest done.
	if err := distribute(ctx, adminURL); err != nil {
		t.Fatalf("distribute the clone again: %v", err)
	}
	appURL := withUser(t, adminURL, "atende_app", appPassword)
	return &Database{AdminURL: adminURL, AppURL: appURL, Admin: openPool(t, ctx, adminURL), App: db.DB{Pool: openPool(t, ctx, appURL), Distributed: true}}
}

// buildCitusTemplate makes, once for the cluster and this schema, the migrated and
// distributed database every test clones, under an advisory lock so that the test
// binaries of several packages share it.
func buildCitusTemplate(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, citusURL())
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	coordinator, err := url.Parse(citusURL())
	if err != nil {
		return "", err
	}
	var port int
	if _, err := fmt.Sscan(coordinator.Port(), &port); err != nil {
		return "", fmt.Errorf("coordinator port: %w", err)
	}
	citusNodes = []citusNode{{coordinator.Hostname(), port}}
	rows, err := conn.Query(ctx, `select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeid`)
	if err != nil {
		return "", fmt.Errorf("list the workers: %w", err)
	}
	workers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[citusNode])
	if err != nil || len(workers) == 0 {
		return "", fmt.Errorf("no workers in pg_dist_node (run the cluster tool's start): %v", err)
	}
	citusNodes = append(citusNodes, workers...)

	schemaHash, err := common.HashDirs(schema.FS, "*.sql", ".")
	if err != nil {
		return "", err
	}
	stepsHash, err := common.HashDirs(citus.FS, "*.sql", ".")
	if err != nil {
		return "", err
	}
	name := "atende_citus_tpl_" + (schemaHash + stepsHash)[:12]
	if _, err := conn.Exec(ctx, "select pg_advisory_lock(hashtext('atende citus template'))"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "select pg_advisory_unlock(hashtext('atende citus template'))")
	var ready bool
	if err := conn.QueryRow(ctx, `select exists (select from pg_database where datname = $1 and datistemplate)`, name).Scan(&ready); err != nil {
		return "", err
	}
	if ready {
		return name, nil
	}
	if err := onEveryNode(ctx, "drop database if exists "+name+" with (force)"); err != nil {
		return "", err
	}
	if err := onEveryNode(ctx, "create database "+name); err != nil {
		return "", err
	}
	for _, n := range citusNodes {
		if err := execOn(ctx, nodeURL(n, name), "create extension citus"); err != nil {
			return "", fmt.Errorf("node %d: %w", n.Port, err)
		}
	}
	add := []string{fmt.Sprintf("select citus_set_coordinator_host('%s', %d)", citusNodes[0].Host, citusNodes[0].Port)}
	for _, w := range workers {
		add = append(add, fmt.Sprintf("select citus_add_node('%s', %d)", w.Host, w.Port))
	}
	templateURL := nodeURL(citusNodes[0], name)
	if err := execOn(ctx, templateURL, add...); err != nil {
		return "", err
	}
	if err := migrateAndDistribute(ctx, templateURL); err != nil {
		return "", err
	}
	// Sealed: nobody may connect any more (Citus's maintenance daemon included), so that
	// CREATE DATABASE … TEMPLATE finds it unused on every node.
	for _, n := range citusNodes {
		err := execOn(ctx, nodeURL(n, "postgres"),
			"alter database "+name+" with allow_connections false",
			"select pg_terminate_backend(pid) from pg_stat_activity where datname = '"+name+"'")
		if err != nil {
			return "", fmt.Errorf("node %d: %w", n.Port, err)
		}
	}
	if err := onEveryNode(ctx, "alter database "+name+" is_template true"); err != nil {
		return "", err
	}
	return name, nil
}

func migrateAndDistribute(ctx context.Context, databaseURL string) error {
	sqlDB, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	if err := db.MigrateUp(ctx, sqlDB); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return distribute(ctx, databaseURL)
}

func distribute(ctx context.Context, databaseURL string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return db.Distribute(ctx, conn, citusShardCount)
}
