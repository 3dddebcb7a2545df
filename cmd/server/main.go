// Command server is Atende's one binary: the HTTP API, migrations, the V1.5 importer,
// tenant administration and development tokens.
//
// Usage:
//
//	server migrate up|down|status
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  server migrate up|down|status   apply, roll back one, or list the migrations
`

// errUsage reports a command line the binary does not understand; main prints the usage.
var errUsage = errors.New("bad command line")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))

	err := run(ctx, os.Args[1:])
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
	case "migrate":
		return runMigrate(ctx, args[1:])
	default:
		return errUsage
	}
}
