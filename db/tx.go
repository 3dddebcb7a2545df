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
	// Distributed: the database is a Citus coordinator, whose workers run the policies
	// and see the caller only through SET LOCAL (private.share_caller, migration 00041).
	Distributed bool
}

// switchRole sets, for the transaction only, the role and the verified claims (as
// PostgREST does) and the time limits of its statements. It also sets the claims' sub
// as request.jwt.claim.sub, where auth.uid() looks first: each call otherwise parses the
// claims as JSON (10 µs for a Supabase access token's, 0.5 µs from the setting), and a
// request calls it at least twice (the users policy, the caller's lookup). The sub comes
// from Go when the caller's id is at hand ($5), else from the claims, parsed once.
const switchRole = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
	set_config('request.jwt.claim.sub', coalesce(nullif($5, ''), nullif($2, '')::jsonb ->> 'sub', ''), true),
	set_config('statement_timeout', $3, true), set_config('lock_timeout', $4, true)`

// shareCaller repeats the role switch's claims, and the caller they name, as SET LOCAL,
// which Citus carries to the workers.
const shareCaller = `select private.share_caller()`

// AsCaller runs fn in one transaction as the authenticated user whose verified access
// token claims are given (a JSON object with at least "sub"). RLS policies see the user
// through auth.uid() and auth.jwt(). The transaction commits when fn returns nil.
// Errors from the queries are already classified (see MapError).
func (d DB) AsCaller(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "authenticated", string(claims), "", nil, fn)
}

// ErrNoProfile: the caller of AsUser has no profile, which means their account is gone.
var ErrNoProfile = errors.New("the caller has no profile: the account was deleted")

// AsUser is AsCaller for the user userID (the claims' sub), whose profile and standing
// (UserGetCaller) come in the same round trip as the transaction's start.
func (d DB) AsUser(ctx context.Context, claims json.RawMessage, userID uuid.UUID, fn func(*Queries, UserGetCallerRow) error) error {
	var caller UserGetCallerRow
	getCaller := func(q *Queries) (err error) {
		caller, err = q.UserGetCaller(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return ErrNoProfile
		}
		return err
	}
	return d.inTx(ctx, "authenticated", string(claims), userID.String(), []Batched{getCaller}, func(q *Queries) error { return fn(q, caller) })
}

// AsService runs fn in one transaction as service_role, which bypasses RLS: tenant
// setup, webhooks and other privileged work. Its queries still take tenant_id.
func (d DB) AsService(ctx context.Context, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", "", "", nil, fn)
}

// AsServiceBatch runs queries in one transaction as service_role, in one round trip:
// BEGIN, the role switch, every query and COMMIT go to the server together, and the
// queries run in order, each seeing what the previous ones did. It is for short, fixed
// work such as a webhook's: nothing can be decided between the queries.
func (d DB) AsServiceBatch(ctx context.Context, queries ...Batched) error {
	return d.inTx(ctx, "service_role", "", "", queries, nil)
}

// AsServiceFor is AsService on behalf of a verified caller: the claims are set as in
// AsCaller, so that auth.uid() names the caller, for privileged work a user asks for
// (creating their tenant).
func (d DB) AsServiceFor(ctx context.Context, claims json.RawMessage, fn func(*Queries) error) error {
	return d.inTx(ctx, "service_role", string(claims), "", nil, fn)
}

// Batched is one generated query sent in a batch: it is called twice, first to record
// the query's SQL and arguments, then to read its result, so it must call exactly one
// method of q with the same arguments both times and keep what it reads. The error it
// returns for the result aborts the transaction.
type Batched func(q *Queries) error

// inTx runs a transaction as role with the claims (and their sub, when known: ""
// otherwise): BEGIN, the role switch and the batched queries go
// in one round trip, then fn's queries, then COMMIT. Without fn, COMMIT goes with the
// batch.
func (d DB) inTx(ctx context.Context, role, claims, sub string, batched []Batched, fn func(*Queries) error) (err error) {
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
	batch.Queue(switchRole, role, claims, timeout(d.StatementTimeout, 5*time.Second), timeout(d.LockTimeout, 2*time.Second), sub)
	if d.Distributed {
		batch.Queue(shareCaller)
	}
	recorder := New(batchRecorder{batch})
	for _, query := range batched {
		if err := query(recorder); !errors.Is(err, errRecorded) {
			return fmt.Errorf("db: a batched function must call one query, got %w", err)
		}
	}
	if fn == nil {
		batch.Queue("commit")
	}
	open = true
	if err := readBatch(conn.SendBatch(ctx, batch), role, d.Distributed, batched, fn == nil); err != nil {
		return err
	}
	if fn == nil {
		open = false
		return nil
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

// readBatch reads the results of a batch inTx sent, in order.
func readBatch(results pgx.BatchResults, role string, shared bool, batched []Batched, committed bool) error {
	if _, err := results.Exec(); err != nil {
		results.Close()
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := results.Exec(); err != nil {
		results.Close()
		return fmt.Errorf("switch to %s: %w", role, err)
	}
	if shared {
		if _, err := results.Exec(); err != nil {
			results.Close()
			return fmt.Errorf("share the caller with the workers: %w", err)
		}
	}
	reader := New(batchResults{results})
	for _, query := range batched {
		if err := query(reader); err != nil {
			results.Close()
			return err
		}
	}
	if committed {
		if _, err := results.Exec(); err != nil {
			results.Close()
			return fmt.Errorf("commit: %w", err)
		}
	}
	return results.Close()
}

// timeout is a duration as PostgreSQL reads it, or the fallback for zero.
func timeout(d, fallback time.Duration) string {
	if d <= 0 {
		d = fallback
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// errRecorded ends a Batched function's first call, once its query is queued.
var errRecorded = errors.New("query recorded")

// batchRecorder queues the query a generated method sends instead of sending it.
type batchRecorder struct{ batch *pgx.Batch }

func (b batchRecorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	b.batch.Queue(sql, args...)
	return recordedRow{}
}

func (b batchRecorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b.batch.Queue(sql, args...)
	return pgconn.CommandTag{}, errRecorded
}

func (b batchRecorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	b.batch.Queue(sql, args...)
	return nil, errRecorded
}

type recordedRow struct{}

func (recordedRow) Scan(...any) error { return errRecorded }

// batchResults answers a generated method with the next result of the batch its query
// was queued in.
type batchResults struct{ results pgx.BatchResults }

func (b batchResults) QueryRow(context.Context, string, ...any) pgx.Row {
	return mappingRow{b.results.QueryRow()}
}

func (b batchResults) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	tag, err := b.results.Exec()
	return tag, MapError(err)
}

func (b batchResults) Query(context.Context, string, ...any) (pgx.Rows, error) {
	rows, err := b.results.Query()
	return mappingRows{rows}, MapError(err)
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
