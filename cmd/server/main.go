// Command server is Atende's one binary: the HTTP API, the delivery workers, migrations,
// the V1.5 importer, tenant administration and development tokens.
//
// Run it without arguments for the list of commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `usage:
  server serve [--workers=false]   serve the HTTP API (HTTP_ADDR, default :8080) and run the delivery workers
  server work                     run the delivery workers alone
  server migrate up|down|status   apply, roll back one, or list the migrations
  server distribute [--shard-count 32]   on a Citus coordinator, after migrate up: distribute the schema (idempotent)
  server tenant create --name N --slug S [--admin-email E]   create a tenant, invite its first admin
  server token --user UUID [--ttl 1h]   print a development access token (needs SUPABASE_JWT_SECRET)
  server dev-token --email E [--ttl 1h]   create the confirmed auth user E if missing (development only), print a token for it
  server import-sqlite --file PATH --tenant SLUG [--create-tenant --name NAME] [--dry-run] [--report-json FILE] [--legacy-timezone UTC]   import a V1.5 SQLite file
`

// errUsage reports a command line the binary does not understand; main prints the usage.
var errUsage = errors.New("bad command line")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logs := newBufferedLog(os.Stderr)
	go logs.flushEvery(ctx, time.Second)
	slog.SetDefault(slog.New(urgentFlush{slog.NewJSONHandler(logs, nil), logs}))

	err := run(ctx, os.Args[1:])
	logs.Flush()
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:])
	case "work":
		return runWork(ctx, args[1:])
	case "migrate":
		return runMigrate(ctx, args[1:])
	case "distribute":
		return runDistribute(ctx, args[1:])
	case "tenant":
		return runTenant(ctx, args[1:])
	case "token":
		return runToken(ctx, args[1:])
	case "dev-token":
		return runDevToken(ctx, args[1:])
	case "import-sqlite":
		return runImportSQLite(ctx, args[1:])
	default:
		return errUsage
	}
}
