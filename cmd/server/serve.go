package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/atende/atende/live"
	"github.com/jackc/pgx/v5"
)

// runServe serves the HTTP API, and runs the delivery workers unless --workers=false,
// until ctx ends (SIGINT, SIGTERM); then it lets in-flight requests and running jobs
// finish and closes the pool.
func runServe(ctx context.Context, args []string) error {
	workers, err := serveFlags(args)
	if err != nil {
		return err
	}
	tokens, err := newVerifier()
	if err != nil {
		return err
	}
	settings, err := serverSettings()
	if err != nil {
		return err
	}
	database, err := settings.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer database.Pool.Close()

	cursors, err := cursorKey()
	if err != nil {
		return err
	}
	// Live events listen on a session connection of their own: a transaction-mode
	// pooler in DATABASE_URL cannot LISTEN.
	directURL := env("DATABASE_DIRECT_URL", env("DATABASE_URL", defaultDatabaseURL))
	perUser, err := envInt("EVENT_STREAMS_PER_USER", 5)
	if err != nil {
		return err
	}
	perTenant, err := envInt("EVENT_STREAMS_PER_TENANT", 500)
	if err != nil {
		return err
	}
	events := live.NewHub(live.Config{
		Connect:   func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, directURL) },
		PerUser:   perUser,
		PerTenant: perTenant,
	})
	go events.Run(ctx)

	outbox, err := newDelivery(database, workers)
	if err != nil {
		return err
	}
	if workers {
		if err := outbox.Start(ctx); err != nil {
			return err
		}
		defer func() {
			if err := stopDelivery(outbox); err != nil {
				slog.Error("stopping the delivery workers", "error", err)
			}
		}()
	}

	handler := api.New(api.Config{
		BaseDomain:         env("APP_BASE_DOMAIN", ""),
		CursorKey:          cursors,
		CORSAllowedOrigins: commaList(env("CORS_ALLOWED_ORIGINS", "")),
		Events:             events,
		Invites:            supabaseAdmin(),
		Fairness:           settings.fairness,
		Delivery:           outbox,
		WhatsApp: api.WhatsAppConfig{
			Graph:       graphClient(),
			AppSecret:   env("WHATSAPP_APP_SECRET", ""),
			VerifyToken: env("WHATSAPP_VERIFY_TOKEN", ""),
		},
	}, database, tokens)
	server := &http.Server{
		Addr:              env("HTTP_ADDR", ":8080"),
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Streams never go idle: end them at shutdown, and their clients reconnect elsewhere.
	server.RegisterOnShutdown(events.Disconnect)
	slog.Info("serving", "addr", server.Addr)
	if env("SUPABASE_JWT_SECRET", "") != "" {
		slog.Info("development token: make dev-token EMAIL=you@example.com")
	}
	listener, err := net.Listen("tcp", server.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serveUntilDone(ctx, server, listener)
}

// defaultPoolSize is the connection pool's size unless DATABASE_POOL_SIZE says otherwise:
// enough to keep PostgreSQL busy while some requests wait on the network or on a lock,
// few enough that the server does not thrash (pgx's own default, 4 on two CPUs, let one
// tenant's slow requests hold them all). Each tenant may use an eighth (Fairness).
const defaultPoolSize = 16

// settings are serve's tunables, from the environment.
type settings struct {
	pool                          db.PoolSettings
	statementTimeout, lockTimeout time.Duration
	fairness                      api.Fairness
}

func serverSettings() (settings, error) {
	var s settings
	var err error
	s.pool.ExecMode = env("DATABASE_QUERY_EXEC_MODE", "")
	if s.pool.MaxConns, err = envInt("DATABASE_POOL_SIZE", defaultPoolSize); err != nil {
		return s, err
	}
	if s.statementTimeout, err = envDuration("DATABASE_STATEMENT_TIMEOUT", 5*time.Second); err != nil {
		return s, err
	}
	if s.lockTimeout, err = envDuration("DATABASE_LOCK_TIMEOUT", 2*time.Second); err != nil {
		return s, err
	}
	s.fairness = api.DefaultFairness(s.pool.MaxConns)
	userRate, err := envInt("USER_RATE_LIMIT", int(s.fairness.UserRate))
	if err != nil {
		return s, err
	}
	s.fairness.UserRate = float64(userRate)
	for _, setting := range []struct {
		name   string
		target *int
	}{
		{"USER_RATE_BURST", &s.fairness.UserBurst},
		{"TENANT_MAX_IN_FLIGHT", &s.fairness.TenantInFlight},
		{"TENANT_QUEUE", &s.fairness.TenantQueue},
	} {
		if *setting.target, err = envInt(setting.name, *setting.target); err != nil {
			return s, err
		}
	}
	return s, nil
}

// openDatabase opens the pool on DATABASE_URL and the transactions on it, as the
// settings say; the caller closes the pool.
func (s settings) openDatabase(ctx context.Context) (db.DB, error) {
	pool, err := db.OpenPool(ctx, env("DATABASE_URL", defaultDatabaseURL), s.pool)
	if err != nil {
		return db.DB{}, err
	}
	distributed, err := db.IsDistributed(ctx, pool)
	if err != nil {
		pool.Close()
		return db.DB{}, err
	}
	return db.DB{Pool: pool, StatementTimeout: s.statementTimeout, LockTimeout: s.lockTimeout, Distributed: distributed}, nil
}

// serveUntilDone serves on listener until ctx ends, then stops accepting connections
// and waits up to 30 s for the requests in flight to finish.
func serveUntilDone(ctx context.Context, server *http.Server, listener net.Listener) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// newVerifier verifies Supabase tokens as SUPABASE_URL, SUPABASE_JWT_SECRET,
// JWT_AUDIENCE and JWT_ACCEPT_HS256 configure.
func newVerifier() (*auth.Verifier, error) {
	acceptHS256, err := strconv.ParseBool(env("JWT_ACCEPT_HS256", "true"))
	if err != nil {
		return nil, fmt.Errorf("JWT_ACCEPT_HS256 must be true or false: %w", err)
	}
	secret, supabaseURL := env("SUPABASE_JWT_SECRET", ""), env("SUPABASE_URL", "")
	if secret == "" && supabaseURL == "" {
		return nil, errors.New("neither SUPABASE_JWT_SECRET nor SUPABASE_URL is set: access tokens cannot be verified " +
			"(set SUPABASE_URL to the project's URL for its signing keys, and/or SUPABASE_JWT_SECRET to its legacy HS256 secret)")
	}
	verifier, err := auth.New(auth.Config{
		JWTSecret:   secret,
		RefuseHS256: !acceptHS256,
		SupabaseURL: supabaseURL,
		Audience:    env("JWT_AUDIENCE", auth.DefaultAudience),
	})
	if err != nil {
		return nil, fmt.Errorf("SUPABASE_JWT_SECRET or SUPABASE_URL: %w", err)
	}
	return verifier, nil
}

// cursorKey signs pagination cursors, with the same key on every replica so that a
// cursor from one is good on another: CURSOR_KEY, or one derived from the HS256 secret.
func cursorKey() ([]byte, error) {
	if key := env("CURSOR_KEY", ""); key != "" {
		if len(key) < 32 {
			return nil, errors.New("CURSOR_KEY must have at least 32 bytes")
		}
		return []byte(key), nil
	}
	secret := env("SUPABASE_JWT_SECRET", "")
	if secret == "" {
		return nil, errors.New("CURSOR_KEY is not set: with no SUPABASE_JWT_SECRET to derive it from, set it (32 bytes or more, the same on every replica) to sign list cursors")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("atende pagination cursors"))
	return m.Sum(nil), nil
}
