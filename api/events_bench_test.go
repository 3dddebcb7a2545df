package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// BenchmarkEventFanOut measures live events as a clinic's staff would feel them: the
// server binary runs as its own process on a test database; BENCH_STREAMS streams
// (default 1,000) follow one tenant; messages are written at BENCH_EVENT_RATE per second
// (default 20) for BENCH_EVENT_SECONDS (default 10). It reports the delivery latency
// from the writer's commit to each stream's read (p50, p99, max) and the server
// process's resident memory before and with the streams open.
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench EventFanOut -benchtime 1x ./api/
func BenchmarkEventFanOut(b *testing.B) {
	streams, rate, seconds := benchEnv(b, "BENCH_STREAMS", 1000), benchEnv(b, "BENCH_EVENT_RATE", 20), benchEnv(b, "BENCH_EVENT_SECONDS", 10)
	d := dbtest.New(b)
	tn := dbtest.SeedTenant(b, d, "clinica-a")
	ctx := context.Background()

	base, server := benchServer(b, d, "EVENT_STREAMS_PER_USER="+strconv.Itoa(streams), "EVENT_STREAMS_PER_TENANT="+strconv.Itoa(streams))
	idleRSS := rssMiB(b, server.Process.Pid)

	token := benchToken(b, tn.OwnerID)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: streams}}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var latencies []time.Duration
	opened := make(chan struct{}, streams)
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(streamCtx, "GET", base+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := client.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				b.Errorf("open stream: %v %v", err, res)
				opened <- struct{}{}
				return
			}
			defer res.Body.Close()
			opened <- struct{}{}
			scanner := bufio.NewScanner(res.Body)
			for scanner.Scan() {
				// The preview is the writer's clock at the commit, in unix nanoseconds.
				_, after, ok := strings.Cut(scanner.Text(), `"preview": "bench `)
				if !ok {
					continue
				}
				sent, err := strconv.ParseInt(after[:strings.IndexByte(after, '"')], 10, 64)
				if err == nil {
					mu.Lock()
					latencies = append(latencies, time.Since(time.Unix(0, sent)))
					mu.Unlock()
				}
			}
		})
	}
	for range streams {
		<-opened
	}
	openRSS := rssMiB(b, server.Process.Pid)

	b.ResetTimer()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for range rate * seconds {
		<-tick.C
		// The message is committed when Exec returns; its time is taken just before.
		if _, err := d.Admin.Exec(ctx, `
			insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content)
			values ($1, $2, 'whatsapp', 'inbound', 'contact', 'bench ' || $3)`,
			tn.ID, tn.ConversationID, strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
			b.Fatal(err)
		}
	}
	tick.Stop()
	want := streams * rate * seconds
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(latencies)
		mu.Unlock()
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling a counter, not synchronising a test
	}
	b.StopTimer()
	streamingRSS := rssMiB(b, server.Process.Pid)
	cancel()
	wg.Wait()

	slices.Sort(latencies)
	if len(latencies) < want {
		b.Errorf("%d of %d deliveries arrived", len(latencies), want)
	}
	if len(latencies) == 0 {
		return
	}
	pick := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pick(0.5), "p50_ms")
	b.ReportMetric(pick(0.99), "p99_ms")
	b.ReportMetric(pick(1), "max_ms")
	b.ReportMetric(float64(len(latencies)), "deliveries")
	b.ReportMetric(idleRSS, "idle_rss_MiB")
	b.ReportMetric(openRSS, "streams_rss_MiB")
	b.ReportMetric(streamingRSS, "streaming_rss_MiB")
	b.ReportMetric((streamingRSS-idleRSS)*1024/float64(streams), "KiB/stream")
}

// benchServer builds the server binary and runs `server serve` on the database, as
// atende_app with the test secret and env added, until the benchmark ends; it returns
// the server's base URL once it is ready.
func benchServer(b *testing.B, d *dbtest.Database, env ...string) (string, *exec.Cmd) {
	bin := filepath.Join(b.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/server").CombinedOutput(); err != nil {
		b.Fatalf("build the server: %v\n%s", err, out)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	server := exec.Command(bin, "serve")
	server.Env = append(append(os.Environ(), "DATABASE_URL="+d.AppURL, "HTTP_ADDR="+addr, "SUPABASE_JWT_SECRET="+testSecret), env...)
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { server.Process.Kill(); server.Wait() })
	base := "http://" + addr
	waitReady(b, base)
	return base, server
}

// benchToken is an hour's access token for the user, which benchServer's server trusts.
func benchToken(b *testing.B, user uuid.UUID) string {
	tokens, err := auth.New(auth.Config{JWTSecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	token, err := tokens.Mint(user, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return token
}

func benchEnv(b *testing.B, name string, fallback int) int {
	if raw := os.Getenv(name); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 {
			b.Fatalf("%s: %q", name, raw)
		}
		return n
	}
	return fallback
}

// waitReady polls the server's readiness until it answers.
func waitReady(b *testing.B, base string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("the server did not become ready")
}

// rssMiB is a process's resident memory.
func rssMiB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
