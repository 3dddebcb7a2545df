// Command bench measures the API against PostgreSQL's own ceiling on a seeded database
// and prints one table (`make bench`; package bench says how). Run it from the module's
// root: it builds ./cmd/server.
//
//	go run ./cmd/bench [--duration 5s] [--rounds 5] [--concurrency 32] [--only contact,inbox] [--keep] …
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/atende/atende/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	databaseURL := flags.String("database-url", "postgres://postgres@127.0.0.1:5432/atende_bench?sslmode=disable",
		"superuser URL of the bench database, which is created, seeded and dropped (atende_app reaches it on the same host)")
	cfg := bench.Config{Log: os.Stderr}
	flags.DurationVar(&cfg.Duration, "duration", 5*time.Second, "length of each measurement")
	flags.IntVar(&cfg.Rounds, "rounds", 5, "rounds of each row's measurements (API, ceiling, RLS off), interleaved: the row reports medians (a round's ratios move by ±0.1 on a shared 2-core machine)")
	flags.IntVar(&cfg.Concurrency, "concurrency", 32, "HTTP clients, and pgbench clients")
	flags.IntVar(&cfg.Sizes.Tenants, "tenants", 200, "small tenants")
	flags.IntVar(&cfg.Sizes.SmallMessages, "small-messages", 2000, "messages of each small tenant")
	flags.IntVar(&cfg.Sizes.BigMessages, "big-messages", 1_000_000, "messages of the big tenant")
	flags.IntVar(&cfg.Sizes.Leads, "leads", 100_000, "leads of the big tenant (tenant A of the fairness scenario)")
	only := flags.String("only", "", "comma list of what to measure, from: "+strings.Join(names(), ", "))
	jsonPath := flags.String("json", "bench-results.json", "where to write the results as JSON")
	flags.BoolVar(&cfg.Keep, "keep", false, "keep the bench database (the next run with the same sizes reuses it) and the run's directory")
	client := flags.String("client", "wrk", "what loads the read endpoints: wrk (a C client, as light as pgbench; apt-get install wrk) or go")
	if err := flags.Parse(args); err != nil {
		return err
	}
	switch *client {
	case "wrk":
		var err error
		if cfg.Wrk, err = exec.LookPath("wrk"); err != nil {
			return fmt.Errorf("--client wrk: %w (apt-get install wrk, or --client go)", err)
		}
	case "go":
	default:
		return fmt.Errorf("--client: %q is neither wrk nor go", *client)
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
		for _, name := range cfg.Only {
			if !slices.Contains(names(), name) {
				return fmt.Errorf("--only: unknown %q (want some of %s)", name, strings.Join(names(), ", "))
			}
		}
	}
	if cfg.Concurrency < 1 || cfg.Rounds < 1 || cfg.Sizes.Tenants < 1 || cfg.Sizes.Leads < 6 || cfg.Duration < time.Second {
		return fmt.Errorf("--concurrency, --rounds and --tenants must be at least 1, --leads at least 6 and --duration at least 1s")
	}
	var err error
	if cfg.Database, err = bench.NewDatabase(*databaseURL); err != nil {
		return err
	}
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	report.Print(os.Stdout)
	return report.WriteJSON(*jsonPath)
}

// names are what --only accepts.
func names() []string {
	var all []string
	for _, e := range bench.Endpoints {
		all = append(all, e.Name)
	}
	return append(all, bench.Fairness)
}
