package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB runs the generated queries inside transactions that carry the caller's identity.
// The pool's login role (atende_app) can read nothing by itself: every transaction first
// switches to authenticated or service_role, as PostgREST does, so RLS applies to every
// request and a code path that forgets to switch fails closed.
//
// A transaction costs as few round trips as its work allows: BEGIN, the role switch and
// (AsUser) the caller's profile go to the server together, then fn's queries, then
// COMMIT.
type DB struct {
	Pool *pgxpool.Pool
	// StatementTimeout and LockTimeout bound each statement of a transaction, so that one
	// tenant's slow statement or long wait cannot hold a connection of the shared pool
	// for long (defaults 5 s and 2 s).
	StatementTimeout, LockTimeout time.Duration
}

// switchRole sets, for the transaction only, the role and the verified claims (as
// PostgREST does) and the time limits of its statements.
const switchRole = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
	set_config('statement_timeout', $3, true), set_config('lock_timeout', $4, true)`

// AsCaller runs fn in one transaction as the authenticated user whose verified access
// token claims are given (a JSON object with at least "sub"). RLS policies see the user
// through auth.uid() and auth.jwt(). The transaction commits when fn returns nil.
// Errors from the queries are already classified (see MapError).
func (d DB) AsCaller(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "authenticated", string(claims), nil, fn)
}

// ErrNoProfile: the caller of AsUser has no profile, which means their account is gone.
var ErrNoProfile = errors.New("the caller has no profile: the account was deleted")

// AsUser is AsCaller for the user userID (the claims' sub), whose profile and standing
// (UserGetCaller) come in the same round trip as the transaction's start.
func (d DB) AsUser(ctx context.Context, claims json.RawMessage, userID uuid.UUID, fn func(*Queries, UserGetCallerRow) error) error {
	var caller UserGetCallerRow
	first := &firstQuery{sql: userGetCaller, args: []any{userID}, read: func(q *Queries) (err error) {
		caller, err = q.UserGetCaller(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return ErrNoProfile
		}
		return err
	}}
	return d.inTx(ctx, "authenticated", string(claims), first, func(q *Queries) error { return fn(q, caller) })
}

// AsService runs fn in one transaction as service_role, which bypasses RLS: tenant
// setup, webhooks and other privileged work. Its queries still take tenant_id.
func (d DB) AsService(ctx context.Context, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", "", nil, fn)
}

// AsServiceFor is AsService on behalf of a verified caller: the claims are set as in
// AsCaller, so that auth.uid() names the caller, for privileged work a user asks for
// (creating their tenant).
func (d DB) AsServiceFor(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", string(claims), nil, fn)
}

// firstQuery is a query sent with BEGIN and the role switch; read scans its result
// with the generated method that runs the same SQL.
type firstQuery struct {
	sql  string
	args []any
	read func(*Queries) error
}

func (d DB) inTx(ctx context.Context, role, claims string, first *firstQuery, fn func(*Queries) error) (err error) {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire a connection: %w", err)
	}
	defer conn.Release()

	open := false // whether the server has a transaction to end
	defer func() {
		if p := recover(); p != nil {
			if open {
				conn.Exec(context.WithoutCancel(ctx), "rollback")
			}
			panic(p)
		}
		if err != nil && open {
			// A failed or cancelled statement may have left the connection busy: a
			// connection whose rollback fails is closed rather than reused.
			if _, rollbackErr := conn.Exec(context.WithoutCancel(ctx), "rollback"); rollbackErr != nil {
				conn.Conn().Close(context.WithoutCancel(ctx))
			}
		}
		err = MapError(err)
	}()

	batch := &pgx.Batch{}
	batch.Queue("begin")
	batch.Queue(switchRole, role, claims, timeout(d.StatementTimeout, 5*time.Second), timeout(d.LockTimeout, 2*time.Second))
	if first != nil {
		batch.Queue(first.sql, first.args...)
	}
	results := conn.SendBatch(ctx, batch)
	open = true
	if _, err := results.Exec(); err != nil {
		results.Close()
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := results.Exec(); err != nil {
		results.Close()
		return fmt.Errorf("switch to %s: %w", role, err)
	}
	if first != nil {
		if err := first.read(New(batchResults{results})); err != nil {
			results.Close()
			return err
		}
	}
	if err := results.Close(); err != nil {
		return err
	}

	if err := fn(New(mappingTx{conn})); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "commit"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	open = false
	return nil
}

// timeout is a duration as PostgreSQL reads it, or the fallback for zero.
func timeout(d, fallback time.Duration) string {
	if d <= 0 {
		d = fallback
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// batchResults answers a generated query's QueryRow with the next result of a batch the
// same query was queued in.
type batchResults struct{ results pgx.BatchResults }

func (b batchResults) QueryRow(context.Context, string, ...any) pgx.Row {
	return mappingRow{b.results.QueryRow()}
}

func (b batchResults) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errors.New("db: only QueryRow reads a batch's results")
}

func (b batchResults) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errors.New("db: only QueryRow reads a batch's results")
}

// mappingTx classifies the errors of every generated query as they happen, so that code
// inside a transaction can test them with errors.Is.
type mappingTx struct{ conn *pgxpool.Conn }

func (m mappingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := m.conn.Exec(ctx, sql, args...)
	return tag, MapError(err)
}

func (m mappingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := m.conn.Query(ctx, sql, args...)
	return mappingRows{rows}, MapError(err)
}

func (m mappingTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappingRow{m.conn.QueryRow(ctx, sql, args...)}
}

type mappingRow struct{ pgx.Row }

func (r mappingRow) Scan(dest ...any) error { return MapError(r.Row.Scan(dest...)) }

type mappingRows struct{ pgx.Rows }

func (r mappingRows) Scan(dest ...any) error { return MapError(r.Rows.Scan(dest...)) }

func (r mappingRows) Err() error { return MapError(r.Rows.Err()) }
