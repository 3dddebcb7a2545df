package dbtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"
)

// authBinEnv names the Supabase Auth (GoTrue) binary that NewWithAuth runs. Tests that
// need it are skipped when it is unset.
const authBinEnv = "SUPABASE_AUTH_BIN"

const (
	// authAdminRole is the role Supabase Auth connects as and that owns the auth schema;
	// its password is the one Supabase's image and the tool's README use.
	authAdminRole     = "supabase_auth_admin"
	authAdminPassword = "root"

	// defaultSiteURL stands in for the frontend when AuthOptions.SiteURL is empty:
	// Auth requires one, and verification redirects lead there.
	defaultSiteURL = "http://localhost:3000"

	// authStartTimeout bounds how long a started server may take to answer /health.
	authStartTimeout = 30 * time.Second
	// authStopTimeout is how long Auth gets to exit after SIGTERM before it is killed.
	authStopTimeout = 10 * time.Second
)

// AuthOptions configures the Supabase Auth server started by NewWithAuth.
type AuthOptions struct {
	// AutoConfirm confirms email signups at once (GOTRUE_MAILER_AUTOCONFIRM), as a
	// project with "Confirm email" off does. Otherwise a signup stays unconfirmed until
	// AuthServer.Confirm.
	AutoConfirm bool
	// SiteURL is the frontend's URL (GOTRUE_SITE_URL), where verification links
	// redirect; empty means http://localhost:3000.
	SiteURL string
}

// AuthServer is a running Supabase Auth server on one test's database. Its methods are
// safe for concurrent use; each fails the test on error.
type AuthServer struct {
	// URL is what a Supabase client takes as SUPABASE_URL: Auth answers under
	// URL + "/auth/v1", behind a proxy that strips that prefix as Supabase's gateway
	// does, and its tokens' iss is URL + "/auth/v1".
	URL string
	// JWTSecret is the HS256 secret Auth signs access tokens with (SUPABASE_JWT_SECRET).
	JWTSecret string

	admin          *pgxpool.Pool // superuser pool on the test database, for Confirm
	client         *http.Client
	anonKey        string
	serviceRoleKey string
}

// Session is the result of a password sign-in.
type Session struct {
	AccessToken  string
	RefreshToken string
}

// NewWithAuth returns a new migrated database for t, as New does, and a Supabase Auth
// server running on it, both gone when t ends. The database's template is built the
// way a Supabase project's database is: Auth's prerequisites, then Auth's own
// migrations, then the project's. It skips t when SUPABASE_AUTH_BIN is unset.
func NewWithAuth(t testing.TB, opts AuthOptions) (*Database, *AuthServer) {
	t.Helper()
	bin := authBinary(t)
	adminURL := Server(t)
	conf := pgtestdb.Custom(t, configFromURL(t, adminURL), authMigrator{bin: bin})
	ctx := context.Background()

	appURL := withUser(t, conf.URL(), "atende_app", appPassword)
	d := &Database{
		AdminURL: conf.URL(),
		AppURL:   appURL,
		Admin:    openPool(t, ctx, conf.URL()),
		App:      db.DB{Pool: openPool(t, ctx, appURL)},
	}
	// Database privileges live in the cluster catalogue, so a clone does not inherit
	// the template's grant.
	if _, err := d.Admin.Exec(ctx, grantCreateOnDatabase(conf.Database)); err != nil {
		t.Fatalf("grant create on the test database to %s: %v", authAdminRole, err)
	}
	authURL := withUser(t, conf.URL(), authAdminRole, authAdminPassword)
	return d, startAuth(t, bin, authURL, d.Admin, opts)
}

// authBinary returns the absolute path of the Auth binary, skipping t when none is
// configured.
func authBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(authBinEnv)
	if bin == "" {
		t.Skipf("%s is unset: skipping a test against the real Supabase Auth server "+
			"(set it to a supabase/auth binary, as .ci/run does when ../shared/tools/supabase-auth/auth exists)", authBinEnv)
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatalf("%s: %v", authBinEnv, err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%s: %v", authBinEnv, err)
	}
	return abs
}

// authRoles are the cluster-wide roles Supabase's image creates before Auth starts.
var authRoles = []struct{ name, options string }{
	{"supabase_admin", "login createrole createdb replication bypassrls"},
	{authAdminRole, "noinherit createrole login noreplication password '" + authAdminPassword + "'"},
	{"anon", "nologin noinherit"},
	{"authenticated", "nologin noinherit"},
	{"service_role", "nologin noinherit bypassrls"},
}

// authPrerequisites returns the statements Supabase runs on database dbName before
// Auth's migrations.
func authPrerequisites(dbName string) []string {
	var stmts []string
	for _, r := range authRoles {
		// Roles are cluster-wide and parallel tests may build templates at the same
		// moment: a racing CREATE ROLE fails with duplicate_object or, inside the
		// catalogue's unique index, unique_violation.
		stmts = append(stmts, fmt.Sprintf(`do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = '%[1]s') then
    create role %[1]s %[2]s;
  end if;
exception when duplicate_object or unique_violation then
  null;
end
$$`, r.name, r.options))
	}
	return append(stmts,
		"create schema if not exists auth authorization "+authAdminRole,
		grantCreateOnDatabase(dbName),
		// Supabase's image grants this too (as does the stand-in in 00001_supabase.sql):
		// SQL run as authenticated that names auth.uid() fails without it. Policies
		// do not need it, being stored already resolved.
		"grant usage on schema auth to anon, authenticated, service_role",
		// Cluster-wide like the roles; set only when missing, because two concurrent
		// ALTER ROLEs of the same role fail with "tuple concurrently updated".
		`do $$
begin
  if not exists (select from pg_catalog.pg_db_role_setting
                 where setrole = '`+authAdminRole+`'::regrole and setdatabase = 0
                   and setconfig @> array['search_path=auth']) then
    alter role `+authAdminRole+` set search_path = 'auth';
  end if;
end
$$`,
	)
}

func grantCreateOnDatabase(dbName string) string {
	return "grant create on database " + pgx.Identifier{dbName}.Sanitize() + " to " + authAdminRole
}

// authMigrator builds a template the way a Supabase project's database is built: Auth's
// prerequisites, `auth migrate`, then the project's migrations. The template is rebuilt
// when the migrations, the prerequisites or the Auth binary change.
type authMigrator struct {
	bin string
}

func (m authMigrator) Hash() (string, error) {
	schemaHash, err := migrator{}.Hash()
	if err != nil {
		return "", err
	}
	// Path, size and modification time stand for the binary's content: hashing 37 MB
	// on every NewWithAuth would cost more than the rest of it.
	info, err := os.Stat(m.bin)
	if err != nil {
		return "", fmt.Errorf("supabase auth binary: %w", err)
	}
	return common.NewRecursiveHash(
		common.Field("Schema", schemaHash),
		common.Field("AuthPrerequisites", strings.Join(authPrerequisites("template"), ";\n")),
		common.Field("AuthBin", m.bin),
		common.Field("AuthBinSize", info.Size()),
		common.Field("AuthBinModTime", info.ModTime().UnixNano()),
	).String(), nil
}

func (m authMigrator) Migrate(ctx context.Context, sqlDB *sql.DB, conf pgtestdb.Config) error {
	for _, stmt := range authPrerequisites(conf.Database) {
		if _, err := sqlDB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("supabase auth prerequisites: %w", err)
		}
	}
	authURL, err := urlAsUser(conf.URL(), authAdminRole, authAdminPassword)
	if err != nil {
		return err
	}
	if err := runAuthMigrate(ctx, m.bin, authURL); err != nil {
		return err
	}
	// The project's migrations find auth.users and leave Auth's schema as it is.
	return migrator{}.Migrate(ctx, sqlDB, conf)
}

// runAuthMigrate applies Auth's built-in migrations to the database at databaseURL.
func runAuthMigrate(ctx context.Context, bin, databaseURL string) error {
	dir, err := os.MkdirTemp("", "supabase-auth-migrate-")
	if err != nil {
		return fmt.Errorf("auth migrate: %w", err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Dir = dir
	// Auth validates its whole configuration even to migrate: the URLs and the secret
	// are required, though unused here.
	cmd.Env = []string{
		"GOTRUE_DB_DRIVER=postgres",
		"DATABASE_URL=" + databaseURL,
		"API_EXTERNAL_URL=http://127.0.0.1/auth/v1",
		"GOTRUE_SITE_URL=" + defaultSiteURL,
		"GOTRUE_JWT_SECRET=" + strings.Repeat("m", 32),
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("auth migrate: %w\n%s", err, out)
	}
	return nil
}

// startAuth runs Auth on the database at databaseURL (as supabase_auth_admin) behind a
// proxy that serves it under /auth/v1, waits until it is healthy, and stops both when t
// ends.
func startAuth(t testing.TB, bin, databaseURL string, admin *pgxpool.Pool, opts AuthOptions) *AuthServer {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("supabase auth: %v", err)
	}
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
		},
		// The default handler logs every refused connection while Auth is starting.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	gateway := httptest.NewServer(http.StripPrefix("/auth/v1", proxy))

	siteURL := opts.SiteURL
	if siteURL == "" {
		siteURL = defaultSiteURL
	}
	s := &AuthServer{
		URL:       gateway.URL,
		JWTSecret: randomHex(32),
		admin:     admin,
		// Redirects (/verify answers 303 to the site) are returned, not followed.
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.anonKey = s.apiKey("anon")
	s.serviceRoleKey = s.apiKey("service_role")

	issuer := s.URL + "/auth/v1"
	var output bytes.Buffer
	cmd := exec.Command(bin, "serve")
	// Auth reads a .env file from its working directory; an empty one keeps the
	// environment below the whole configuration.
	cmd.Dir = t.TempDir()
	cmd.Stdout = &output
	cmd.Stderr = &output
	cmd.Env = []string{
		"GOTRUE_DB_DRIVER=postgres",
		"DATABASE_URL=" + databaseURL,
		// Few connections each, so many parallel tests stay under max_connections.
		"GOTRUE_DB_MAX_POOL_SIZE=4",
		"API_EXTERNAL_URL=" + issuer,
		"GOTRUE_API_HOST=127.0.0.1",
		"PORT=" + strconv.Itoa(port),
		"GOTRUE_SITE_URL=" + siteURL,
		"GOTRUE_JWT_SECRET=" + s.JWTSecret,
		"GOTRUE_JWT_ISSUER=" + issuer,
		"GOTRUE_JWT_AUD=authenticated",
		"GOTRUE_JWT_EXP=3600",
		"GOTRUE_JWT_ADMIN_ROLES=service_role",
		// The role new users get, and so their tokens' role claim. Supabase sets it;
		// without it the claim is "" and the project's verifier refuses the token.
		"GOTRUE_JWT_DEFAULT_GROUP_NAME=authenticated",
		"GOTRUE_MAILER_AUTOCONFIRM=" + strconv.FormatBool(opts.AutoConfirm),
		// One test may sign up, sign in and verify more often than the per-IP limits
		// allow (30 per window by default); every request here comes from 127.0.0.1.
		"GOTRUE_RATE_LIMIT_EMAIL_SENT=100000",
		"GOTRUE_RATE_LIMIT_OTP=100000",
		"GOTRUE_RATE_LIMIT_VERIFY=100000",
		"GOTRUE_RATE_LIMIT_TOKEN_REFRESH=100000",
	}
	if err := cmd.Start(); err != nil {
		gateway.Close()
		t.Fatalf("start supabase auth: %v", err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		gateway.Close()
		select {
		case <-exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(authStopTimeout):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		// Wait has returned, so the output is complete and no longer written.
		if t.Failed() {
			t.Logf("supabase auth output:\n%s", output.String())
		}
	})

	if err := s.waitHealthy(exited, authStartTimeout); err != nil {
		select {
		case <-exited:
			t.Fatalf("supabase auth exited before it was healthy (%v): %v", exitErr, err)
		default:
			t.Fatalf("supabase auth: %v", err)
		}
	}
	return s
}

// waitHealthy polls /health through the proxy until Auth answers 200, it exits, or the
// timeout passes.
func (s *AuthServer) waitHealthy(exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		resp, err := s.client.Get(s.URL + "/auth/v1/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /health: %s", resp.Status)
		}
		last = err
		select {
		case <-exited:
			return last
		case <-deadline.C:
			return fmt.Errorf("not healthy after %s: %w", timeout, last)
		case <-tick.C:
		}
	}
}

// SignUp signs up email with password (POST /signup) and returns the new user's id.
// With AutoConfirm off, the user stays unconfirmed until Confirm.
func (s *AuthServer) SignUp(t testing.TB, email, password string) uuid.UUID {
	t.Helper()
	// With autoconfirm Auth answers with a session holding the user; without, with
	// the user itself.
	var resp struct {
		ID   uuid.UUID `json:"id"`
		User struct {
			ID uuid.UUID `json:"id"`
		} `json:"user"`
	}
	s.post(t, "/signup", s.anonKey, map[string]string{"email": email, "password": password}, &resp)
	id := resp.ID
	if id == uuid.Nil {
		id = resp.User.ID
	}
	if id == uuid.Nil {
		t.Fatalf("supabase auth: POST /signup %s: no user id in the response", email)
	}
	return id
}

// SignIn signs email in with password (POST /token?grant_type=password) and returns
// the access token.
func (s *AuthServer) SignIn(t testing.TB, email, password string) string {
	t.Helper()
	return s.SignInSession(t, email, password).AccessToken
}

// SignInSession signs email in with password and returns the access and refresh
// tokens.
func (s *AuthServer) SignInSession(t testing.TB, email, password string) Session {
	t.Helper()
	var resp struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	s.post(t, "/token?grant_type=password", s.anonKey, map[string]string{"email": email, "password": password}, &resp)
	if resp.AccessToken == "" {
		t.Fatalf("supabase auth: sign in %s: no access token in the response", email)
	}
	return Session{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken}
}

// Confirm confirms email's signup through Auth, as the link in the confirmation email
// would, so Auth sets email_confirmed_at; it returns the session Auth opens.
func (s *AuthServer) Confirm(t testing.TB, email string) Session {
	t.Helper()
	return s.verify(t, email, "signup")
}

// AcceptInvite follows the link of the invitation Auth emailed to email (POST
// /auth/v1/invite): Auth confirms the address and opens a session, which it returns.
func (s *AuthServer) AcceptInvite(t testing.TB, email string) Session {
	t.Helper()
	return s.verify(t, email, "invite")
}

// verify reads the pending token of email from auth.users and verifies it (POST
// /verify) as the emailed link would.
func (s *AuthServer) verify(t testing.TB, email, kind string) Session {
	t.Helper()
	// auth.users holds the hash of the emailed code, which is what the email's link
	// carries; /verify takes it as token_hash (as "token" it expects the code itself).
	var tokenHash string
	err := s.admin.QueryRow(context.Background(),
		"select coalesce(confirmation_token, '') from auth.users where email = lower($1)", email).Scan(&tokenHash)
	if err != nil {
		t.Fatalf("supabase auth: verify %s: read auth.users: %v", email, err)
	}
	if tokenHash == "" {
		t.Fatalf("supabase auth: verify %s: no pending %s (already confirmed, or AutoConfirm is on)", email, kind)
	}
	var resp struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	s.post(t, "/verify", s.anonKey, map[string]string{"type": kind, "token_hash": tokenHash}, &resp)
	return Session{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken}
}

// AnonKey returns the project's anon API key: what clients send as apikey before a user
// signs in.
func (s *AuthServer) AnonKey() string { return s.anonKey }

// ServiceRoleKey returns the project's service_role API key, which admin calls
// (/invite, /admin/users) take as both apikey and bearer token.
func (s *AuthServer) ServiceRoleKey() string { return s.serviceRoleKey }

// apiKey returns a legacy Supabase API key for role: an HS256 JWT signed with the JWT
// secret, valid ten years like the ones a project is given.
func (s *AuthServer) apiKey(role string) string {
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{
		"iss":  "supabase",
		"role": role,
		"iat":  now,
		"exp":  now + 10*365*24*60*60,
	})
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(s.JWTSecret))
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// post sends body as JSON to the Auth path (under /auth/v1) with key as apikey and
// bearer token, as supabase-js does, and decodes a 2xx answer into out (when not nil).
// Any other answer fails t with the response body.
func (s *AuthServer) post(t testing.TB, path, key string, body, out any) {
	t.Helper()
	status, respBody, err := s.do(http.MethodPost, path, key, body)
	if err != nil {
		t.Fatalf("supabase auth: POST %s: %v", path, err)
	}
	if status < 200 || status > 299 {
		t.Fatalf("supabase auth: POST %s: %d %s", path, status, respBody)
	}
	if out != nil {
		if err := json.Unmarshal(respBody, out); err != nil {
			t.Fatalf("supabase auth: POST %s: decode %s: %v", path, respBody, err)
		}
	}
}

// do sends one request to the Auth path and returns the status and body.
func (s *AuthServer) do(method, path, key string, body any) (int, []byte, error) {
	var reqBody io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/auth/v1"+path, reqBody)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("apikey", key)
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, respBody, nil
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find a free port: not a TCP address")
	}
	return addr.Port, nil
}

// urlAsUser returns rawURL with its user and password replaced.
func urlAsUser(rawURL, user, password string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	u.User = url.UserPassword(user, password)
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
