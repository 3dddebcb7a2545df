package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB runs the generated queries inside transactions that carry the caller's identity.
// The pool's login role (atende_app) can read nothing by itself: every transaction first
// switches to authenticated or service_role, as PostgREST does, so RLS applies to every
// request and a code path that forgets to switch fails closed.
type DB struct {
	Pool *pgxpool.Pool
}

// AsCaller runs fn in one transaction as the authenticated user whose verified access
// token claims are given (a JSON object with at least "sub"). RLS policies see the user
// through auth.uid() and auth.jwt(). The transaction commits when fn returns nil.
// Errors from the queries are already classified (see MapError).
func (d DB) AsCaller(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "authenticated", string(claims), fn)
}

// AsService runs fn in one transaction as service_role, which bypasses RLS: tenant
// setup, webhooks and other privileged work. Its queries still take tenant_id.
func (d DB) AsService(ctx context.Context, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", "", fn)
}

// AsServiceFor is AsService on behalf of a verified caller: the claims are set as in
// AsCaller, so that auth.uid() names the caller, for privileged work a user asks for
// (creating their tenant).
func (d DB) AsServiceFor(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", string(claims), fn)
}

func (d DB) inTx(ctx context.Context, role, claims string, fn func(*Queries) error) error {
	err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		// Role and claims in one round trip; both are local to the transaction.
		if _, err := tx.Exec(ctx, "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", role, claims); err != nil {
			return fmt.Errorf("switch to %s: %w", role, err)
		}
		return fn(New(mappingTx{tx}))
	})
	return MapError(err)
}

// mappingTx classifies the errors of every generated query as they happen, so that code
// inside a transaction can test them with errors.Is.
type mappingTx struct{ tx pgx.Tx }

func (m mappingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := m.tx.Exec(ctx, sql, args...)
	return tag, MapError(err)
}

func (m mappingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := m.tx.Query(ctx, sql, args...)
	return mappingRows{rows}, MapError(err)
}

func (m mappingTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappingRow{m.tx.QueryRow(ctx, sql, args...)}
}

type mappingRow struct{ pgx.Row }

func (r mappingRow) Scan(dest ...any) error { return MapError(r.Row.Scan(dest...)) }

type mappingRows struct{ pgx.Rows }

func (r mappingRows) Scan(dest ...any) error { return MapError(r.Rows.Scan(dest...)) }

func (r mappingRows) Err() error { return MapError(r.Rows.Err()) }
