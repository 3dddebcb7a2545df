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

// OpenPool connects a pool to databaseURL and checks that the server answers.
//
// execMode overrides the query execution mode when not empty. Behind a transaction-mode
// pooler (Supavisor, PgBouncer) use "exec" or "simple_protocol": the default
// "cache_statement" keeps server-side prepared statements, which such a pooler cannot
// route. The same setting may also be given in the URL as default_query_exec_mode.
func OpenPool(ctx context.Context, databaseURL, execMode string) (*pgxpool.Pool, error) {
	config, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	if execMode != "" {
		mode, ok := queryExecModes[execMode]
		if !ok {
			return nil, fmt.Errorf("unknown query exec mode %q (want cache_statement, cache_describe, describe_exec, exec or simple_protocol)", execMode)
		}
		config.ConnConfig.DefaultQueryExecMode = mode
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
