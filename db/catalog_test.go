package db_test

import (
	"context"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tenantTables lists the tables of public (not their partitions) with their tenant
// column, failing the test for a table that has none.
func tenantTables(t *testing.T, pool *pgxpool.Pool) []dbtest.Table {
	t.Helper()
	tables := dbtest.Tables(t, pool)
	if len(tables) < 12 {
		t.Fatalf("found %d tables in public, want at least the 12 of the spec", len(tables))
	}
	for _, table := range tables {
		var hasTenantColumn bool
		if err := pool.QueryRow(context.Background(),
			`select exists (select from pg_attribute where attrelid = ('public.' || $1)::regclass and attname = $2 and not attisdropped)`,
			table.Name, table.TenantColumn).Scan(&hasTenantColumn); err != nil {
			t.Fatal(err)
		}
		if !hasTenantColumn {
			t.Errorf("table %s has no %s column: every public table must belong to a tenant", table.Name, table.TenantColumn)
		}
	}
	return tables
}

// catalogueRows runs a catalogue query whose rows are single strings.
func catalogueRows(t *testing.T, pool *pgxpool.Pool, query string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	values, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return values
}
