package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/atende/atende/sql/citus"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotCitus: the database has no Citus, so there is nothing to distribute.
var ErrNotCitus = errors.New("this database is not a Citus coordinator (no citus extension): on a single PostgreSQL there is nothing to distribute")

// Distribute turns a migrated database on a Citus coordinator into its distributed form:
// the steps of sql/citus in order, each doing nothing when already done, so that it can
// be run again (after a later migration, or after a failure). shardCount is the number
// of shards of the tenant tables' colocation group, fixed when the first is distributed.
// It needs a connection of its own (session settings) as the tables' owner.
func Distribute(ctx context.Context, conn *pgx.Conn, shardCount int) error {
	var citusInstalled bool
	var workers int
	err := conn.QueryRow(ctx, `select exists (select from pg_extension where extname = 'citus')`).Scan(&citusInstalled)
	if err != nil {
		return fmt.Errorf("look for citus: %w", err)
	}
	if !citusInstalled {
		return ErrNotCitus
	}
	if err := conn.QueryRow(ctx, `select count(*) from pg_dist_node where groupid <> 0 and noderole = 'primary' and isactive`).Scan(&workers); err != nil {
		return fmt.Errorf("list the workers: %w", err)
	}
	if workers == 0 {
		return errors.New("the coordinator has no workers: run select citus_add_node(host, port) for each worker in this database first")
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("set citus.shard_count = %d", shardCount)); err != nil {
		return fmt.Errorf("set the shard count: %w", err)
	}
	steps, err := fs.Glob(citus.FS, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(steps)
	for _, step := range steps {
		sql, err := fs.ReadFile(citus.FS, step)
		if err != nil {
			return err
		}
		// The file goes in one simple query, its statements in one implicit transaction.
		// A result column named run lists statements to run next, each in a transaction of
		// its own: Citus converts tables one transaction at a time.
		results, err := conn.PgConn().Exec(ctx, string(sql)).ReadAll()
		if err != nil {
			return fmt.Errorf("distribute, step %s: %w", step, err)
		}
		for _, result := range results {
			if len(result.FieldDescriptions) != 1 || result.FieldDescriptions[0].Name != "run" {
				continue
			}
			for _, row := range result.Rows {
				if _, err := conn.Exec(ctx, string(row[0])); err != nil {
					return fmt.Errorf("distribute, step %s: %s: %w", step, row[0], err)
				}
			}
		}
	}
	return nil
}

// IsDistributed reports whether pool's database was distributed by Distribute, which
// has Citus carry SET LOCAL commands to the workers: then DB.Distributed must be set.
func IsDistributed(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var distributed bool
	err := pool.QueryRow(ctx, `select current_setting('citus.propagate_set_commands', true) is not distinct from 'local'`).Scan(&distributed)
	if err != nil {
		return false, fmt.Errorf("ask whether the database is distributed: %w", err)
	}
	return distributed, nil
}
