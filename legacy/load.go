package legacy

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// COPY of planned rows, written by hand rather than in sql/queries: sqlc cannot stream a
// COPY from a source that plans rows as it reads them, nor name the temporary staging
// tables that exist only inside the import's transaction. A table the tenant has no rows
// in yet is copied straight into place (a first import: nothing there can conflict, and
// the server inserts while the rows stream in); otherwise the rows are copied into a
// staging table shaped like the target and moved in by one INSERT ... SELECT that skips
// the ids already there. Any other conflict fails the statement, and so the whole
// import. Every statement filters or writes by the tenant.

// enumTypes are the enums the staging tables use; pgx must know them to COPY in binary.
var enumTypes = []string{
	"public.user_role", "public.lead_stage", "public.channel", "public.conversation_status",
	"public.message_direction", "public.sender_type", "public.message_status",
	"public.campaign_status", "public.campaign_event_type",
}

// registerEnums teaches conn's type map the enums (once per connection).
func registerEnums(ctx context.Context, conn *pgx.Conn) error {
	if _, ok := conn.TypeMap().TypeForName("public.channel"); ok {
		return nil
	}
	types, err := conn.LoadTypes(ctx, enumTypes)
	if err != nil {
		return fmt.Errorf("load enum types: %w", err)
	}
	conn.TypeMap().RegisterTypes(types)
	return nil
}

// copyTable is rows for one table, written by COPY.
type copyTable struct {
	legacy  string // the legacy table, for progress reports
	target  string // the schema-qualified new table
	columns []string
	count   int
	row     func(i int) []any
	// source, when set, streams the rows instead of count and row.
	source pgx.CopyFromSource
	// insert moves the staged rows into target: a format string naming the staging table
	// (%s), with $1 the tenant id, returning the ids it inserted. By default the rows
	// whose (tenant_id, id) is not there yet move in.
	insert string
}

func (ct copyTable) stage() string { return "import_" + strings.ReplaceAll(ct.target, ".", "_") }

func (ct copyTable) insertSQL() string {
	if ct.insert != "" {
		return fmt.Sprintf(ct.insert, ct.stage())
	}
	cols := strings.Join(ct.columns, ", ")
	return fmt.Sprintf("insert into %s (%s) select %s from %s where tenant_id = $1 on conflict (tenant_id, id) do nothing returning id",
		ct.target, cols, cols, ct.stage())
}

// copier writes copyTables inside the import's transaction.
type copier struct {
	tx       pgx.Tx
	tenantID uuid.UUID
	progress func(table string, rows int)
	every    int
}

// copyDirect copies ct's rows straight into its table.
func (c *copier) copyDirect(ctx context.Context, ct copyTable) error {
	if _, err := c.tx.CopyFrom(ctx, pgx.Identifier(strings.Split(ct.target, ".")), ct.columns, c.source(ctx, ct)); err != nil {
		return fmt.Errorf("copy %s: %w", ct.target, err)
	}
	return nil
}

// copyStaged copies ct's rows into a staging table and moves in those the tenant does
// not have yet: it returns their ids.
func (c *copier) copyStaged(ctx context.Context, ct copyTable) ([]uuid.UUID, error) {
	cols := strings.Join(ct.columns, ", ")
	// Same column types as the target, none of its constraints; dropped at commit.
	create := fmt.Sprintf("create temp table %s on commit drop as select %s from %s with no data", ct.stage(), cols, ct.target)
	if _, err := c.tx.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("stage %s: %w", ct.target, err)
	}
	if _, err := c.tx.CopyFrom(ctx, pgx.Identifier{ct.stage()}, ct.columns, c.source(ctx, ct)); err != nil {
		return nil, fmt.Errorf("copy %s: %w", ct.target, err)
	}
	rows, err := c.tx.Query(ctx, ct.insertSQL(), c.tenantID)
	if err != nil {
		return nil, fmt.Errorf("insert %s: %w", ct.target, err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("insert %s: %w", ct.target, err)
	}
	return inserted, nil
}

// source streams ct's rows to COPY, reporting progress.
func (c *copier) source(ctx context.Context, ct copyTable) pgx.CopyFromSource {
	if ct.source != nil {
		return ct.source
	}
	return pgx.CopyFromSlice(ct.count, func(i int) ([]any, error) {
		// COPY runs as long as rows come: stop it as soon as the import is cancelled.
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if c.progress != nil && i > 0 && i%c.every == 0 {
			c.progress(ct.legacy, i)
		}
		return ct.row(i), nil
	})
}
