package auth

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestMintRefusesWithoutSecret(t *testing.T) {
	f := newFixture(t)
	v := f.newVerifier(t, Config{SupabaseURL: f.jwks.URL})
	token, err := v.Mint(testUser, time.Hour)
	if !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Mint = %q, %v; want ErrNoSecret", token, err)
	}
	if token != "" {
		t.Fatalf("Mint returned a token with its error: %q", token)
	}
}

func TestMint(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		cfg     Config
		wantISS string // "": no iss claim
		wantAUD string
	}{
		{"with Supabase URL", Config{JWTSecret: testSecret, SupabaseURL: f.jwks.URL}, f.issuer(), "authenticated"},
		{"secret only", Config{JWTSecret: testSecret}, "", "authenticated"},
		{"custom audience", Config{JWTSecret: testSecret, Audience: "partners"}, "", "partners"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := f.newVerifier(t, tt.cfg)
			token, err := v.Mint(testUser, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}

			id, err := v.Verify(context.Background(), token)
			if err != nil {
				t.Fatalf("Verify of a minted token: %v", err)
			}
			if id.UserID != testUser || id.Role != "authenticated" || id.Email != "" {
				t.Errorf("identity = %+v", id)
			}
			if want := f.clock.Now().Add(15 * time.Minute); !id.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %s, want %s", id.ExpiresAt, want)
			}

			// The claims are shaped as Supabase writes them.
			var claims map[string]any
			must(t, json.Unmarshal(id.Claims, &claims))
			want := map[string]any{
				"sub":  testUser.String(),
				"role": "authenticated",
				"aud":  tt.wantAUD,
				"iat":  float64(f.clock.Now().Unix()),
				"exp":  float64(f.clock.Now().Add(15 * time.Minute).Unix()),
			}
			if tt.wantISS != "" {
				want["iss"] = tt.wantISS
			}
			if len(claims) != len(want) {
				t.Errorf("claims = %v, want %v", claims, want)
			}
			for k, w := range want {
				if claims[k] != w {
					t.Errorf("claim %s = %#v, want %#v", k, claims[k], w)
				}
			}
		})
	}
}

func TestMintedTokenExpires(t *testing.T) {
	f := newFixture(t)
	token, err := f.v.Mint(testUser, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute + Leeway)
	verifyFails(t, f.v, token, `"exp" not satisfied`)
}

func TestMintRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		user uuid.UUID
		ttl  time.Duration
	}{
		{"nil user", uuid.Nil, time.Hour},
		{"zero ttl", testUser, 0},
		{"negative ttl", testUser, -time.Minute},
	} {
		if token, err := f.v.Mint(tc.user, tc.ttl); err == nil {
			t.Errorf("%s: Mint = %q, want an error", tc.name, token)
		}
	}
}
