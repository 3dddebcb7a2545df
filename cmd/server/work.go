package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/delivery"
	"github.com/atende/atende/whatsapp"
)

// runWork runs the delivery workers alone until ctx ends (SIGINT, SIGTERM), so that they
// scale apart from the API.
func runWork(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return errUsage
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
	d, err := newDelivery(database, true)
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return err
	}
	slog.Info("delivery workers running")
	<-ctx.Done()
	return stopDelivery(d)
}

// serveFlags are serve's options: --workers=false leaves the jobs to `server work`.
func serveFlags(args []string) (workers bool, err error) {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.BoolVar(&workers, "workers", true, "also run the delivery workers")
	if err := flags.Parse(args); err != nil || flags.NArg() != 0 {
		return false, errUsage
	}
	return workers, nil
}

// newDelivery configures delivery from the environment: WHATSAPP_GRAPH_URL,
// WHATSAPP_RATE_LIMIT (sends per second per phone number) and JOBS_POLL_ONLY (true behind
// a transaction-mode pooler, which cannot LISTEN). work runs the workers.
func newDelivery(database db.DB, work bool) (*delivery.Delivery, error) {
	rate, err := strconv.ParseFloat(env("WHATSAPP_RATE_LIMIT", "80"), 64)
	if err != nil || rate <= 0 {
		return nil, fmt.Errorf("WHATSAPP_RATE_LIMIT must be a positive number of sends per second, not %q", env("WHATSAPP_RATE_LIMIT", ""))
	}
	pollOnly, err := strconv.ParseBool(env("JOBS_POLL_ONLY", "false"))
	if err != nil {
		return nil, fmt.Errorf("JOBS_POLL_ONLY must be true or false: %w", err)
	}
	return delivery.New(database, delivery.Config{
		Graph:    graphClient(),
		Rate:     rate,
		Work:     work,
		PollOnly: pollOnly,
	})
}

// graphClient calls the Graph API at WHATSAPP_GRAPH_URL.
func graphClient() *whatsapp.Client {
	return whatsapp.NewClient(env("WHATSAPP_GRAPH_URL", whatsapp.DefaultGraphURL), 30*time.Second)
}

// stopDelivery lets running jobs finish for up to 30 s, then cancels them (they are
// retried; a send already made is recorded first).
func stopDelivery(d *delivery.Delivery) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.Stop(ctx)
}
