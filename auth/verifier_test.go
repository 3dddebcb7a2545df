package auth

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
)

func TestVerifyAccepts(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		alg    jwa.SignatureAlgorithm
		change map[string]any
	}{
		{"HS256", jwa.HS256(), nil},
		{"ES256", jwa.ES256(), nil},
		{"RS256", jwa.RS256(), nil},
		{"aud array containing ours", jwa.ES256(), map[string]any{"aud": []string{"other", "authenticated"}}},
		{"no email", jwa.HS256(), map[string]any{"email": nil}},
		{"no iat", jwa.HS256(), map[string]any{"iat": nil}},
		{"expired within leeway", jwa.ES256(), map[string]any{"exp": start.Add(-Leeway + time.Second).Unix()}},
		{"nbf within leeway", jwa.ES256(), map[string]any{"nbf": start.Add(Leeway - time.Second).Unix()}},
		{"nbf passed", jwa.ES256(), map[string]any{"nbf": start.Add(-time.Minute).Unix()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := with(f.claims(), tt.change)
			var token string
			switch tt.alg {
			case jwa.HS256():
				token = sign(t, tt.alg, []byte(testSecret), "", claims)
			case jwa.ES256():
				token = sign(t, tt.alg, f.ec, "ec-1", claims)
			case jwa.RS256():
				token = sign(t, tt.alg, f.rsa, "rsa-1", claims)
			}

			id, err := f.v.Verify(context.Background(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.UserID != testUser {
				t.Errorf("UserID = %s, want %s", id.UserID, testUser)
			}
			if id.Role != "authenticated" {
				t.Errorf("Role = %q, want authenticated", id.Role)
			}
			wantEmail, _ := claims["email"].(string)
			if id.Email != wantEmail {
				t.Errorf("Email = %q, want %q", id.Email, wantEmail)
			}
			wantExp := time.Unix(claims["exp"].(int64), 0)
			if !id.ExpiresAt.Equal(wantExp) {
				t.Errorf("ExpiresAt = %s, want %s", id.ExpiresAt, wantExp)
			}
			if !bytes.Equal(id.Claims, payloadOf(t, token)) {
				t.Errorf("Claims = %s, want the payload verbatim %s", id.Claims, payloadOf(t, token))
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	hsOnly := f.newVerifier(t, Config{JWTSecret: testSecret})
	jwksOnly := f.newVerifier(t, Config{SupabaseURL: f.jwks.URL})
	// A project that moved to asymmetric keys and turned HS256 off (JWT_ACCEPT_HS256=false).
	hsRefused := f.newVerifier(t, Config{JWTSecret: testSecret, SupabaseURL: f.jwks.URL, RefuseHS256: true})
	if _, err := hsRefused.Verify(context.Background(), sign(t, jwa.ES256(), f.ec, "ec-1", f.claims())); err != nil {
		t.Fatalf("ES256 with HS256 turned off: %v", err)
	}
	otherEC := newECKey(t, elliptic.P256())

	hs := func(claims map[string]any) string { return sign(t, jwa.HS256(), []byte(testSecret), "", claims) }
	es := func(claims map[string]any) string { return sign(t, jwa.ES256(), f.ec, "ec-1", claims) }
	valid := es(f.claims())

	// The RSA public key as an attacker finds it: PEM, and the JWKS entry's JSON.
	der, err := x509.MarshalPKIXPublicKey(&f.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	var published struct{ Keys []json.RawMessage }
	must(t, json.Unmarshal(*f.jwks.body.Load(), &published))
	rsaJWK := published.Keys[1]

	hmacWith := func(key []byte) func([]byte) []byte {
		return func(input []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(input)
			return m.Sum(nil)
		}
	}
	parts := strings.Split(valid, ".")

	tests := []struct {
		name   string
		v      *Verifier // nil: f.v, which has both the secret and the JWKS
		token  string
		reason string // expected in the error text
	}{
		{"empty", nil, "", "empty token"},
		{"garbage", nil, "not a token", "malformed"},
		{"garbage with dots", nil, "a.b.c", "malformed"},
		{"two segments", nil, parts[0] + "." + parts[1], "malformed"},
		{"truncated signature", nil, valid[:len(valid)-8], "signature"},
		{"no signature", nil, parts[0] + "." + parts[1] + ".", "empty compact signature"},
		{"oversized", nil, strings.Repeat("a", maxTokenLen+1), "longer than"},
		{"tampered payload", nil, parts[0] + "." + strings.Split(es(with(f.claims(), map[string]any{"sub": uuid.NewString()})), ".")[1] + "." + parts[2], "signature"},
		{"wrong EC key", nil, sign(t, jwa.ES256(), otherEC, "ec-1", f.claims()), "signature"},
		{"wrong HS secret", nil, sign(t, jwa.HS256(), []byte(strings.Repeat("x", 40)), "", f.claims()), "signature"},
		{"expired", nil, es(with(f.claims(), map[string]any{"exp": start.Add(-Leeway - time.Second).Unix()})), `"exp" not satisfied`},
		{"not yet valid", nil, es(with(f.claims(), map[string]any{"nbf": start.Add(Leeway + time.Second).Unix()})), `"nbf" not satisfied`},
		{"issued in the future", nil, es(with(f.claims(), map[string]any{"iat": start.Add(time.Hour).Unix()})), `"iat" not satisfied`},
		{"no exp", nil, es(with(f.claims(), map[string]any{"exp": nil})), `"exp"`},
		{"wrong aud", nil, es(with(f.claims(), map[string]any{"aud": "anon"})), `"aud" not satisfied`},
		{"wrong aud array", nil, es(with(f.claims(), map[string]any{"aud": []string{"a", "b"}})), `"aud" not satisfied`},
		{"no aud", nil, es(with(f.claims(), map[string]any{"aud": nil})), `"aud" not satisfied`},
		{"wrong iss", nil, es(with(f.claims(), map[string]any{"iss": "https://evil.example/auth/v1"})), `"iss" not satisfied`},
		{"no iss", nil, es(with(f.claims(), map[string]any{"iss": nil})), `"iss" not satisfied`},
		{"no sub", nil, es(with(f.claims(), map[string]any{"sub": nil})), "no sub"},
		{"sub not a UUID", nil, es(with(f.claims(), map[string]any{"sub": "user-1"})), "not a canonical user UUID"},
		{"sub upper case", nil, es(with(f.claims(), map[string]any{"sub": strings.ToUpper(testUser.String())})), "not a canonical user UUID"},
		{"sub braced", nil, es(with(f.claims(), map[string]any{"sub": "{" + testUser.String() + "}"})), "not a canonical user UUID"},
		{"sub nil UUID", nil, es(with(f.claims(), map[string]any{"sub": uuid.Nil.String()})), "not a canonical user UUID"},
		{"no role", nil, es(with(f.claims(), map[string]any{"role": nil})), "role claim"},
		{"role anon", nil, es(with(f.claims(), map[string]any{"role": "anon"})), `role "anon" is not accepted`},
		{"role service_role", nil, es(with(f.claims(), map[string]any{"role": "service_role"})), `role "service_role" is not accepted`},
		{"role not a string", nil, es(with(f.claims(), map[string]any{"role": 1})), "role claim"},
		{"email not a string", nil, es(with(f.claims(), map[string]any{"email": 1})), "email claim"},

		{"alg none", nil, forge(t, map[string]any{"alg": "none", "typ": "JWT"}, f.claims(), nil), `"none" is not accepted`},
		{"alg none with kid", nil, forge(t, map[string]any{"alg": "none", "kid": "ec-1"}, f.claims(), nil), `"none" is not accepted`},
		{"alg None", nil, forge(t, map[string]any{"alg": "None"}, f.claims(), nil), "malformed"},
		{"no alg", nil, forge(t, map[string]any{"typ": "JWT"}, f.claims(), hmacWith([]byte(testSecret))), "no alg"},
		{"HS512 with the secret", nil, sign(t, jwa.HS512(), []byte(testSecret), "", f.claims()), `"HS512" is not accepted`},
		{"ES384", nil, sign(t, jwa.ES384(), newECKey(t, elliptic.P384()), "ec-1", f.claims()), `"ES384" is not accepted`},
		{"HS256 keyed with RSA PEM", nil, forge(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, f.claims(), hmacWith(rsaPEM)), "signature"},
		{"HS256 keyed with RSA JWK", nil, forge(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, f.claims(), hmacWith(rsaJWK)), "signature"},
		{"HS256 keyed with RSA PEM, no secret", jwksOnly, forge(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, f.claims(), hmacWith(rsaPEM)), "no JWT secret"},
		{"HS256 without secret", jwksOnly, hs(f.claims()), "no JWT secret"},
		{"HS256 turned off", hsRefused, hs(f.claims()), "HS256 is turned off"},
		{"HS256 with a wrong iss (SUPABASE_URL set)", nil, hs(with(f.claims(), map[string]any{"iss": "https://evil.example/auth/v1"})), `"iss" not satisfied`},
		{"HS256 with no iss (SUPABASE_URL set)", nil, hs(with(f.claims(), map[string]any{"iss": nil})), `"iss" not satisfied`},
		{"RS256 without JWKS", hsOnly, sign(t, jwa.RS256(), f.rsa, "rsa-1", f.claims()), "no Supabase URL"},
		{"ES256 without JWKS", hsOnly, valid, "no Supabase URL"},
		{"ES256 naming the RSA key", nil, sign(t, jwa.ES256(), f.ec, "rsa-1", f.claims()), `whose key is for RS256`},
		{"RS256 naming the EC key", nil, sign(t, jwa.RS256(), f.rsa, "ec-1", f.claims()), `whose key is for ES256`},
		{"ES256 without kid", nil, sign(t, jwa.ES256(), f.ec, "", f.claims()), "without kid"},
		{"unknown kid", nil, sign(t, jwa.ES256(), f.ec, "ec-9", f.claims()), `unknown kid "ec-9"`},
		{"crit header", nil, forge(t, map[string]any{"alg": "HS256", "crit": []string{"exp"}, "exp": 1}, f.claims(), hmacWith([]byte(testSecret))), "crit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			if v == nil {
				v = f.v
			}
			id, err := v.Verify(context.Background(), tt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", id)
			}
			t.Log(err)
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("error %q does not wrap ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not mention %q", err, tt.reason)
			}
			if id.UserID != uuid.Nil || id.Claims != nil {
				t.Errorf("failed Verify returned an identity: %+v", id)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for success
	}{
		{"secret only", Config{JWTSecret: testSecret}, ""},
		{"URL only", Config{SupabaseURL: "https://abc.supabase.co"}, ""},
		{"nothing", Config{}, "neither"},
		{"short secret", Config{JWTSecret: "secret"}, "shorter than 32"},
		{"relative URL", Config{SupabaseURL: "abc.supabase.co"}, "not an absolute"},
		{"other scheme", Config{SupabaseURL: "ftp://abc.supabase.co"}, "not an absolute"},
		{"bad URL", Config{SupabaseURL: "https://abc supabase.co\x7f"}, "Supabase URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewDerivesIssuerAndAudience(t *testing.T) {
	f := newFixture(t)
	// A trailing slash on SUPABASE_URL must not change the issuer or the JWKS URL.
	v := f.newVerifier(t, Config{SupabaseURL: f.jwks.URL + "/", Audience: "partners"})
	claims := with(f.claims(), map[string]any{"aud": "partners"})
	if _, err := v.Verify(context.Background(), sign(t, jwa.ES256(), f.ec, "ec-1", claims)); err != nil {
		t.Fatalf("Verify with custom audience: %v", err)
	}
	_, err := v.Verify(context.Background(), sign(t, jwa.ES256(), f.ec, "ec-1", f.claims()))
	if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), `"aud"`) {
		t.Fatalf("Verify of an aud=authenticated token with audience partners: %v", err)
	}
}

func TestVerifyWithoutIssuerCheck(t *testing.T) {
	// Without SUPABASE_URL there is no expected issuer, so any iss (or none) passes.
	f := newFixture(t)
	v := f.newVerifier(t, Config{JWTSecret: testSecret})
	for _, iss := range []any{nil, "https://elsewhere.example/auth/v1"} {
		token := sign(t, jwa.HS256(), []byte(testSecret), "", with(f.claims(), map[string]any{"iss": iss}))
		if _, err := v.Verify(context.Background(), token); err != nil {
			t.Errorf("iss %v: %v", iss, err)
		}
	}
}
