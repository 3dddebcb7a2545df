package bench

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// LoadResult is what a load measured: the requests answered in the measured window,
// their latency percentiles (of every answer), the rate of successful ones, and the
// answers by kind.
type LoadResult struct {
	Requests  int     `json:"requests"`
	PerSecond float64 `json:"per_second"` // 2xx answers: a refusal is no throughput
	P50ms     float64 `json:"p50_ms"`
	P95ms     float64 `json:"p95_ms"`
	P99ms     float64 `json:"p99_ms"`
	OK        int     `json:"ok"`           // 2xx
	Status429 int     `json:"status_429"`   // rate limited
	Status4xx int     `json:"status_4xx"`   // other 4xx
	Status5xx int     `json:"status_5xx"`   // server errors, 503 (timeouts) included
	Failed    int     `json:"failed"`       // no answer: the connection or the client failed
	Errors    int     `json:"errors_total"` // everything answered but 2xx, and failures
	// Unfinished requests were still unanswered when the run ended; they are not in
	// Requests, but their ages are in the percentiles.
	Unfinished int `json:"unfinished"`
}

// A load is `workers` clients, each sending the next request as soon as the previous
// answer is read (or, with a pace, no sooner than pace after the previous one began),
// over keep-alive connections. The first `warmup` is not measured.
type load struct {
	client   *http.Client
	workers  int
	pace     time.Duration
	warmup   time.Duration
	duration time.Duration
	next     func(r *rand.Rand) (*http.Request, error)
}

// newClient is an HTTP client that keeps a connection per worker alive.
func newClient(workers int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
}

// sample is one answered request: its latency, and its status (0: none).
type sample struct {
	latency time.Duration
	status  int
}

// run drives the load and measures it. Requests still in flight at the end are cut
// (see summarize).
func (l load) run(ctx context.Context) (LoadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, l.warmup+l.duration)
	defer cancel()
	measureFrom := time.Now().Add(l.warmup)
	samples := make([][]sample, l.workers)
	errs := make([]error, l.workers)
	var wg sync.WaitGroup
	for w := range l.workers {
		wg.Go(func() {
			samples[w], errs[w] = l.worker(ctx, rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano()))), measureFrom)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return LoadResult{}, err
		}
	}
	if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
		return LoadResult{}, err // interrupted
	}
	return summarize(slices.Concat(samples...), l.duration), nil
}

func (l load) worker(ctx context.Context, r *rand.Rand, measureFrom time.Time) ([]sample, error) {
	var samples []sample
	for ctx.Err() == nil {
		req, err := l.next(r)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		status := 0
		resp, err := l.client.Do(req.WithContext(ctx))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		end := time.Now()
		if err != nil && ctx.Err() != nil {
			status = unfinished
		}
		if end.After(measureFrom) {
			samples = append(samples, sample{end.Sub(start), status})
		}
		if l.pace > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(start.Add(l.pace))):
			}
		}
	}
	return samples, nil
}

// unfinished is the status of a request still unanswered when the run ended.
const unfinished = -1

// summarize counts the answers in the window. A request unanswered at its end counts
// with its age then, a lower bound of its latency: a tenant whose requests never finish
// must not look fast for lack of answers.
func summarize(samples []sample, window time.Duration) LoadResult {
	var res LoadResult
	latencies := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		latencies = append(latencies, s.latency)
		switch {
		case s.status == unfinished:
			res.Unfinished++
		case s.status == 0:
			res.Failed++
		case s.status < 300:
			res.OK++
		case s.status == http.StatusTooManyRequests:
			res.Status429++
		case s.status < 500:
			res.Status4xx++
		default:
			res.Status5xx++
		}
	}
	res.Requests = len(samples) - res.Unfinished
	res.PerSecond = float64(res.OK) / window.Seconds()
	res.Errors = res.Requests - res.OK
	slices.Sort(latencies)
	res.P50ms, res.P95ms, res.P99ms = percentile(latencies, 0.50), percentile(latencies, 0.95), percentile(latencies, 0.99)
	return res
}

// percentile is the nearest-rank percentile q of sorted latencies, in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, max(0, int(math.Ceil(q*float64(len(sorted))))-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}
