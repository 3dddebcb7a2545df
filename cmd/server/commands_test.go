package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

func TestTenantCreate(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var out bytes.Buffer
	err := createTenant(ctx, []string{"create", "--name", "Clínica Sorriso", "--slug", "clinica-sorriso", "--admin-email", "Eva@Sorriso.example"}, d.AdminURL, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	var role, email string
	var secrets, aiConfigs int
	err = d.Admin.QueryRow(ctx, `
		select i.role::text, i.email,
			(select count(*) from tenant_secrets s where s.tenant_id = t.id),
			(select count(*) from ai_config a where a.tenant_id = t.id)
		from tenants t join invitations i on i.tenant_id = t.id
		where t.slug = 'clinica-sorriso' and t.name = 'Clínica Sorriso' and i.accepted_at is null`).Scan(&role, &email, &secrets, &aiConfigs)
	if err != nil || role != "admin" || email != "eva@sorriso.example" || secrets != 1 || aiConfigs != 1 {
		t.Fatalf("tenant: invitation %s %s, %d secrets, %d ai configs (%v)", role, email, secrets, aiConfigs, err)
	}
	if !strings.Contains(out.String(), "clinica-sorriso") || !strings.Contains(out.String(), "eva@sorriso.example") {
		t.Fatalf("output: %s", out.String())
	}

	// The invited admin signs up and joins.
	id := dbtest.CreateAuthUser(t, d, "eva@sorriso.example", `{}`, `{}`)
	if err := d.Admin.QueryRow(ctx, "select role::text from users where id = $1", id).Scan(&role); err != nil || role != "admin" {
		t.Fatalf("Eva's role: %q (%v)", role, err)
	}

	for name, args := range map[string][]string{
		"no name":     {"create", "--slug", "x"},
		"no slug":     {"create", "--name", "X"},
		"no command":  {},
		"unknown":     {"delete", "--slug", "x"},
		"stray words": {"create", "--name", "X", "--slug", "x", "now"},
	} {
		if err := createTenant(ctx, args, d.AdminURL, nil, &out); !errors.Is(err, errUsage) {
			t.Errorf("%s: err = %v, want errUsage", name, err)
		}
	}
	if err := createTenant(ctx, []string{"create", "--name", "Outra", "--slug", "clinica-sorriso"}, d.AdminURL, nil, &out); err == nil {
		t.Error("a taken slug was accepted")
	}
	// The API's rules, from the one constructor: reserved and malformed slugs, bad emails.
	for _, args := range [][]string{
		{"create", "--name", "API", "--slug", "api"},
		{"create", "--name", "WWW", "--slug", "WWW"},
		{"create", "--name", "Hífen", "--slug", "-clinica"},
		{"create", "--name", "Sem email", "--slug", "sem-email", "--admin-email", "ana"},
	} {
		if err := createTenant(ctx, args, d.AdminURL, nil, &out); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want the value refused", args, err)
		}
	}
	var tenants int
	if err := d.Admin.QueryRow(ctx, "select count(*) from tenants where slug in ('api', 'www', 'sem-email')").Scan(&tenants); err != nil || tenants != 0 {
		t.Errorf("%d refused tenants were created (%v)", tenants, err)
	}
}

// A padded, mixed-case admin email is stored as Supabase Auth stores emails, so the
// invitation is accepted when that person confirms their address.
func TestTenantCreatePaddedEmail(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	args := []string{"create", "--name", "Clínica Ana", "--slug", " Clinica-Ana ", "--admin-email", " Ana@Example.COM "}
	if err := createTenant(ctx, args, d.AdminURL, nil, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	id := dbtest.CreateAuthUser(t, d, "ana@example.com", `{}`, `{}`)
	var slug, role string
	err := d.Admin.QueryRow(ctx, "select t.slug, u.role::text from users u join tenants t on t.id = u.tenant_id where u.id = $1", id).Scan(&slug, &role)
	if err != nil || slug != "clinica-ana" || role != "admin" {
		t.Fatalf("Ana joined %q as %q (%v), want clinica-ana as admin", slug, role, err)
	}
}

// The token tests set the process environment, so they do not run in parallel.
func TestToken(t *testing.T) {
	user := uuid.New()
	t.Setenv("SUPABASE_URL", "")
	t.Setenv("SUPABASE_JWT_SECRET", "")
	if err := printToken([]string{"--user", user.String()}, &bytes.Buffer{}); err == nil || !strings.HasPrefix(err.Error(), "SUPABASE_JWT_SECRET is not set: ") {
		t.Fatalf("token without a secret: err = %v, want SUPABASE_JWT_SECRET named", err)
	}
	// With SUPABASE_URL the server could verify, but there is still nothing to sign with.
	t.Setenv("SUPABASE_URL", "https://project.supabase.co")
	if err := printToken([]string{"--user", user.String()}, &bytes.Buffer{}); err == nil || !strings.HasPrefix(err.Error(), "SUPABASE_JWT_SECRET is not set: ") {
		t.Fatalf("token with SUPABASE_URL but no secret: err = %v, want SUPABASE_JWT_SECRET named", err)
	}
	t.Setenv("SUPABASE_URL", "")

	secret := "development-secret-of-at-least-32-bytes"
	t.Setenv("SUPABASE_JWT_SECRET", secret)
	var out bytes.Buffer
	if err := printToken([]string{"--user", user.String(), "--ttl", "5m"}, &out); err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.New(auth.Config{JWTSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	identity, err := verifier.Verify(context.Background(), strings.TrimSpace(out.String()))
	if err != nil || identity.UserID != user || time.Until(identity.ExpiresAt) > 5*time.Minute {
		t.Fatalf("minted token: %+v (%v)", identity, err)
	}
	for _, args := range [][]string{{}, {"--user", "not-a-uuid"}, {"--user", user.String(), "extra"}} {
		if err := printToken(args, &bytes.Buffer{}); err == nil {
			t.Errorf("token %v: accepted", args)
		}
	}

	// JWT_ACCEPT_HS256=false: the server refuses the tokens the secret signs.
	t.Setenv("JWT_ACCEPT_HS256", "false")
	served, err := newVerifier()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := served.Verify(context.Background(), strings.TrimSpace(out.String())); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("HS256 token with JWT_ACCEPT_HS256=false: err = %v, want refused", err)
	}
	t.Setenv("JWT_ACCEPT_HS256", "nope")
	if _, err := newVerifier(); err == nil || !strings.Contains(err.Error(), "JWT_ACCEPT_HS256") {
		t.Errorf("JWT_ACCEPT_HS256=nope: err = %v, want one naming the variable", err)
	}
}

// serve without any way to verify tokens names both variables that would give one.
func TestVerifierConfigurationNamed(t *testing.T) {
	t.Setenv("SUPABASE_URL", "")
	t.Setenv("SUPABASE_JWT_SECRET", "")
	t.Setenv("JWT_ACCEPT_HS256", "")
	_, err := newVerifier()
	if err == nil || !strings.Contains(err.Error(), "neither SUPABASE_JWT_SECRET nor SUPABASE_URL is set") {
		t.Errorf("no configuration: err = %v, want both variables named", err)
	}
	if err := runServe(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "SUPABASE_JWT_SECRET nor SUPABASE_URL") {
		t.Errorf("serve without configuration: err = %v", err)
	}
	t.Setenv("SUPABASE_JWT_SECRET", "too-short")
	if _, err := newVerifier(); err == nil || !strings.Contains(err.Error(), "SUPABASE_JWT_SECRET") {
		t.Errorf("short secret: err = %v, want the variable named", err)
	}
}

// Replicas must sign list cursors alike: serve takes CURSOR_KEY (32 bytes or more), or
// derives one from the HS256 secret, and refuses to start with neither.
func TestCursorKey(t *testing.T) {
	t.Setenv("SUPABASE_JWT_SECRET", "")
	t.Setenv("CURSOR_KEY", "")
	if _, err := cursorKey(); err == nil || !strings.Contains(err.Error(), "CURSOR_KEY is not set") {
		t.Errorf("neither: err = %v, want CURSOR_KEY named", err)
	}
	t.Setenv("CURSOR_KEY", "short")
	if _, err := cursorKey(); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Errorf("a short CURSOR_KEY: err = %v", err)
	}
	t.Setenv("CURSOR_KEY", strings.Repeat("k", 32))
	if key, err := cursorKey(); err != nil || string(key) != strings.Repeat("k", 32) {
		t.Errorf("CURSOR_KEY: key %q, err %v", key, err)
	}
	t.Setenv("CURSOR_KEY", "")
	t.Setenv("SUPABASE_JWT_SECRET", strings.Repeat("s", 32))
	first, err := cursorKey()
	if err != nil || len(first) != 32 {
		t.Fatalf("derived: key %x, err %v", first, err)
	}
	if again, _ := cursorKey(); !bytes.Equal(first, again) {
		t.Error("two replicas with the same secret derive different keys")
	}
	t.Setenv("SUPABASE_JWT_SECRET", strings.Repeat("t", 32))
	if other, _ := cursorKey(); bytes.Equal(first, other) {
		t.Error("another secret derives the same key")
	}
}
