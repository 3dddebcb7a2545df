package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/atende/atende/db"
	"github.com/jackc/pgx/v5"
)

// runDistribute handles `distribute [--shard-count N]`: on a Citus coordinator whose
// database is migrated and has its workers added, it distributes the schema
// (db.Distribute); run again, it changes nothing. On plain PostgreSQL it refuses.
func runDistribute(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("distribute", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	shardCount := flags.Int("shard-count", 32, "shards of the tenant tables, fixed once they are distributed")
	if err := flags.Parse(args); err != nil || flags.NArg() != 0 || *shardCount < 1 {
		return errUsage
	}
	conn, err := pgx.Connect(ctx, adminDatabaseURL())
	if err != nil {
		return fmt.Errorf("connect to the coordinator: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := db.Distribute(ctx, conn, *shardCount); err != nil {
		return err
	}
	fmt.Println("distributed: tenant tables by tenant_id, shared tables as reference tables (select * from citus_tables)")
	return nil
}
