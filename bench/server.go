package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// server is `server serve` running as its own process, as in production.
type server struct {
	URL  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	log  string // its stdout and stderr
	done chan error
}

// buildServer builds ./cmd/server into dir.
func buildServer(ctx context.Context, dir string) (string, error) {
	binary := filepath.Join(dir, "server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/server (run the bench from the module's root): %w\n%s", err, out)
	}
	return binary, nil
}

// serverEnvironment is the bench's environment for the server, less what would make it
// refuse the bench's tokens or answer on other hosts, plus the bench's database, secret
// and address. Anything else passes through, so that a setting under study (a pool size,
// an exec mode) can be set on the bench's command line.
func serverEnvironment(appURL, jwtSecret, addr string) []string {
	dropped := []string{"DATABASE_URL", "DATABASE_DIRECT_URL", "SUPABASE_JWT_SECRET", "SUPABASE_URL",
		"JWT_ACCEPT_HS256", "JWT_AUDIENCE", "APP_BASE_DOMAIN", "HTTP_ADDR"}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(dropped, name)
	})
	return append(env, "DATABASE_URL="+appURL, "SUPABASE_JWT_SECRET="+jwtSecret, "HTTP_ADDR="+addr)
}

// startServer runs `binary serve` on a free port and waits until it is ready.
func startServer(ctx context.Context, binary, dir, appURL, jwtSecret string) (*server, error) {
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + addr, log: filepath.Join(dir, "server.log"), done: make(chan error, 1)}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	// The API alone: the replies it stores queue their jobs, which no worker competes
	// with the requests to send (make bench-campaign measures delivery).
	s.cmd = exec.Command(binary, "serve", "--workers=false")
	s.cmd.Env = serverEnvironment(appURL, jwtSecret, addr)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	ownProcessGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, s.logTail())
	}
	return s, nil
}

// freeAddress is a loopback address with a port nobody listens on now.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("the server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the server was not ready within 30 s")
}

// stop ends the server's process group: SIGTERM, which lets requests in flight finish,
// then SIGKILL after 10 s.
func (s *server) stop() {
	stopGroup(s.cmd, syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
		stopGroup(s.cmd, syscall.SIGKILL)
		s.done <- <-s.done
	}
}

// logTail is the end of the server's log, to tell why it failed.
func (s *server) logTail() string {
	text, _ := os.ReadFile(s.log)
	return lastLines(string(text), 20)
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
