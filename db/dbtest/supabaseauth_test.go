package dbtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/google/uuid"
)

// TestNewWithAuthSignUpAndSignIn signs a user up and in against the real Supabase Auth
// server: the project's signup trigger makes the profile, and the access token Auth
// issues passes the project's verifier and drives RLS.
func TestNewWithAuthSignUpAndSignIn(t *testing.T) {
	t.Parallel()
	d, srv := NewWithAuth(t, AuthOptions{AutoConfirm: true})
	ctx := context.Background()

	id := srv.SignUp(t, "Ana.Souza@Clinica.Example", "correct horse battery")

	var profileEmail string
	if err := d.Admin.QueryRow(ctx, "select email from public.users where id = $1", id).Scan(&profileEmail); err != nil {
		t.Fatalf("profile of %s: %v", id, err)
	}
	if profileEmail != "ana.souza@clinica.example" {
		t.Errorf("profile email = %q, want ana.souza@clinica.example", profileEmail)
	}
	var confirmed bool
	if err := d.Admin.QueryRow(ctx, "select email_confirmed_at is not null from auth.users where id = $1", id).Scan(&confirmed); err != nil {
		t.Fatal(err)
	}
	if !confirmed {
		t.Error("email_confirmed_at is null after a signup with AutoConfirm")
	}

	token := srv.SignIn(t, "ana.souza@clinica.example", "correct horse battery")
	verifier, err := auth.New(auth.Config{JWTSecret: srv.JWTSecret, SupabaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ident, err := verifier.Verify(ctx, token)
	if err != nil {
		t.Fatalf("verify Auth's access token: %v", err)
	}
	if ident.UserID != id || ident.Email != "ana.souza@clinica.example" || ident.Role != "authenticated" {
		t.Errorf("identity = %s %q %q, want %s ana.souza@clinica.example authenticated", ident.UserID, ident.Email, ident.Role, id)
	}

	// The token's claims, as the API passes them, let the user read their own profile
	// through RLS.
	var profile db.User
	err = d.App.AsCaller(ctx, ident.Claims, func(q *db.Queries) error {
		var err error
		profile, err = q.UserGetByID(ctx, id)
		return err
	})
	if err != nil {
		t.Fatalf("own profile as the caller: %v", err)
	}
	if profile.ID != id {
		t.Errorf("own profile id = %s, want %s", profile.ID, id)
	}

	if s := srv.SignInSession(t, "ana.souza@clinica.example", "correct horse battery"); s.RefreshToken == "" {
		t.Error("sign-in session has no refresh token")
	}
}

// TestNewWithAuthConfirm shows a signup waiting for confirmation when AutoConfirm is
// off, and Confirm confirming it through Auth.
func TestNewWithAuthConfirm(t *testing.T) {
	t.Parallel()
	d, srv := NewWithAuth(t, AuthOptions{AutoConfirm: false})
	ctx := context.Background()
	const email, password = "bruno@clinica.example", "correct horse battery"

	before := time.Now()
	id := srv.SignUp(t, email, password)
	confirmedAt := func() *time.Time {
		t.Helper()
		var at *time.Time
		if err := d.Admin.QueryRow(ctx, "select email_confirmed_at from auth.users where id = $1", id).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := confirmedAt(); at != nil {
		t.Fatalf("email_confirmed_at = %s right after signup, want null", at)
	}
	status, body, err := srv.do(http.MethodPost, "/token?grant_type=password", srv.AnonKey(),
		map[string]string{"email": email, "password": password})
	if err != nil || status != http.StatusBadRequest || !strings.Contains(string(body), "email_not_confirmed") {
		t.Errorf("sign in before confirming = %d %s (%v), want 400 email_not_confirmed", status, body, err)
	}

	srv.Confirm(t, email)
	at := confirmedAt()
	if at == nil {
		t.Fatal("email_confirmed_at is null after Confirm")
	}
	if at.Before(before.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
		t.Errorf("email_confirmed_at = %s, want about now", at)
	}
	srv.SignIn(t, email, password)
}

// TestNewWithAuthInvite records what an invitation does in Supabase Auth, which the
// signup trigger depends on: POST /invite already inserts the auth.users row (so the
// profile is created at invite time), unconfirmed and without a password; verifying the
// link confirms the email.
func TestNewWithAuthInvite(t *testing.T) {
	t.Parallel()
	d, srv := NewWithAuth(t, AuthOptions{AutoConfirm: true})
	ctx := context.Background()
	invite := map[string]any{"email": "carla@clinica.example", "data": map[string]string{"full_name": "Carla"}}

	if status, body, err := srv.do(http.MethodPost, "/invite", srv.AnonKey(), invite); err != nil || status != http.StatusForbidden {
		t.Errorf("invite with the anon key = %d %s (%v), want 403", status, body, err)
	}

	var user struct {
		ID uuid.UUID `json:"id"`
	}
	srv.post(t, "/invite", srv.ServiceRoleKey(), invite, &user)

	type state struct {
		Invited, Confirmed, HasPassword, HasToken bool
		FullName                                  string
	}
	read := func() (s state) {
		t.Helper()
		err := d.Admin.QueryRow(ctx, `
			select a.invited_at is not null, a.email_confirmed_at is not null, a.encrypted_password <> '',
				coalesce(a.confirmation_token, '') <> '', coalesce(p.full_name, '')
			from auth.users a left join public.users p using (id)
			where a.id = $1`, user.ID).Scan(&s.Invited, &s.Confirmed, &s.HasPassword, &s.HasToken, &s.FullName)
		if err != nil {
			t.Fatalf("read invited user: %v", err)
		}
		return s
	}
	if got, want := read(), (state{Invited: true, HasToken: true, FullName: "Carla"}); got != want {
		t.Errorf("after invite: %+v, want %+v", got, want)
	}

	var tokenHash string
	if err := d.Admin.QueryRow(ctx, "select confirmation_token from auth.users where id = $1", user.ID).Scan(&tokenHash); err != nil {
		t.Fatal(err)
	}
	var session struct {
		AccessToken string `json:"access_token"`
	}
	srv.post(t, "/verify", srv.AnonKey(), map[string]string{"type": "invite", "token_hash": tokenHash}, &session)
	// Auth gives the invited user a random password; the app then asks for a real one.
	if got, want := read(), (state{Invited: true, Confirmed: true, HasPassword: true, FullName: "Carla"}); got != want {
		t.Errorf("after verifying the invite: %+v, want %+v", got, want)
	}
	if session.AccessToken == "" {
		t.Error("verifying the invite returned no session")
	}
}
