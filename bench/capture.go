package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/atende/atende/api"
	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/atende/atende/delivery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A Transaction is what the server sends PostgreSQL for one request: its round trips in
// order. A round trip of more than one statement is a pgx batch, which pgbench replays
// as a pipeline.
type Transaction [][]Statement

// A Statement is one statement as pgx was given it.
type Statement struct {
	SQL  string
	Args []any
}

// Capture records, for each endpoint, the transaction the server sends for one request
// about the first target of the endpoint's kind; failed holds why an endpoint's request
// failed.
//
// This is the one definition of "the transaction the server sends", and it is derived,
// not written down: the API's own handler (api.New, as cmd/server builds it) serves the
// request in this process, on a pool to the bench database whose pgx tracer records
// every statement with its arguments — begin, the role switch, the caller lookup, the
// endpoint's queries, commit, whatever they are today. Each request is sent twice and
// the second recorded, so that per-process caches (tokens, hosts, secrets) are warm as
// under load. When the server's transaction changes, the replay changes with it; only a
// new kind of argument (see argText) or a new value a target must vary (see
// replayVariables) needs the bench to change.
func Capture(ctx context.Context, appURL string, verifier *auth.Verifier, endpoints []Endpoint, targets Targets) (captured map[string]Transaction, failed map[string]error, err error) {
	config, err := pgxpool.ParseConfig(appURL)
	if err != nil {
		return nil, nil, err
	}
	p := &prober{recorder: &recorder{}}
	config.ConnConfig.Tracer = p.recorder
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, nil, err
	}
	defer pool.Close()
	outbox, err := delivery.New(db.DB{Pool: pool}, delivery.Config{}) // queues a reply's job, as serve does
	if err != nil {
		return nil, nil, err
	}
	p.handler = api.New(api.Config{Delivery: outbox}, db.DB{Pool: pool}, verifier)
	// The handler logs to slog's default logger: its warnings and errors tell why a
	// request failed; its access log is not the bench's output.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&p.logged, &slog.HandlerOptions{Level: slog.LevelWarn})))

	captured, failed = map[string]Transaction{}, map[string]error{}
	for _, e := range endpoints {
		if tx, err := p.capture(ctx, e, &targets[e.Kind][0]); err != nil {
			failed[e.Name] = err
		} else {
			captured[e.Name] = tx
		}
	}
	return captured, failed, ctx.Err()
}

// prober sends requests to the in-process handler and records what they send.
type prober struct {
	handler  http.Handler
	recorder *recorder
	logged   bytes.Buffer
}

func (p *prober) capture(ctx context.Context, e Endpoint, target *Target) (Transaction, error) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2 {
		req, err := e.Request("http://127.0.0.1", target, r)
		if err != nil {
			return nil, err
		}
		p.recorder.start()
		p.logged.Reset()
		w := httptest.NewRecorder()
		p.handler.ServeHTTP(w, req.WithContext(ctx))
		if w.Code >= 300 {
			return nil, fmt.Errorf("%s %s answered %d: %s\n%s", req.Method, req.URL.Path, w.Code, w.Body, &p.logged)
		}
	}
	return p.recorder.stop(), nil
}

// recorder is a pgx tracer that keeps the round trips of the request being captured.
// Requests are captured one at a time, so one recording at a time is enough.
type recorder struct {
	mu    sync.Mutex
	trips Transaction
	batch []Statement
}

func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips = nil
}

func (r *recorder) stop() Transaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trips
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips = append(r.trips, []Statement{{SQL: data.SQL, Args: data.Args}})
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batch = nil
	return ctx
}

func (r *recorder) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batch = append(r.batch, Statement{SQL: data.SQL, Args: data.Args})
}

func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips = append(r.trips, r.batch)
	r.batch = nil
}

// String lists the round trips, a statement a line with its arguments.
func (tx Transaction) String() string {
	var b strings.Builder
	for i, trip := range tx {
		for j, s := range trip {
			mark := ""
			if j == 0 {
				mark = strconv.Itoa(i+1) + "."
			}
			args := make([]string, len(s.Args))
			for k, arg := range s.Args {
				text, null, err := argText(arg)
				switch {
				case err != nil:
					text = fmt.Sprintf("%v", arg)
				case null:
					text = "NULL"
				}
				args[k] = fmt.Sprintf("%.100q", text)
			}
			fmt.Fprintf(&b, "%-3s %s (%s)\n", mark, statementName(s.SQL), strings.Join(args, ", "))
		}
	}
	return b.String()
}
