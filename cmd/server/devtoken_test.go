package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
)

const devSecret = "development-secret-of-at-least-32-bytes"

// runDev runs dev-token and returns its stdout and stderr.
func runDev(t *testing.T, url string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = devToken(context.Background(), args, url, &out, &errOut)
	return out.String(), errOut.String(), err
}

// verifiedUser checks that stdout is one token, valid for at most ttl, and returns the
// user it names.
func verifiedUser(t *testing.T, stdout string, ttl time.Duration) uuid.UUID {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || strings.Count(stdout, ".") != 2 {
		t.Fatalf("stdout is not one token alone: %q", stdout)
	}
	verifier, err := auth.New(auth.Config{JWTSecret: devSecret})
	if err != nil {
		t.Fatal(err)
	}
	identity, err := verifier.Verify(context.Background(), strings.TrimSpace(stdout))
	if err != nil {
		t.Fatalf("the token does not verify: %v", err)
	}
	if left := time.Until(identity.ExpiresAt); left > ttl || left < ttl-time.Minute {
		t.Errorf("token valid for %s more, want about %s", left, ttl)
	}
	return identity.UserID
}

// dev-token sets the process environment, so its tests do not run in parallel.
func TestDevToken(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	t.Setenv("SUPABASE_URL", "")
	t.Setenv("JWT_ACCEPT_HS256", "")

	// Without a secret: refused, naming the variable, before any user is written.
	t.Setenv("SUPABASE_JWT_SECRET", "")
	_, _, err := runDev(t, d.AdminURL, "--email", "ana@example.com")
	if err == nil || !strings.HasPrefix(err.Error(), "SUPABASE_JWT_SECRET is not set: ") {
		t.Fatalf("no secret: err = %v, want SUPABASE_JWT_SECRET named", err)
	}
	var users int
	if err := d.Admin.QueryRow(ctx, "select count(*) from auth.users").Scan(&users); err != nil || users != 0 {
		t.Fatalf("without a secret %d auth users were written (%v)", users, err)
	}

	t.Setenv("SUPABASE_JWT_SECRET", devSecret)
	stdout, stderr, err := runDev(t, d.AdminURL, "--email", " Ana@Example.COM ", "--ttl", "10m")
	if err != nil {
		t.Fatalf("dev-token: %v\n%s", err, stderr)
	}
	id := verifiedUser(t, stdout, 10*time.Minute)
	for _, want := range []string{"development only", id.String() + " (created, email confirmed)", "no tenant yet"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// The row as Supabase Auth writes a confirmed email user, with its email identity.
	var instance uuid.UUID
	var email, aud, role, tokens, appMeta, userMeta string
	var confirmed, hasProfile, profileTenant bool
	var identities int
	err = d.Admin.QueryRow(ctx, `
		select u.instance_id, u.email, u.aud, u.role, u.email_confirmed_at is not null,
			concat_ws('|', u.confirmation_token, u.recovery_token, u.email_change_token_new, u.email_change),
			u.raw_app_meta_data::text, u.raw_user_meta_data::text,
			(select count(*) from auth.identities i where i.user_id = u.id and i.provider = 'email'
				and i.provider_id = u.id::text and i.identity_data ->> 'email' = u.email),
			p.id is not null, p.tenant_id is not null
		from auth.users u left join public.users p on p.id = u.id
		where u.id = $1`, id).Scan(&instance, &email, &aud, &role, &confirmed, &tokens, &appMeta, &userMeta, &identities, &hasProfile, &profileTenant)
	if err != nil {
		t.Fatal(err)
	}
	if instance != uuid.Nil || email != "ana@example.com" || aud != "authenticated" || role != "authenticated" || !confirmed ||
		tokens != "|||" || appMeta != `{"provider": "email", "providers": ["email"]}` || userMeta != `{}` || identities != 1 {
		t.Errorf("auth user: instance %s, %q, aud %q, role %q, confirmed %v, tokens %q, app %s, user %s, %d identities",
			instance, email, aud, role, confirmed, tokens, appMeta, userMeta, identities)
	}
	if !hasProfile || profileTenant {
		t.Errorf("profile: exists %v, in a tenant %v; want a profile of no tenant", hasProfile, profileTenant)
	}

	// Again, in another case: the same user, not a second one.
	stdout, stderr, err = runDev(t, d.AdminURL, "--email", "ANA@example.com")
	if err != nil {
		t.Fatalf("second dev-token: %v\n%s", err, stderr)
	}
	if again := verifiedUser(t, stdout, time.Hour); again != id {
		t.Errorf("second token names %s, want %s", again, id)
	}
	if !strings.Contains(stderr, id.String()+" (existing user)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if err := d.Admin.QueryRow(ctx, "select count(*) from auth.users").Scan(&users); err != nil || users != 1 {
		t.Errorf("%d auth users after two calls, want 1 (%v)", users, err)
	}

	// An invited email joins its tenant when dev-token creates it, as at a confirmed signup.
	if err := createTenant(ctx, []string{"create", "--name", "Clínica Bia", "--slug", "clinica-bia", "--admin-email", "bia@example.com"},
		d.AdminURL, nil, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err = runDev(t, d.AdminURL, "--email", "bia@example.com")
	if err != nil {
		t.Fatalf("dev-token for an invited email: %v\n%s", err, stderr)
	}
	bia := verifiedUser(t, stdout, time.Hour)
	var slug string
	err = d.Admin.QueryRow(ctx, "select t.slug, p.role::text from public.users p join tenants t on t.id = p.tenant_id where p.id = $1", bia).Scan(&slug, &role)
	if err != nil || slug != "clinica-bia" || role != "admin" {
		t.Errorf("Bia's profile: %q of %q (%v), want admin of clinica-bia", role, slug, err)
	}
	if !strings.Contains(stderr, "admin of tenant clinica-bia") {
		t.Errorf("stderr does not name the tenant:\n%s", stderr)
	}

	for name, args := range map[string][]string{
		"no email":    {},
		"empty email": {"--email", ""},
		"stray words": {"--email", "ana@example.com", "now"},
		"unknown":     {"--email", "ana@example.com", "--password", "x"},
	} {
		if _, _, err := runDev(t, d.AdminURL, args...); !errors.Is(err, errUsage) {
			t.Errorf("%s: err = %v, want errUsage", name, err)
		}
	}
	for _, args := range [][]string{{"--email", "ana"}, {"--email", "ana@example.com", "--ttl", "-1h"}} {
		if _, _, err := runDev(t, d.AdminURL, args...); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want the value refused", args, err)
		}
	}
}

// The commands that write as the database owner, connected as a role that may not:
// the error names DATABASE_ADMIN_URL, not only PostgreSQL's "permission denied".
func TestOwnerCommandsNameAdminURL(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	t.Setenv("DATABASE_ADMIN_URL", "") // as when it is unset and DATABASE_URL is used
	t.Setenv("SUPABASE_URL", "")
	t.Setenv("SUPABASE_JWT_SECRET", devSecret)

	wantOwnerError := func(what string, err error) {
		t.Helper()
		var pgErr *pgconn.PgError
		if err == nil || !strings.Contains(err.Error(), `permission denied as role "atende_app": DATABASE_ADMIN_URL is not set`) ||
			!strings.Contains(err.Error(), "database owner") || !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s as atende_app: err = %v, want DATABASE_ADMIN_URL named, wrapping the 42501", what, err)
		}
	}
	err := importSQLite(ctx, []string{"--file", sampleFile, "--tenant", "clinica", "--create-tenant", "--name", "Clínica"},
		d.AppURL, &bytes.Buffer{}, &bytes.Buffer{})
	wantOwnerError("import-sqlite", err)
	_, _, err = runDev(t, d.AppURL, "--email", "ana@example.com")
	wantOwnerError("dev-token", err)

	var written int
	if err := d.Admin.QueryRow(ctx, "select (select count(*) from tenants) + (select count(*) from auth.users)").Scan(&written); err != nil || written != 0 {
		t.Errorf("%d tenants and auth users written (%v), want none", written, err)
	}

	// Set, but naming a role that cannot write: the message does not claim it is unset.
	t.Setenv("DATABASE_ADMIN_URL", d.AppURL)
	err = importSQLite(ctx, []string{"--file", sampleFile, "--tenant", "clinica"}, d.AppURL, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_ADMIN_URL must be the database owner's URL") || strings.Contains(err.Error(), "not set") {
		t.Errorf("import with DATABASE_ADMIN_URL set to atende_app: err = %v", err)
	}
}

func TestOwnerRequiredKeepsRuleRefusals(t *testing.T) {
	t.Parallel()
	const url = "postgres://atende_app@127.0.0.1:5432/atende"
	// A rule trigger's 42501 names its constraint and says what it refused: kept as it is.
	rule := &pgconn.PgError{Code: "42501", ConstraintName: "users_member_rules", Message: "nobody changes their own role"}
	if err := ownerRequired(rule, url); err != rule {
		t.Errorf("rule refusal became %v", err)
	}
	other := &pgconn.PgError{Code: "23505"}
	if err := ownerRequired(other, url); err != other {
		t.Errorf("unique violation became %v", err)
	}
	if err := ownerRequired(nil, url); err != nil {
		t.Errorf("nil became %v", err)
	}
	privilege := &pgconn.PgError{Code: "42501", Message: "permission denied for table tenants"}
	if err := ownerRequired(privilege, url); !errors.Is(err, privilege) || !strings.Contains(err.Error(), `role "atende_app"`) ||
		!strings.Contains(err.Error(), "DATABASE_ADMIN_URL") {
		t.Errorf("privilege error: %v", err)
	}
}

// The sample's logins in the repository (sample_v15.logins, which `make seed` prints)
// are the facts the import tests hold (sample_v15.db.json).
func TestSampleLogins(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../legacy/testdata/sample_v15.db.json")
	if err != nil {
		t.Fatal(err)
	}
	var facts struct{ Passwords map[string]string }
	if err := json.Unmarshal(data, &facts); err != nil || len(facts.Passwords) == 0 {
		t.Fatalf("sample facts: %d passwords (%v)", len(facts.Passwords), err)
	}
	file, err := os.Open("../../legacy/testdata/sample_v15.logins")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	logins := map[string]string{}
	lines := bufio.NewScanner(file)
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			if len(fields) < 3 {
				t.Fatalf("login line %q: want email, password, role, name", lines.Text())
			}
			logins[fields[0]] = fields[1]
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	if len(logins) != len(facts.Passwords) {
		t.Errorf("%d logins, the sample has %d users", len(logins), len(facts.Passwords))
	}
	for email, password := range facts.Passwords {
		if logins[email] != password {
			t.Errorf("%s: login password %q, sample %q", email, logins[email], password)
		}
	}
}
