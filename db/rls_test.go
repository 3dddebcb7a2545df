package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestRLSIsolatesEveryTable drives every table of public, read from the catalogue, as the
// owner of tenant A (the most privileged member): A's rows can be read, inserted, updated
// and deleted wherever a grant and a policy allow that command; tenant B's rows can never
// be seen, changed, deleted or created, and no row of A can be moved into B.
func TestRLSIsolatesEveryTable(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	b := dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()

	for _, table := range tenantTables(t, d.Admin) {
		t.Run(table.Name, func(t *testing.T) {
			p := newRLSProbe(t, d.Admin, table, a.OwnerClaims())
			own := p.sampleRow(a.ID, a.OwnerID)
			other := p.sampleRow(b.ID, a.OwnerID)

			for _, cmd := range []string{"select", "update", "delete", "insert"} {
				allowed := p.allows(cmd)
				got := p.run(cmd, own)
				if allowed && (got.err != nil || got.rows != 1) {
					t.Errorf("%s own row: got %v, want 1 row (a grant and a policy allow it)", cmd, got)
				}
				if !allowed && !got.denied() {
					t.Errorf("%s own row: got %v, want denied (no grant or no policy for it)", cmd, got)
				}
				if got := p.run(cmd, other); !got.denied() {
					t.Errorf("%s tenant B's row as tenant A: got %v, want denied", cmd, got)
				}
			}
			if got := p.runSQL(fmt.Sprintf("select count(*) from public.%s where %s <> $1", table.Name, table.TenantColumn), nil, a.ID); !got.denied() {
				t.Errorf("rows of other tenants visible: %v", got)
			}
			move := fmt.Sprintf("update public.%[1]s t set %[2]s = $2 from %[3]s where %[4]s",
				table.Name, table.TenantColumn, p.record(), p.keyMatch())
			if got := p.runSQL(move, nil, own, b.ID); !got.denied() {
				t.Errorf("moving A's row into tenant B: got %v, want denied", got)
			}
		})
	}

	// Clients with no session, and the backend's login role before it switches role.
	partitions := catalogueRows(t, d.Admin, `
		select relname::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and relispartition`)
	for _, partition := range partitions {
		t.Run("authenticated/"+partition, func(t *testing.T) {
			count := fmt.Sprintf("select count(*) from public.%s", partition)
			if got := runAs(t, d.Admin, "authenticated", a.OwnerClaims(), nil, count); !got.denied() {
				t.Errorf("partition read directly, not through its parent: got %v, want denied", got)
			}
		})
	}
	relations := catalogueRows(t, d.Admin, `
		select relname::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')`)
	for _, relation := range relations {
		count := fmt.Sprintf("select count(*) from public.%s", relation)
		t.Run("anon/"+relation, func(t *testing.T) {
			if got := runAs(t, d.Admin, "anon", nil, nil, count); !got.denied() {
				t.Errorf("anon: got %v, want nothing", got)
			}
		})
		t.Run("atende_app/"+relation, func(t *testing.T) {
			err := d.App.Pool.QueryRow(ctx, count).Scan(new(int64))
			if sqlState(err) != "42501" {
				t.Errorf("atende_app without switching role: err = %v, want permission denied", err)
			}
		})
	}
}

// outcome is what one statement did: the rows it counted or touched, or its error.
type outcome struct {
	rows int64
	err  error
}

// denied reports whether the statement reached no row: refused outright (42501: no
// grant, or a WITH CHECK policy) or filtered to nothing by a USING policy.
func (o outcome) denied() bool {
	if o.err != nil {
		return sqlState(o.err) == "42501"
	}
	return o.rows == 0
}

func (o outcome) String() string {
	if o.err != nil {
		return "error " + o.err.Error()
	}
	return fmt.Sprintf("%d rows", o.rows)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// rlsProbe runs statements against one table as a caller, each in its own transaction
// that is rolled back.
type rlsProbe struct {
	t      *testing.T
	pool   *pgxpool.Pool
	table  tenantTable
	claims json.RawMessage
}

func newRLSProbe(t *testing.T, pool *pgxpool.Pool, table tenantTable, claims json.RawMessage) *rlsProbe {
	return &rlsProbe{t: t, pool: pool, table: table, claims: claims}
}

// sampleRow returns a row of the tenant as JSON, preferring one that is not the caller's
// own profile (deleting oneself is not a right even the owner has).
func (p *rlsProbe) sampleRow(tenantID, callerID uuid.UUID) json.RawMessage {
	p.t.Helper()
	var row json.RawMessage
	err := p.pool.QueryRow(context.Background(), fmt.Sprintf(`
		select to_jsonb(t) from public.%s t where t.%s = $1 order by (to_jsonb(t) ->> 'id') = $2::text limit 1`,
		p.table.Name, p.table.TenantColumn), tenantID, callerID).Scan(&row)
	if err != nil {
		p.t.Fatalf("no %s row for tenant %s: seed one in dbtest.SeedTenant (%v)", p.table.Name, tenantID, err)
	}
	return row
}

// allows reports whether authenticated has both the grant and a policy for cmd.
func (p *rlsProbe) allows(cmd string) bool {
	p.t.Helper()
	var allowed bool
	err := p.pool.QueryRow(context.Background(), `
		select case $2
				when 'update' then has_any_column_privilege('authenticated', $1::regclass, 'update')
				else has_table_privilege('authenticated', $1::regclass, $2)
			end
			and exists (select from pg_policy where polrelid = $1::regclass
				and polcmd in ('*', case $2 when 'select' then 'r' when 'insert' then 'a' when 'update' then 'w' else 'd' end))`,
		"public."+p.table.Name, cmd).Scan(&allowed)
	if err != nil {
		p.t.Fatal(err)
	}
	return allowed
}

// record is the FROM item that turns the $1 JSON row into a record of the table.
func (p *rlsProbe) record() string {
	return fmt.Sprintf("jsonb_populate_record(null::public.%s, $1::jsonb) r", p.table.Name)
}

// keyMatch matches the table's row t to the record r by primary key.
func (p *rlsProbe) keyMatch() string {
	var left, right []string
	for _, column := range p.table.PrimaryKey {
		left = append(left, "t."+column)
		right = append(right, "r."+column)
	}
	return fmt.Sprintf("(%s) = (%s)", strings.Join(left, ", "), strings.Join(right, ", "))
}

// run performs cmd on the JSON row as the caller. An insert first deletes the row as the
// superuser, so that it fails only for the reason under test.
func (p *rlsProbe) run(cmd string, row json.RawMessage) outcome {
	p.t.Helper()
	from := p.record()
	switch cmd {
	case "select":
		return p.runSQL(fmt.Sprintf("select count(*) from public.%s t, %s where %s", p.table.Name, from, p.keyMatch()), nil, row)
	case "update":
		column := p.updatableColumn()
		return p.runSQL(fmt.Sprintf("update public.%s t set %s = t.%[2]s from %s where %s", p.table.Name, column, from, p.keyMatch()), nil, row)
	case "delete":
		return p.runSQL(fmt.Sprintf("delete from public.%s t using %s where %s", p.table.Name, from, p.keyMatch()), nil, row)
	default:
		columns := strings.Join(p.insertableColumns(), ", ")
		return p.runSQL(
			fmt.Sprintf("insert into public.%s (%s) select %s from %s", p.table.Name, columns, columns, from),
			[]string{fmt.Sprintf("delete from public.%s t using %s where %s", p.table.Name, from, p.keyMatch())},
			row)
	}
}

// runSQL runs statement as the caller, after the superuser's setup statements.
func (p *rlsProbe) runSQL(statement string, setup []string, args ...any) outcome {
	p.t.Helper()
	return runAs(p.t, p.pool, "authenticated", p.claims, setup, statement, args...)
}

// runAs runs statement in a rolled-back transaction after switching to role with the
// claims; the setup statements run first, as the superuser, with the first argument. A
// select reports the count it returned.
func runAs(t *testing.T, pool *pgxpool.Pool, role string, claims json.RawMessage, setup []string, statement string, args ...any) outcome {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, s := range setup {
		if _, err := tx.Exec(ctx, s, args[0]); err != nil {
			t.Fatalf("setup %q: %v", s, err)
		}
	}
	if _, err := tx.Exec(ctx, "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", role, string(claims)); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(statement, "select") {
		var count int64
		err := tx.QueryRow(ctx, statement, args...).Scan(&count)
		return outcome{rows: count, err: err}
	}
	tag, err := tx.Exec(ctx, statement, args...)
	return outcome{rows: tag.RowsAffected(), err: err}
}

// updatableColumn is a column authenticated may update, or the tenant column when there
// is none (the update is then refused, as it should be).
func (p *rlsProbe) updatableColumn() string {
	p.t.Helper()
	columns := catalogueRows(p.t, p.pool, `
		select attname::text from pg_attribute
		where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''
			and has_column_privilege('authenticated', attrelid, attname, 'update')
		order by attnum`, "public."+p.table.Name)
	if len(columns) == 0 {
		return p.table.TenantColumn
	}
	return columns[0]
}

// insertableColumns are the columns an insert can name: all but generated ones.
func (p *rlsProbe) insertableColumns() []string {
	return catalogueRows(p.t, p.pool, `
		select attname::text from pg_attribute
		where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''
		order by attnum`, "public."+p.table.Name)
}
