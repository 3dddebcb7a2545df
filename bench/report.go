package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Report is a run's results: what Print shows and the JSON file holds.
type Report struct {
	StartedAt   time.Time        `json:"started_at"`
	LoadBefore  string           `json:"load_average_before"`
	LoadAfter   string           `json:"load_average_after"`
	CPUs        int              `json:"cpus"`
	Sizes       Sizes            `json:"sizes"`
	Duration    string           `json:"duration"`
	Concurrency int              `json:"concurrency"`
	Rounds      int              `json:"rounds"`
	ReadClient  string           `json:"read_client"` // what loaded the read endpoints: wrk or go
	Rows        []Row            `json:"rows"`
	BigVsSmall  []SizeComparison `json:"big_vs_small,omitempty"`
	Fairness    *FairnessResult  `json:"fairness,omitempty"`
}

// Row is one endpoint. The pgbench figures are zero for writes, which are not replayed.
type Row struct {
	Endpoint      string     `json:"endpoint"`
	LoadAverage   string     `json:"load_average"` // as the row began
	API           LoadResult `json:"api"`
	RoundTrips    int        `json:"round_trips"` // per request, as captured
	Rounds        int        `json:"rounds"`      // of interleaved measurements, whose medians these are
	CeilingTPS    float64    `json:"ceiling_tps,omitempty"`
	APIPerCeiling float64    `json:"api_per_ceiling,omitempty"`
	BareTPS       float64    `json:"bare_tps,omitempty"`
	RLSOffTPS     float64    `json:"rls_off_tps,omitempty"`
	RLSOnPerOff   float64    `json:"rls_on_per_off,omitempty"`
	Error         string     `json:"error,omitempty"` // why it was not measured
}

// SizeComparison is an endpoint on the big tenant against the same on small tenants.
type SizeComparison struct {
	Endpoint             string  `json:"endpoint"`
	PerSecondBigPerSmall float64 `json:"per_second_big_per_small"`
	P50BigPerSmall       float64 `json:"p50_big_per_small"`
	P99BigPerSmall       float64 `json:"p99_big_per_small"`
	CeilingBigPerSmall   float64 `json:"ceiling_big_per_small"`
}

// FairnessResult is tenant B's latency alone and under tenant A's flood.
type FairnessResult struct {
	BWorkers            int        `json:"b_workers"`
	BPerSecondPerWorker float64    `json:"b_per_second_per_worker"`
	AWorkers            int        `json:"a_workers"`
	BQuiet              LoadResult `json:"b_quiet"`
	BFlooded            LoadResult `json:"b_flooded"`
	AMoves              LoadResult `json:"a_moves"`
	ASearch             LoadResult `json:"a_searches"`
	P50FloodedPerQuiet  float64    `json:"b_p50_flooded_per_quiet"`
	P99FloodedPerQuiet  float64    `json:"b_p99_flooded_per_quiet"`
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	text, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(text, '\n'), 0o644)
}

// Print writes the table (Markdown, so that it can be pasted as it is), then the big
// against small and fairness lines and the load averages.
func (r *Report) Print(w io.Writer) {
	table := [][]string{{"endpoint", "API req/s", "p50 ms", "p95 ms", "p99 ms", "ceiling TPS", "API÷ceiling", "bare TPS", "RLS on÷off", "round trips", "non-2xx"}}
	for _, row := range r.Rows {
		if row.Error != "" {
			table = append(table, []string{row.Endpoint, "not measured", "—", "—", "—", "—", "—", "—", "—", "—", "—"})
			continue
		}
		table = append(table, []string{
			row.Endpoint, thousands(row.API.PerSecond), decimal(row.API.P50ms), decimal(row.API.P95ms), decimal(row.API.P99ms),
			thousands(row.CeilingTPS), decimal(row.APIPerCeiling), thousands(row.BareTPS), decimal(row.RLSOnPerOff),
			strconv.Itoa(row.RoundTrips), strconv.Itoa(row.API.Errors),
		})
	}
	printMarkdown(w, table)
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		if row.Error != "" {
			fmt.Fprintf(w, "%s: not measured: %s\n", row.Endpoint, strings.TrimSpace(row.Error))
		}
	}
	for _, c := range r.BigVsSmall {
		fmt.Fprintf(w, "big ÷ small, %s: API req/s %s, p50 %s, p99 %s (the big tenant alone, within its share of the server); ceiling %s (the data alone)\n",
			c.Endpoint, decimal(c.PerSecondBigPerSmall), decimal(c.P50BigPerSmall), decimal(c.P99BigPerSmall), decimal(c.CeilingBigPerSmall))
	}
	if f := r.Fairness; f != nil {
		fmt.Fprintf(w, "fairness, tenant B (GET /contacts, %d clients at %g req/s): p50/p99 quiet %s/%s ms (%d answered), flooded %s/%s ms (%d answered): flooded ÷ quiet p50 %s, p99 %s\n",
			f.BWorkers, f.BPerSecondPerWorker, decimal(f.BQuiet.P50ms), decimal(f.BQuiet.P99ms), f.BQuiet.Requests,
			decimal(f.BFlooded.P50ms), decimal(f.BFlooded.P99ms), f.BFlooded.Requests,
			decimal(f.P50FloodedPerQuiet), decimal(f.P99FloodedPerQuiet))
		fmt.Fprintf(w, "fairness, tenant A (%d clients, half moving leads, half searching): %s moves/s (p99 %s ms), %s searches/s (p99 %s ms)\n",
			f.AWorkers, decimal(f.AMoves.PerSecond), decimal(f.AMoves.P99ms), decimal(f.ASearch.PerSecond), decimal(f.ASearch.P99ms))
		fmt.Fprintf(w, "fairness, 5xx/429/failed: A %s, B flooded %s, B quiet %s\n",
			answers(f.AMoves, f.ASearch), answers(f.BFlooded), answers(f.BQuiet))
	}
	fmt.Fprintf(w, "load average before %s, after %s (%d CPUs); %s per measurement, concurrency %d; each row the medians of %d interleaved rounds; reads loaded by %s, writes and fairness by the Go client\n",
		r.LoadBefore, r.LoadAfter, r.CPUs, r.Duration, r.Concurrency, r.Rounds, r.ReadClient)
}

// printMarkdown writes rows as a Markdown table, the first row the header, with numbers
// aligned to the right.
func printMarkdown(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	line := func(row []string) {
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i == 0 {
				fmt.Fprintf(w, "| %s%s ", cell, pad)
			} else {
				fmt.Fprintf(w, "| %s%s ", pad, cell)
			}
		}
		fmt.Fprintln(w, "|")
	}
	line(rows[0])
	for i, width := range widths {
		if i == 0 {
			fmt.Fprintf(w, "|%s", strings.Repeat("-", width+2))
		} else {
			fmt.Fprintf(w, "|%s:", strings.Repeat("-", width+1))
		}
	}
	fmt.Fprintln(w, "|")
	for _, row := range rows[1:] {
		line(row)
	}
}

// thousands is a rate, rounded, with thousands separated by commas; "—" for none.
func thousands(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	digits := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// decimal is a latency or ratio with two decimals; "—" for none.
func decimal(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// answers are the loads' 5xx, 429 and failed requests, in that order.
func answers(loads ...LoadResult) string {
	var total LoadResult
	for _, l := range loads {
		total.Status5xx += l.Status5xx
		total.Status429 += l.Status429
		total.Failed += l.Failed
	}
	return fmt.Sprintf("%d/%d/%d", total.Status5xx, total.Status429, total.Failed)
}
