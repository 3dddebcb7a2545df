package dbtest

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PgBouncer starts a PgBouncer in transaction mode in front of d, as the backend's
// login role, with poolSize server connections, and returns the URL clients connect to;
// it stops when t ends. The binary is PGBOUNCER_BIN or pgbouncer on the PATH (Debian's
// package: /usr/sbin); without one t is skipped, or fails when CI is set.
func PgBouncer(t testing.TB, d *Database, poolSize int) string {
	t.Helper()
	bin := os.Getenv("PGBOUNCER_BIN")
	if bin == "" {
		bin, _ = exec.LookPath("pgbouncer")
	}
	if bin == "" {
		if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
			bin = "/usr/sbin/pgbouncer"
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("pgbouncer is not installed (apt-get install pgbouncer, or set PGBOUNCER_BIN)")
		}
		t.Skip("pgbouncer is not installed: apt-get install pgbouncer, or set PGBOUNCER_BIN")
	}

	server, err := url.Parse(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	login := "user=" + server.User.Username()
	if password, ok := server.User.Password(); ok {
		login += " password=" + password
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("pgbouncer: %v", err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "pgbouncer.ini")
	// auth_type any: clients are the test's own; PgBouncer logs in to PostgreSQL as the
	// role named in [databases].
	ini := fmt.Sprintf(`[databases]
app = host=%s port=%s dbname=%s %s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = %d
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
`, server.Hostname(), server.Port(), strings.TrimPrefix(server.Path, "/"), login, port, poolSize)
	if err := os.WriteFile(config, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{config}
	if os.Geteuid() == 0 { // PgBouncer refuses to run as root
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		args = []string{"-u", nobody.Username, config}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, args...)
	var log bytes.Buffer // shown when the test fails
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("pgbouncer's log:\n%s", log.String())
		}
	})

	address := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.Dial("tcp", address)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("pgbouncer exited: %v", cmd.ProcessState) // its log follows
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer does not listen on %s: %v", address, err)
		}
		time.Sleep(20 * time.Millisecond) // waiting for another process to listen
	}
	return fmt.Sprintf("postgres://%s@%s/app?sslmode=disable", url.PathEscape(server.User.Username()), address)
}
