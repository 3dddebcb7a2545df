package dbtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Outcome is what one statement did: the rows it counted or touched, or its error.
type Outcome struct {
	Rows int64
	Err  error
}

// Denied reports whether the statement reached no row: refused outright (42501: no
// grant, or a WITH CHECK policy) or filtered to nothing by a USING policy.
func (o Outcome) Denied() bool {
	if o.Err != nil {
		return SQLState(o.Err) == "42501"
	}
	return o.Rows == 0
}

// Refused reports whether the database turned the write down for any reason a rule
// gives: a privilege or policy (42501), a check or rule trigger (23514, 23505), a row
// the caller may not see (no row touched, or P0002 from a function).
func (o Outcome) Refused() bool {
	switch SQLState(o.Err) {
	case "42501", "23514", "23505", "P0002":
		return true
	case "":
		return o.Err == nil && o.Rows == 0
	}
	return false
}

func (o Outcome) String() string {
	if o.Err != nil {
		return "error " + o.Err.Error()
	}
	return fmt.Sprintf("%d rows", o.Rows)
}

// SQLState is the PostgreSQL error code of err, or "".
func SQLState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// switchRole switches as db.DB does, sharing the caller with Citus's workers on the Citus
// run (private.share_caller does nothing elsewhere).
const switchRole = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), private.share_caller()`

// clientSwitch switches as PostgREST, supabase-js and Realtime do: role and claims alone.
const clientSwitch = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`

// RunAs runs statement as role with the claims, as the backend does, in a transaction
// that is rolled back. The setup statements run before it as the pool's superuser, in a
// transaction of their own that commits: Citus refuses a role switch in a transaction
// where another user's writes reached shards (25001), so setup must only change rows that
// belong to its own case. Both take args (pgx.NamedArgs work). A statement starting with
// "select count(" reports the count it returned; any other reports the rows it touched.
func RunAs(t testing.TB, pool *pgxpool.Pool, role string, claims json.RawMessage, setup []string, statement string, args ...any) Outcome {
	t.Helper()
	if len(setup) > 0 {
		commitAsSuperuser(t, pool, "", setup, args...)
	}
	return runSwitched(t, pool, switchRole, []any{role, string(claims)}, statement, args...)
}

// RunAsSupabaseClient is RunAs without setup, for an authenticated caller switched as a
// Supabase client switches: on Citus its workers then see no caller.
func RunAsSupabaseClient(t testing.TB, pool *pgxpool.Pool, claims json.RawMessage, statement string, args ...any) Outcome {
	t.Helper()
	return runSwitched(t, pool, clientSwitch, []any{string(claims)}, statement, args...)
}

// runSwitched runs statement after the switch, in a transaction that is rolled back.
func runSwitched(t testing.TB, pool *pgxpool.Pool, switchStatement string, switchArgs []any, statement string, args ...any) Outcome {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, switchStatement, switchArgs...); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(statement, "select count(") {
		var count int64
		err := tx.QueryRow(ctx, statement, args...).Scan(&count)
		return Outcome{Rows: count, Err: err}
	}
	tag, err := tx.Exec(ctx, statement, args...)
	return Outcome{Rows: tag.RowsAffected(), Err: err}
}

// commitAsSuperuser runs statements, with args, as the pool's superuser in one transaction
// that commits, after prelude (settings, without args) when there is one.
func commitAsSuperuser(t testing.TB, pool *pgxpool.Pool, prelude string, statements []string, args ...any) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if prelude != "" {
			if _, err := tx.Exec(ctx, prelude); err != nil {
				return err
			}
		}
		for _, s := range statements {
			if _, err := tx.Exec(ctx, s, args...); err != nil {
				return fmt.Errorf("%q: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("as the superuser: %v", err)
	}
}

// Table is a table of public, read from the catalogue.
type Table struct {
	Name string
	// TenantColumn is tenant_id, or id for tenants itself.
	TenantColumn string
	// PrimaryKey lists the primary key's columns, and KeyTypes their types.
	PrimaryKey []string
	KeyTypes   []string
	// Partitioned is true for a table partitioned by tenant.
	Partitioned bool
}

// Tables lists the tables of public (not their partitions), so that a new table is
// covered by every catalogue-driven test.
func Tables(t testing.TB, pool *pgxpool.Pool) []Table {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		select c.relname,
			case when c.relname = 'tenants' then 'id' else 'tenant_id' end,
			array(select a.attname::text from pg_index i
				join unnest(i.indkey) with ordinality k(attnum, n) on true
				join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
				where i.indrelid = c.oid and i.indisprimary order by k.n),
			array(select format_type(a.atttypid, a.atttypmod) from pg_index i
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
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Table])
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// TableProbe runs statements against one table as an authenticated caller, each in its
// own transaction that is rolled back, on rows given as JSON.
type TableProbe struct {
	t      testing.TB
	pool   *pgxpool.Pool
	table  Table
	claims json.RawMessage
}

// NewTableProbe probes table as the caller whose token claims are given; pool connects
// as a superuser.
func NewTableProbe(t testing.TB, pool *pgxpool.Pool, table Table, claims json.RawMessage) *TableProbe {
	return &TableProbe{t: t, pool: pool, table: table, claims: claims}
}

// SampleRow returns a row of the tenant as JSON, preferring one whose id is not avoid
// (the caller's own profile: deleting oneself is not a right even the owner has).
func (p *TableProbe) SampleRow(tenantID, avoid uuid.UUID) json.RawMessage {
	p.t.Helper()
	var row json.RawMessage
	err := p.pool.QueryRow(context.Background(), fmt.Sprintf(`
		select to_jsonb(t) from public.%s t where t.%s = $1 order by (to_jsonb(t) ->> 'id') = $2::text limit 1`,
		p.table.Name, p.table.TenantColumn), tenantID, avoid).Scan(&row)
	if err != nil {
		p.t.Fatalf("no %s row for tenant %s: seed one in dbtest.SeedTenant (%v)", p.table.Name, tenantID, err)
	}
	return row
}

// Allows reports whether authenticated has both the grant (on the whole table, or for
// select and update on some of its columns: a secret column may be write-only) and a
// policy for cmd.
func (p *TableProbe) Allows(cmd string) bool {
	p.t.Helper()
	var allowed bool
	err := p.pool.QueryRow(context.Background(), `
		select case $2
				when 'update' then has_any_column_privilege('authenticated', $1::regclass, 'update')
				when 'select' then has_any_column_privilege('authenticated', $1::regclass, 'select')
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

// keyMatch matches the table's row t to the $1 JSON row by primary key. The key is read
// from the JSON rather than joined to a record of the table: Citus cannot send a record
// of a table with a dropped column to its workers.
func (p *TableProbe) keyMatch() string {
	var match []string
	for i, column := range p.table.PrimaryKey {
		match = append(match, fmt.Sprintf("t.%s = ($1::jsonb ->> '%[1]s')::%s", column, p.table.KeyTypes[i]))
	}
	return strings.Join(match, " and ")
}

// Run performs cmd (select, insert, update or delete) on the JSON row as the caller.
// An update sets assignment (column = value, in terms of the row t) or, when empty, the
// first column authenticated may update to itself. An insert first takes the row out,
// so that it fails only for the reason under test, and puts it back after.
func (p *TableProbe) Run(cmd string, row json.RawMessage, assignment string) Outcome {
	p.t.Helper()
	switch cmd {
	case "select":
		return p.RunSQL(fmt.Sprintf("select count(*) from public.%s t where %s", p.table.Name, p.keyMatch()), nil, row)
	case "update":
		if assignment == "" {
			assignment = fmt.Sprintf("%s = t.%[1]s", p.updatableColumn())
		}
		return p.RunSQL(fmt.Sprintf("update public.%s t set %s where %s", p.table.Name, assignment, p.keyMatch()), nil, row)
	case "delete":
		return p.RunSQL(fmt.Sprintf("delete from public.%s t where %s", p.table.Name, p.keyMatch()), nil, row)
	default:
		// A VALUES list, which Citus routes to one shard; it runs INSERT … SELECT through
		// COPY, which row-level security does not allow.
		columns := p.insertableColumns()
		values := make([]string, len(columns))
		for i, column := range columns {
			values[i] = fmt.Sprintf("(jsonb_populate_record(null::public.%s, $1::jsonb)).%s", p.table.Name, column)
		}
		insert := fmt.Sprintf("insert into public.%s (%s) values (%s)",
			p.table.Name, strings.Join(columns, ", "), strings.Join(values, ", "))
		p.withoutTriggers(fmt.Sprintf("delete from public.%s t where %s", p.table.Name, p.keyMatch()), row)
		defer p.withoutTriggers(insert, row)
		return p.RunSQL(insert, nil, row)
	}
}

// withoutTriggers runs statement as the superuser and commits (see RunAs), with triggers
// off on every node, so that taking the probed row out and putting it back cascades to
// nothing and runs no rule.
func (p *TableProbe) withoutTriggers(statement string, row json.RawMessage) {
	p.t.Helper()
	commitAsSuperuser(p.t, p.pool, "set local citus.propagate_set_commands = 'local'; set local session_replication_role = replica",
		[]string{statement}, row)
}

// Move tries to move the JSON row into another tenant.
func (p *TableProbe) Move(row json.RawMessage, tenantID uuid.UUID) Outcome {
	p.t.Helper()
	move := fmt.Sprintf("update public.%s t set %s = $2 where %s", p.table.Name, p.table.TenantColumn, p.keyMatch())
	return p.RunSQL(move, nil, row, tenantID)
}

// RunSQL runs statement as the caller, after the superuser's setup statements.
func (p *TableProbe) RunSQL(statement string, setup []string, args ...any) Outcome {
	p.t.Helper()
	return RunAs(p.t, p.pool, "authenticated", p.claims, setup, statement, args...)
}

// updatableColumn is a column authenticated may update, or the tenant column when there
// is none (the update is then refused, as it should be).
func (p *TableProbe) updatableColumn() string {
	p.t.Helper()
	columns := p.columns(`has_column_privilege('authenticated', attrelid, attname, 'update')`)
	if len(columns) == 0 {
		return p.table.TenantColumn
	}
	return columns[0]
}

// insertableColumns are the columns an insert can name: all but generated ones.
func (p *TableProbe) insertableColumns() []string {
	return p.columns("true")
}

func (p *TableProbe) columns(condition string) []string {
	p.t.Helper()
	rows, err := p.pool.Query(context.Background(), `
		select attname::text from pg_attribute
		where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = '' and `+condition+`
		order by attnum`, "public."+p.table.Name)
	if err != nil {
		p.t.Fatal(err)
	}
	columns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		p.t.Fatal(err)
	}
	return columns
}
