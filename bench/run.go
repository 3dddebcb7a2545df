package bench

import (
	"cmp"
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
	Rounds      int           // of a row's measurements, interleaved; the row reports medians
	Concurrency int           // HTTP clients, and pgbench's
	Only        []string      // endpoint names and "fairness"; empty: everything
	Keep        bool          // keep the database (and the run's directory) afterwards
	Wrk         string        // wrk's path, which loads the read endpoints; empty: the Go client
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
	// fairnessWindow is the shortest measurement of the scenario: a p99 wants a few
	// hundred answers (B's 30 a second give 600, its p99 the sixth slowest), not the
	// 150 of a 5 s window, whose p99 is its second slowest.
	fairnessWindow = 20 * time.Second
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
		Sizes: cfg.Sizes, Duration: cfg.Duration.String(), Concurrency: cfg.Concurrency, Rounds: cfg.Rounds, ReadClient: "go",
	}
	if cfg.Wrk != "" {
		report.ReadClient = "wrk"
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
// same transaction (the ceiling) and the transaction as service_role, which bypasses
// RLS, back to back, Rounds times over; then the endpoint's statements alone as the
// superuser (the bare queries). The row reports each measurement's median and each
// ratio's median over the rounds, every ratio taken within one round: on a shared
// machine the load changes from one minute to the next, not within a round.
func (r *run) measure(ctx context.Context, e Endpoint) (Row, error) {
	row := Row{Endpoint: e.Name, RoundTrips: len(r.captured[e.Name]), LoadAverage: loadAverage(), Rounds: r.Rounds}
	defer fmt.Fprintln(r.Log)
	fmt.Fprintf(r.Log, "%-13s load %s;", e.Name, row.LoadAverage)
	var apis []LoadResult
	var ceilings, offs, apiPerCeiling, onPerOff []float64
	tx, read := r.replays[e.Name]
	off, canSwitch := tx.asRole("service_role")
	for range r.Rounds {
		api, err := r.loadAPI(ctx, e)
		if err != nil {
			return row, err
		}
		apis = append(apis, api)
		fmt.Fprintf(r.Log, " API %s req/s", thousands(api.PerSecond))
		if !read {
			continue
		}
		ceiling, err := r.pgbench(ctx, e, "ceiling", r.Database.AppURL, tx)
		if err != nil {
			return row, err
		}
		ceilings, apiPerCeiling = append(ceilings, ceiling), append(apiPerCeiling, api.PerSecond/ceiling)
		fmt.Fprintf(r.Log, ", ceiling %s TPS", thousands(ceiling))
		if canSwitch {
			rlsOff, err := r.pgbench(ctx, e, "rls-off", r.Database.AppURL, off)
			if err != nil {
				return row, err
			}
			offs, onPerOff = append(offs, rlsOff), append(onPerOff, ceiling/rlsOff)
			fmt.Fprintf(r.Log, ", RLS off %s TPS", thousands(rlsOff))
		}
		fmt.Fprint(r.Log, ";")
	}
	slices.SortFunc(apis, func(a, b LoadResult) int { return cmp.Compare(a.PerSecond, b.PerSecond) })
	row.API = apis[len(apis)/2]
	if !read {
		return row, nil
	}
	row.CeilingTPS, row.APIPerCeiling = median(ceilings), median(apiPerCeiling)
	row.RLSOffTPS, row.RLSOnPerOff = median(offs), median(onPerOff)
	var err error
	if row.BareTPS, err = r.pgbench(ctx, e, "bare", r.Database.AdminURL, tx.endpointPart(slices.Collect(maps.Values(r.replays)))); err != nil {
		return row, err
	}
	fmt.Fprintf(r.Log, " bare %s TPS", thousands(row.BareTPS))
	return row, nil
}

// median is the middle of values (0 for none).
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(values))
	return sorted[len(sorted)/2]
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

// loadAPI measures the endpoint's requests under the run's concurrency: a read's with wrk
// when the run has it, as light a client as its ceiling's pgbench; anything else with the
// Go client, which can sign a webhook's body.
func (r *run) loadAPI(ctx context.Context, e Endpoint) (LoadResult, error) {
	next := r.pick(r.targets[e.Kind], e.Request)
	if e.Read && r.Wrk != "" {
		return wrkLoad{binary: r.Wrk, dir: r.dir, connections: r.Concurrency, warmup: warmup, duration: r.Duration}.run(ctx, e.Name, asRequestLines(next))
	}
	return load{client: r.client, workers: r.Concurrency, warmup: warmup, duration: r.Duration, next: next}.run(ctx)
}

// fairness measures tenant B — a small tenant listing its contacts at a human pace —
// alone, then while tenant A, the big one, floods lead moves (to random places of its
// stages) and contact searches with the run's concurrency, half each, as fast as it is
// answered.
func (r *run) fairness(ctx context.Context) (*FairnessResult, error) {
	tenantB := r.targets[small][0].TenantID
	bTargets := slices.DeleteFunc(slices.Clone(r.targets[small]), func(t Target) bool { return t.TenantID != tenantB })
	tenantLoad := func(workers int, pace time.Duration, targets []Target, request requestFunc) load {
		return load{client: newClient(workers), workers: workers, pace: pace, warmup: warmup, duration: max(r.Duration, fairnessWindow),
			next: r.pick(targets, request)}
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
