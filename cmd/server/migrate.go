package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/atende/atende/db"
)

// runMigrate applies (up), rolls back one (down) or lists (status) the embedded
// migrations on DATABASE_ADMIN_URL. Up also applies the job queue's (River's) own
// migrations, in schema river; down and status are ours alone.
func runMigrate(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errUsage
	}
	sqlDB, err := db.OpenAdmin(adminDatabaseURL())
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	migrator, err := db.NewMigrator(ctx, sqlDB)
	if err != nil {
		return err
	}

	switch args[0] {
	case "up":
		results, err := migrator.Up(ctx)
		for _, r := range results {
			fmt.Printf("applied %s (%s)\n", r.Source.Path, r.Duration)
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		jobVersions, err := db.MigrateJobQueue(ctx, sqlDB)
		for _, v := range jobVersions {
			fmt.Printf("applied job queue (River) migration %d in schema %s\n", v, db.JobSchema)
		}
		if err != nil {
			return err
		}
		if len(results) == 0 && len(jobVersions) == 0 {
			fmt.Println("no pending migrations")
		}
	case "down":
		r, err := migrator.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Printf("rolled back %s (%s)\n", r.Source.Path, r.Duration)
	case "status":
		statuses, err := migrator.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "MIGRATION\tSTATE\tAPPLIED AT")
		for _, s := range statuses {
			applied := ""
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", s.Source.Path, s.State, applied)
		}
		return w.Flush()
	default:
		return errUsage
	}
	return nil
}
