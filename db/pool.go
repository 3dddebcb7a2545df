package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// queryExecModes names pgx's query execution modes as pgx's own connection-string
// parameter default_query_exec_mode does.
var queryExecModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// PoolSettings override what the database URL says (pgx's pool_max_conns and
// default_query_exec_mode parameters) when set.
type PoolSettings struct {
	// ExecMode is the query execution mode. Behind a transaction-mode pooler (Supavisor,
	// PgBouncer) use "exec" or "simple_protocol": the default "cache_statement" keeps
	// server-side prepared statements, which such a pooler cannot route.
	ExecMode string
	// MaxConns is the pool's size (pgx's default: the larger of 4 and the CPUs).
	MaxConns int
}

// OpenPool connects a pool to databaseURL and checks that the server answers.
func OpenPool(ctx context.Context, databaseURL string, settings PoolSettings) (*pgxpool.Pool, error) {
	config, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	if settings.ExecMode != "" {
		mode, ok := queryExecModes[settings.ExecMode]
		if !ok {
			return nil, fmt.Errorf("unknown query exec mode %q (want cache_statement, cache_describe, describe_exec, exec or simple_protocol)", settings.ExecMode)
		}
		config.ConnConfig.DefaultQueryExecMode = mode
	}
	if settings.MaxConns > 0 {
		config.MaxConns = int32(settings.MaxConns)
	}
	config.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}
