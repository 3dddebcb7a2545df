package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atende/atende/auth"
)

// Config is one run of the bench.
type Config struct {
	Database    Database
	Sizes       Sizes
	Duration    time.Duration // of each measurement
	Concurrency int           // HTTP clients, and pgbench's
	Only        []string      // endpoint names and "fairness"; empty: everything
	Keep        bool          // keep the database (and the run's directory) afterwards
	Log         io.Writer     // progress
}

// Fairness is the name of the fairness scenario for Config.Only.
const Fairness = "fairness"

const (
	// jwtSecret signs the bench's tokens; the server it starts trusts it.
	jwtSecret = "atende-bench-secret-for-the-bench-server-only"
	// warmup precedes every HTTP measurement: connections open, caches fill.
	warmup = time.Second
	// Tenant B of the fairness scenario is a few people at work: fairnessBWorkers clients,
	// each sending a request every fairnessBPace, well within B's users' rate limits.
	fairnessBWorkers = 3
	fairnessBPace    = 100 * time.Millisecond
)

// run is the state of one run.
type run struct {
	Config
	dir      string
	targets  Targets
	captured map[string]Transaction
	failed   map[string]error  // endpoints whose request fails: not measured
	replays  map[string]replay // the read endpoints'
	server   *server
	client   *http.Client
}

// Run prepares the database, starts the server and measures every selected endpoint,
// then the fairness scenario. The server is stopped, and unless Keep the database
// dropped, however Run ends.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	report := &Report{
		StartedAt: time.Now().UTC(), LoadBefore: loadAverage(), CPUs: runtime.NumCPU(),
		Sizes: cfg.Sizes, Duration: cfg.Duration.String(), Concurrency: cfg.Concurrency,
	}
	r := &run{Config: cfg, client: newClient(cfg.Concurrency)}
	fmt.Fprintf(r.Log, "load average %s (%d CPUs)\n", report.LoadBefore, report.CPUs)
	var err error
	if r.dir, err = os.MkdirTemp("", "atende-bench-"); err != nil {
		return nil, err
	}
	defer r.cleanUp()
	if err := r.setUp(ctx); err != nil {
		return nil, err
	}
	for _, e := range Endpoints {
		if !r.selected(e.Name) {
			continue
		}
		if err := r.failed[e.Name]; err != nil {
			fmt.Fprintf(r.Log, "%-13s not measured: %v\n", e.Name, err)
			report.Rows = append(report.Rows, Row{Endpoint: e.Name, Error: err.Error()})
			continue
		}
		row, err := r.measure(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		report.Rows = append(report.Rows, row)
	}
	if r.selected(Fairness) {
		if report.Fairness, err = r.fairness(ctx); err != nil {
			return nil, fmt.Errorf("fairness: %w", err)
		}
	}
	report.BigVsSmall = compareSizes(report.Rows)
	report.LoadAfter = loadAverage()
	return report, nil
}

func (r *run) selected(name string) bool { return len(r.Only) == 0 || slices.Contains(r.Only, name) }

// setUp seeds or reuses the database, draws the targets, captures every endpoint's
// transaction and starts the server.
func (r *run) setUp(ctx context.Context) error {
	if err := r.Database.Prepare(ctx, r.Sizes, r.Log); err != nil {
		return err
	}
	verifier, err := auth.New(auth.Config{JWTSecret: jwtSecret})
	if err != nil {
		return err
	}
	if r.targets, err = DrawTargets(ctx, r.Database, verifier); err != nil {
		return err
	}
	// Every read endpoint, selected or not: what they share tells each one's own
	// statements apart (replay.endpointPart).
	endpoints := slices.DeleteFunc(slices.Clone(Endpoints), func(e Endpoint) bool { return !e.Read && !r.selected(e.Name) })
	if r.captured, r.failed, err = Capture(ctx, r.Database.AppURL, verifier, endpoints, r.targets); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	r.replays = map[string]replay{}
	for _, e := range endpoints {
		tx, ok := r.captured[e.Name]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(r.dir, e.Name+".captured.txt"), []byte(tx.String()), 0o644); err != nil {
			return err
		}
		if e.Read {
			if r.replays[e.Name], err = compile(tx, r.targets[e.Kind][0]); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		}
	}
	fmt.Fprintln(r.Log, "building and starting the server…")
	binary, err := buildServer(ctx, r.dir)
	if err != nil {
		return err
	}
	r.server, err = startServer(ctx, binary, r.dir, r.Database.AppURL, jwtSecret)
	return err
}

// cleanUp stops the server and drops the database unless Keep, also after an interrupt.
func (r *run) cleanUp() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r.server != nil {
		r.server.stop()
	}
	if r.Keep {
		fmt.Fprintf(r.Log, "kept the database and %s (pgbench scripts, server log)\n", r.dir)
		return
	}
	os.RemoveAll(r.dir)
	if err := r.Database.Drop(ctx); err != nil {
		fmt.Fprintln(r.Log, "bench: drop the database:", err)
	}
}

// measure is one row: the API under load, then — for a read — pgbench replaying the
// same transaction (the ceiling), its endpoint's statements alone as the superuser (the
// bare queries) and the transaction as service_role, which bypasses RLS. They run back
// to back, so that their ratios share the machine's conditions.
func (r *run) measure(ctx context.Context, e Endpoint) (Row, error) {
	row := Row{Endpoint: e.Name, RoundTrips: len(r.captured[e.Name]), LoadAverage: loadAverage()}
	var err error
	row.API, err = load{client: r.client, workers: r.Concurrency, warmup: warmup, duration: r.Duration,
		next: r.pick(r.targets[e.Kind], e.Request)}.run(ctx)
	if err != nil {
		return row, err
	}
	fmt.Fprintf(r.Log, "%-13s load %s; API %s req/s, p99 %.2f ms", e.Name, row.LoadAverage, thousands(row.API.PerSecond), row.API.P99ms)
	defer fmt.Fprintln(r.Log)
	if !e.Read {
		return row, nil
	}
	tx := r.replays[e.Name]
	if row.CeilingTPS, err = r.pgbench(ctx, e, "ceiling", r.Database.AppURL, tx); err != nil {
		return row, err
	}
	row.APIPerCeiling = row.API.PerSecond / row.CeilingTPS
	if row.BareTPS, err = r.pgbench(ctx, e, "bare", r.Database.AdminURL, tx.endpointPart(slices.Collect(maps.Values(r.replays)))); err != nil {
		return row, err
	}
	fmt.Fprintf(r.Log, "; ceiling %s TPS, bare %s TPS", thousands(row.CeilingTPS), thousands(row.BareTPS))
	if off, ok := tx.asRole("service_role"); ok {
		if row.RLSOffTPS, err = r.pgbench(ctx, e, "rls-off", r.Database.AppURL, off); err != nil {
			return row, err
		}
		row.RLSOnPerOff = row.CeilingTPS / row.RLSOffTPS
		fmt.Fprintf(r.Log, ", RLS off %s TPS", thousands(row.RLSOffTPS))
	}
	return row, nil
}

func (r *run) pgbench(ctx context.Context, e Endpoint, variant, databaseURL string, tx replay) (float64, error) {
	script, defines := tx.script(e.Kind, len(r.targets[e.Kind]))
	return pgbench(ctx, r.dir, e.Name+"-"+variant, databaseURL, script, defines, r.Concurrency, r.Duration)
}

// pick is a load's next request: about a random one of targets.
func (r *run) pick(targets []Target, request requestFunc) func(*rand.Rand) (*http.Request, error) {
	return func(rng *rand.Rand) (*http.Request, error) {
		return request(r.server.URL, &targets[rng.IntN(len(targets))], rng)
	}
}

// fairness measures tenant B — a small tenant listing its contacts at a human pace —
// alone, then while tenant A, the big one, floods lead moves (to random places of its
// stages) and contact searches with the run's concurrency, half each, as fast as it is
// answered.
func (r *run) fairness(ctx context.Context) (*FairnessResult, error) {
	tenantB := r.targets[small][0].TenantID
	bTargets := slices.DeleteFunc(slices.Clone(r.targets[small]), func(t Target) bool { return t.TenantID != tenantB })
	tenantLoad := func(workers int, pace time.Duration, targets []Target, request requestFunc) load {
		return load{client: newClient(workers), workers: workers, pace: pace, warmup: warmup, duration: r.Duration, next: r.pick(targets, request)}
	}
	b := tenantLoad(fairnessBWorkers, fairnessBPace, bTargets, listContacts)
	res := &FairnessResult{BWorkers: fairnessBWorkers, BPerSecondPerWorker: float64(time.Second / fairnessBPace), AWorkers: r.Concurrency}
	var err error
	if res.BQuiet, err = b.run(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(r.Log, "fairness      B quiet p99 %.2f ms; flooding…\n", res.BQuiet.P99ms)
	moves := tenantLoad(max(1, r.Concurrency/2), 0, r.targets[big], moveLead(r.Sizes.Leads/len(leadStages)))
	searches := tenantLoad(max(1, r.Concurrency-r.Concurrency/2), 0, r.targets[big], searchContacts)
	var wg sync.WaitGroup
	var errB, errMoves, errSearches error
	wg.Go(func() { res.BFlooded, errB = b.run(ctx) })
	wg.Go(func() { res.AMoves, errMoves = moves.run(ctx) })
	wg.Go(func() { res.ASearch, errSearches = searches.run(ctx) })
	wg.Wait()
	if err := errors.Join(errB, errMoves, errSearches); err != nil {
		return nil, err
	}
	res.P50FloodedPerQuiet = res.BFlooded.P50ms / res.BQuiet.P50ms
	res.P99FloodedPerQuiet = res.BFlooded.P99ms / res.BQuiet.P99ms
	return res, nil
}

// compareSizes sets the big tenant's rows against the small tenants' (inbox-big against
// inbox, …).
func compareSizes(rows []Row) []SizeComparison {
	var out []SizeComparison
	for _, bigRow := range rows {
		name, ok := strings.CutSuffix(bigRow.Endpoint, "-big")
		if !ok {
			continue
		}
		for _, smallRow := range rows {
			if smallRow.Endpoint == name {
				out = append(out, SizeComparison{
					Endpoint:             name,
					PerSecondBigPerSmall: bigRow.API.PerSecond / smallRow.API.PerSecond,
					P50BigPerSmall:       bigRow.API.P50ms / smallRow.API.P50ms,
					P99BigPerSmall:       bigRow.API.P99ms / smallRow.API.P99ms,
					CeilingBigPerSmall:   bigRow.CeilingTPS / smallRow.CeilingTPS,
				})
			}
		}
	}
	return out
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages.
func loadAverage() string {
	text, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(text))[:3], " ")
}
