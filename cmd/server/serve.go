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
)

// runServe serves the HTTP API until ctx ends (SIGINT, SIGTERM), then lets in-flight
// requests finish and closes the pool.
func runServe(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	tokens, err := newVerifier()
	if err != nil {
		return err
	}
	pool, err := db.OpenPool(ctx, env("DATABASE_URL", defaultDatabaseURL), env("DATABASE_QUERY_EXEC_MODE", ""))
	if err != nil {
		return err
	}
	defer pool.Close()

	handler := api.New(api.Config{
		BaseDomain: env("APP_BASE_DOMAIN", ""),
		CursorKey:  cursorKey(),
		Invites:    supabaseAdmin(),
	}, db.DB{Pool: pool}, tokens)
	server := &http.Server{
		Addr:              env("HTTP_ADDR", ":8080"),
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	slog.Info("serving", "addr", server.Addr)
	if env("SUPABASE_JWT_SECRET", "") != "" {
		slog.Info("development token: go run ./cmd/server token --user <auth user uuid>")
	}
	listener, err := net.Listen("tcp", server.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serveUntilDone(ctx, server, listener)
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
	return auth.New(auth.Config{
		JWTSecret:   env("SUPABASE_JWT_SECRET", ""),
		RefuseHS256: !acceptHS256,
		SupabaseURL: env("SUPABASE_URL", ""),
		Audience:    env("JWT_AUDIENCE", auth.DefaultAudience),
	})
}

// cursorKey signs pagination cursors. It is derived from the JWT secret, so cursors stay
// valid across restarts and instances; without a secret each process has its own.
func cursorKey() []byte {
	secret := env("SUPABASE_JWT_SECRET", "")
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("atende pagination cursors"))
	return m.Sum(nil)
}
