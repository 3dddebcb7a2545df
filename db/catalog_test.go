package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tenantTable is a table of the public schema that holds tenant data, read from the
// catalogue so that a new table is covered by every catalogue-driven test.
type tenantTable struct {
	Name string
	// TenantColumn is tenant_id, or id for tenants itself.
	TenantColumn string
	// PrimaryKey lists the primary key's columns.
	PrimaryKey []string
	// Partitioned is true for a table partitioned by tenant.
	Partitioned bool
}

// tenantTables lists the tables of public (not their partitions) with their tenant
// column.
func tenantTables(t *testing.T, pool *pgxpool.Pool) []tenantTable {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		select c.relname,
			case when c.relname = 'tenants' then 'id' else 'tenant_id' end,
			array(select a.attname::text from pg_index i
				join unnest(i.indkey) with ordinality k(attnum, n) on true
				join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
				where i.indrelid = c.oid and i.indisprimary order by k.n),
			c.relkind = 'p'
		from pg_class c
		where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
		order by c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[tenantTable])
	if err != nil {
		t.Fatal(err)
	}
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
