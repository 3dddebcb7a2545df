package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkRequests is how many requests (random targets) a wrk script cycles through.
const wrkRequests = 4096

// wrkLoad drives a read endpoint with wrk (Debian's package), a load generator written
// in C like pgbench, so that the API and its ceiling are measured with equally light
// clients: on the bench's two cores the Go client took 13 % of the CPU during the
// contact row, which the server and PostgreSQL then lacked.
type wrkLoad struct {
	binary      string
	dir         string
	connections int
	warmup      time.Duration
	duration    time.Duration
}

// wrkScript cycles each of wrk's threads through the requests from a random start, and
// reports what wrk measured as one line of JSON (latencies in µs).
const wrkScript = `
local requests = {}
local targets = {%s}
local i = 0
function init(args)
  for k, t in ipairs(targets) do
    requests[k] = wrk.format("GET", t[1], {["Authorization"] = "Bearer " .. t[2]})
  end
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%%x+)") or "0", 16))
  i = math.random(#requests)
end
function request()
  i = i %% #requests + 1
  return requests[i]
end
function done(summary, latency, requests)
  io.write(string.format('\n{"requests":%%d,"duration_us":%%d,"status":%%d,"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d,"p50":%%d,"p95":%%d,"p99":%%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
`

// wrkSummary is the line the script's done() writes.
type wrkSummary struct {
	Requests   int   `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Status     int   `json:"status"` // answers that were not 2xx or 3xx
	Connect    int   `json:"connect"`
	Read       int   `json:"read"`
	Write      int   `json:"write"`
	Timeout    int   `json:"timeout"`
	P50        int64 `json:"p50"`
	P95        int64 `json:"p95"`
	P99        int64 `json:"p99"`
}

// run measures name's requests, as next draws them, after a warmup run of its own.
func (w wrkLoad) run(ctx context.Context, name string, next func(*rand.Rand) (requestLine, error)) (LoadResult, error) {
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var targets strings.Builder
	var base string
	for range wrkRequests {
		req, err := next(rng)
		if err != nil {
			return LoadResult{}, err
		}
		base = req.base
		fmt.Fprintf(&targets, "{%s,%s},", strconv.Quote(req.path), strconv.Quote(req.token))
	}
	script := filepath.Join(w.dir, name+".wrk.lua")
	if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, targets.String()), 0o644); err != nil {
		return LoadResult{}, err
	}
	if _, err := w.once(ctx, script, base, w.warmup); err != nil {
		return LoadResult{}, err
	}
	s, err := w.once(ctx, script, base, w.duration)
	if err != nil {
		return LoadResult{}, err
	}
	// wrk counts the answers that were not 2xx or 3xx, not by kind: they are in Errors
	// only (a read endpoint's row should have none).
	failed := s.Connect + s.Read + s.Write + s.Timeout
	ok := s.Requests - s.Status
	return LoadResult{Requests: s.Requests, PerSecond: float64(ok) / (float64(s.DurationUS) / 1e6),
		P50ms: float64(s.P50) / 1e3, P95ms: float64(s.P95) / 1e3, P99ms: float64(s.P99) / 1e3,
		OK: ok, Failed: failed, Errors: s.Status + failed}, nil
}

// requestLine is what wrk needs of a read request: where, and whose token.
type requestLine struct {
	base, path, token string
}

// asRequestLines draws requests as lines for wrk.
func asRequestLines(next func(*rand.Rand) (*http.Request, error)) func(*rand.Rand) (requestLine, error) {
	return func(rng *rand.Rand) (requestLine, error) {
		req, err := next(rng)
		if err != nil {
			return requestLine{}, err
		}
		if req.Method != http.MethodGet {
			return requestLine{}, fmt.Errorf("wrk drives GET requests only, not %s %s", req.Method, req.URL.Path)
		}
		token, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		return requestLine{base: req.URL.Scheme + "://" + req.URL.Host, path: req.URL.RequestURI(), token: token}, nil
	}
}

// once runs wrk for d: two threads (the machine's cores, as pgbench's -j 2), the run's
// connections.
func (w wrkLoad) once(ctx context.Context, script, base string, d time.Duration) (wrkSummary, error) {
	seconds := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, w.binary, "-t2", "-c"+strconv.Itoa(w.connections), "-d"+strconv.Itoa(seconds)+"s",
		"--timeout", "10s", "-s", script, base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkSummary{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	line := out[bytes.LastIndexByte(bytes.TrimRight(out, "\n"), '\n')+1:]
	var s wrkSummary
	if err := json.Unmarshal(line, &s); err != nil {
		return wrkSummary{}, fmt.Errorf("wrk's summary %q: %w", line, err)
	}
	return s, nil
}
