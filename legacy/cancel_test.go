package legacy_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
)

// cancelDuringMessages returns options that cancel the import from inside the COPY of
// the messages, after its first 100 rows.
func cancelDuringMessages(opts legacy.Options) (context.Context, legacy.Options, *bool) {
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := new(bool)
	opts.ProgressEvery = 100
	opts.Progress = func(table string, _ int) {
		if table == "messages" {
			*cancelled = true
			cancel()
		}
	}
	return ctx, opts, cancelled
}

func TestCancelledImportLeavesTheTenantAsItWas(t *testing.T) {
	t.Parallel()

	t.Run("existing tenant with rows (staging path)", func(t *testing.T) {
		t.Parallel()
		d := dbtest.New(t)
		tn := dbtest.SeedTenant(t, d, "clinica")
		before := snapshot(t, d, tn.ID)
		allBefore := countAll(t, d)

		ctx, opts, cancelled := cancelDuringMessages(legacy.Options{File: sampleFile, TenantSlug: "clinica"})
		_, err := legacy.Import(ctx, d.Admin, opts)
		if !*cancelled || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled during the messages' COPY: %v; err = %v, want context.Canceled", *cancelled, err)
		}
		if after := snapshot(t, d, tn.ID); !maps.Equal(before, after) {
			t.Error("the cancelled import changed the tenant")
		}
		if allAfter := countAll(t, d); !maps.Equal(allBefore, allAfter) {
			t.Errorf("the cancelled import left rows: before %v, after %v", allBefore, allAfter)
		}
	})

	t.Run("new tenant (direct COPY path)", func(t *testing.T) {
		t.Parallel()
		d := dbtest.New(t)
		allBefore := countAll(t, d)
		ctx, opts, cancelled := cancelDuringMessages(legacy.Options{File: sampleFile, TenantSlug: "nova", CreateTenant: true, TenantName: "Nova"})
		_, err := legacy.Import(ctx, d.Admin, opts)
		if !*cancelled || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled during the messages' COPY: %v; err = %v, want context.Canceled", *cancelled, err)
		}
		if allAfter := countAll(t, d); !maps.Equal(allBefore, allAfter) {
			t.Errorf("the cancelled import left rows (or the tenant): before %v, after %v", allBefore, allAfter)
		}
	})
}

func TestConcurrentImportIsRefused(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	createTenant(t, d, "clinica")

	// Another import holds the tenant's lock (the key documented in lockTenant).
	holder, err := d.Admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "select pg_advisory_xact_lock(hashtextextended('atende.import-sqlite/' || $1, 0))", "clinica"); err != nil {
		t.Fatal(err)
	}
	before := countAll(t, d)
	if _, err := legacy.Import(ctx, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica"}); !errors.Is(err, legacy.ErrImportRunning) {
		t.Fatalf("second import: err = %v, want ErrImportRunning", err)
	}
	if after := countAll(t, d); !maps.Equal(before, after) {
		t.Errorf("the refused import wrote: %v -> %v", before, after)
	}

	// Once the first one ends, the import runs.
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if report := mustImport(t, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica"}); !report.Landed {
		t.Error("import after the lock was released did not land")
	}
}
