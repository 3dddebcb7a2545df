package api_test

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
)

// BenchmarkPooler measures what PgBouncer in transaction mode costs the API: the server
// binary runs three times on one test database, directly and through PgBouncer (the same
// 16 connections to PostgreSQL) with DATABASE_QUERY_EXEC_MODE=exec and simple_protocol,
// and 32 clients read contacts by id from each in turn, BENCH_ROUNDS times (default 3)
// for BENCH_SECONDS each (default 5). It reports each one's median req/s and the median
// of the rounds' pooled ÷ direct.
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench Pooler -benchtime 1x ./api/
func BenchmarkPooler(b *testing.B) {
	rounds, seconds := benchEnv(b, "BENCH_ROUNDS", 3), benchEnv(b, "BENCH_SECONDS", 5)
	d := dbtest.New(b)
	tn := dbtest.SeedTenant(b, d, "clinica-a")
	fair := []string{"USER_RATE_LIMIT=1000000", "USER_RATE_BURST=1000000", "TENANT_MAX_IN_FLIGHT=16", "DATABASE_POOL_SIZE=16"}
	bouncer := dbtest.PgBouncer(b, d, 16)
	pooled := func(mode string) string {
		base, _ := benchServer(b, d, append(fair, "DATABASE_URL="+bouncer, "DATABASE_QUERY_EXEC_MODE="+mode, "DATABASE_DIRECT_URL="+d.AppURL)...)
		return base
	}
	direct, _ := benchServer(b, d, fair...)
	servers := []struct{ name, base string }{{"direct", direct}, {"exec", pooled("exec")}, {"simple_protocol", pooled("simple_protocol")}}
	token := benchToken(b, tn.OwnerID)
	path := "/api/v1/contacts/" + tn.ContactID.String()

	rates, ratios := map[string][]float64{}, map[string][]float64{}
	for range rounds {
		var direct float64
		for _, s := range servers {
			rate := loadRate(b, s.base+path, token, time.Duration(seconds)*time.Second)
			if s.name == "direct" {
				direct = rate
			}
			rates[s.name], ratios[s.name] = append(rates[s.name], rate), append(ratios[s.name], rate/direct)
			b.Logf("%s: %.0f req/s (%.2f of direct)", s.name, rate, rate/direct)
		}
	}
	for _, s := range servers {
		b.ReportMetric(middle(rates[s.name]), s.name+"-req/s")
		if s.name != "direct" {
			b.ReportMetric(middle(ratios[s.name]), s.name+"/direct")
		}
	}
}

// loadRate is the rate of 200 answers that 32 clients get from GETs of url in d.
func loadRate(b *testing.B, url, token string, d time.Duration) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	var ok, failed atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil || res.StatusCode != http.StatusOK {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
				if res != nil {
					res.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests to %s failed", n, url)
	}
	return float64(ok.Load()) / d.Seconds()
}

func middle(values []float64) float64 {
	sorted := slices.Sorted(slices.Values(values))
	return sorted[len(sorted)/2]
}
