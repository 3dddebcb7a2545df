package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tx is the transaction q runs in as a pgx.Tx, for a library that writes in its caller's
// transaction: River's InsertTx and JobCompleteTx, so that a job commits or rolls back
// with what caused it. The transaction's end belongs to DB: Begin, Commit and Rollback
// fail. Errors are pgx's own, not MapError's.
func Tx(q *Queries) (pgx.Tx, error) {
	m, ok := q.db.(mappingTx)
	if !ok {
		return nil, errors.New("db: the queries do not run in a transaction of DB")
	}
	return openTx{m.conn}, nil
}

// AsServiceInTx runs fn as service_role inside q's transaction, then switches back to the
// role the transaction had: for work that a member's request causes but may not do
// itself, such as queueing the job that sends their reply (the job queue's tables are
// service_role's, never authenticated's). The caller's claims stay set throughout.
func AsServiceInTx(ctx context.Context, q *Queries, fn func(tx pgx.Tx) error) error {
	tx, err := Tx(q)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	var previous string
	batch.Queue("select current_setting('role')").QueryRow(func(row pgx.Row) error { return row.Scan(&previous) })
	batch.Queue("select set_config('role', 'service_role', true)")
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("switch to service_role: %w", MapError(err))
	}
	if err := fn(tx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "select set_config('role', $1, true)", previous); err != nil {
		return fmt.Errorf("switch back to %s: %w", previous, MapError(err))
	}
	return nil
}

// openTx is a transaction DB opened on conn.
type openTx struct{ conn *pgxpool.Conn }

var errTxOwned = errors.New("db: the transaction is DB's to begin and end")

func (t openTx) Begin(context.Context) (pgx.Tx, error) { return nil, errTxOwned }
func (t openTx) Commit(context.Context) error          { return errTxOwned }
func (t openTx) Rollback(context.Context) error        { return errTxOwned }

func (t openTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, columns, rows)
}

func (t openTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t openTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t openTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Conn().Prepare(ctx, name, sql)
}

func (t openTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t openTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t openTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t openTx) Conn() *pgx.Conn { return t.conn.Conn() }
