// Package e2e runs the frontend's browser suite (web/e2e, Playwright) against the whole
// real stack, each part started here on free ports: a PostgreSQL database built
// Supabase's way, the Supabase Auth server, the Go API with live events, and the
// frontend's `next start`. Nothing is mocked.
package e2e_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atende/atende/api"
	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/delivery"
	"github.com/atende/atende/legacy"
	"github.com/atende/atende/live"
	"github.com/jackc/pgx/v5"
)

// webDir is the frontend, relative to this package.
const webDir = "../web"

// chromium is the browser Playwright drives: the system's (Playwright may not download
// its own here).
func chromium() string {
	if path := os.Getenv("CHROMIUM_PATH"); path != "" {
		return path
	}
	return "/usr/bin/chromium"
}

// TestMain keeps the API's access log out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// TestBrowser starts the stack and runs `npx playwright test` in web/. The suite finds
// the stack through environment variables (see web/playwright.config.ts) and a helper
// endpoint that stands in for a mailbox and for a channel provider (see helper).
func TestBrowser(t *testing.T) {
	for _, need := range []struct{ path, why string }{
		{filepath.Join(webDir, "node_modules", ".bin", "playwright"), "the frontend's packages are not installed (cd web && npm ci)"},
		{filepath.Join(webDir, ".next", "BUILD_ID"), "the frontend is not built (make web-build)"},
		{chromium(), "no Chromium (apt-get install chromium, or CHROMIUM_PATH)"},
	} {
		if _, err := os.Stat(need.path); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("browser suite: %s", need.why)
			}
			t.Skipf("browser suite skipped: %s", need.why)
		}
	}
	d, authServer := dbtest.NewWithAuth(t, dbtest.AuthOptions{AutoConfirm: false})
	ctx := context.Background()

	// A V1.5 customer, imported as operators do, whose staff keep their passwords.
	if _, err := legacy.Import(ctx, d.Admin, legacy.Options{
		File: "../legacy/testdata/sample_v15.db", TenantSlug: "clinica-sorriso", CreateTenant: true, TenantName: "Clínica Sorriso",
	}); err != nil {
		t.Fatalf("import the V1.5 sample: %v", err)
	}

	webPort := freePort(t)
	webOrigins := []string{fmt.Sprintf("http://localhost:%d", webPort), fmt.Sprintf("http://*.localhost:%d", webPort)}
	apiURL := serveAPI(t, d, authServer, webOrigins)
	helperURL := serveHelper(t, d, authServer, apiURL)
	startNext(t, webPort, map[string]string{
		"NEXT_PUBLIC_SUPABASE_URL":      authServer.URL,
		"NEXT_PUBLIC_SUPABASE_ANON_KEY": authServer.AnonKey(),
		"ATENDE_API_URL":                apiURL,
		"APP_BASE_DOMAIN":               "localhost",
	})

	suite := exec.Command("npx", "playwright", "test")
	suite.Dir = webDir
	suite.WaitDelay = 5 * time.Second
	suite.Env = append(os.Environ(),
		"WEB_PORT="+strconv.Itoa(webPort), "APP_BASE_DOMAIN=localhost", "E2E_HELPER_URL="+helperURL,
		"ATENDE_API_URL="+apiURL, "CHROMIUM_PATH="+chromium())
	var out bytes.Buffer
	suite.Stdout, suite.Stderr = &out, &out
	err := suite.Run()
	t.Log(out.String())
	if err != nil {
		t.Fatalf("the browser suite failed (screenshots in web/test-results): %v", err)
	}
}

// serveAPI serves the API as `server serve` does — live events included — on a free
// port, trusting the tokens of the Auth server, and returns its URL.
func serveAPI(t *testing.T, d *dbtest.Database, authServer *dbtest.AuthServer, origins []string) string {
	t.Helper()
	tokens, err := auth.New(auth.Config{JWTSecret: authServer.JWTSecret, SupabaseURL: authServer.URL})
	if err != nil {
		t.Fatal(err)
	}
	hub := live.NewHub(live.Config{Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, d.AppURL) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-hub.Ready()
	// Replies and launches queue their jobs; no worker sends them here.
	outbox, err := delivery.New(d.App, delivery.Config{})
	if err != nil {
		t.Fatal(err)
	}
	handler := api.New(api.Config{BaseDomain: "localhost", CORSAllowedOrigins: origins, Events: hub, CursorKey: []byte(authServer.JWTSecret), Delivery: outbox}, d.App, tokens)
	return serve(t, handler)
}

// serveHelper serves what the browser suite needs from outside the browser: POST
// /confirm {"email"} follows the link of the confirmation email Supabase Auth would
// have sent; POST /inbound {"slug", "from", "name", "content"} delivers a message from
// a contact to the tenant, signed by its channel provider.
func serveHelper(t *testing.T, d *dbtest.Database, authServer *dbtest.AuthServer, apiURL string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /confirm", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Email string }
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		authServer.Confirm(t, req.Email)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /inbound", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Slug, From, Name, Content string }
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		var tenantID, secret string
		err := d.Admin.QueryRow(r.Context(), `
			select t.id::text, s.webhook_secret from tenants t join tenant_secrets s on s.tenant_id = t.id where t.slug = $1`, req.Slug).Scan(&tenantID, &secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		body, _ := json.Marshal(map[string]string{
			"channel": "whatsapp", "external_id": fmt.Sprintf("wamid.e2e.%d", time.Now().UnixNano()),
			"from": req.From, "name": req.Name, "content": req.Content,
		})
		timestamp := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(timestamp + "."))
		mac.Write(body)
		delivery, _ := http.NewRequestWithContext(r.Context(), "POST", apiURL+"/api/v1/webhooks/"+tenantID+"/inbound", bytes.NewReader(body))
		delivery.Header.Set("Content-Type", "application/json")
		delivery.Header.Set("X-Atende-Timestamp", timestamp)
		delivery.Header.Set("X-Atende-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		res, err := http.DefaultClient.Do(delivery)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	return serve(t, mux)
}

// serve runs handler on a free port of 127.0.0.1 until the test ends.
func serve(t *testing.T, handler http.Handler) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go server.Serve(listener)
	t.Cleanup(func() { server.Close() })
	return "http://" + listener.Addr().String()
}

// startNext runs the built frontend (`next start`) on port with env until the test ends,
// and waits until it answers.
func startNext(t *testing.T, port int, env map[string]string) {
	t.Helper()
	next := exec.Command("npx", "next", "start", "--port", strconv.Itoa(port))
	next.Dir = webDir
	// npx starts next as a child: the whole process group is stopped at the end.
	next.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	next.WaitDelay = 5 * time.Second
	next.Env = os.Environ()
	for k, v := range env {
		next.Env = append(next.Env, k+"="+v)
	}
	var out bytes.Buffer
	next.Stdout, next.Stderr = &out, &out
	if err := next.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-next.Process.Pid, syscall.SIGKILL)
		next.Wait()
		if t.Failed() {
			t.Logf("next start:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond) // polling a starting server
	}
	t.Fatalf("next start did not answer on port %d:\n%s", port, strings.TrimSpace(out.String()))
}

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}
