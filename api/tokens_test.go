package api_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db/dbtest"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// supabaseProject serves a JWKS at Supabase's path; the published keys can be replaced,
// as when a project rotates its signing keys.
type supabaseProject struct {
	*httptest.Server
	jwks atomic.Pointer[[]byte]
}

func newSupabaseProject(t *testing.T) *supabaseProject {
	t.Helper()
	p := &supabaseProject{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth/v1/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(*p.jwks.Load())
	}))
	t.Cleanup(p.Close)
	return p
}

// publish replaces the JWKS with the public halves of keys, by kid.
func (p *supabaseProject) publish(t *testing.T, keys map[string]*rsa.PrivateKey) {
	t.Helper()
	set := jwk.NewSet()
	for kid, private := range keys {
		k, err := jwk.Import(&private.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		k.Set(jwk.KeyIDKey, kid)
		k.Set(jwk.AlgorithmKey, jwa.RS256())
		set.AddKey(k)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p.jwks.Store(&b)
}

// signToken signs claims as the project would.
func signToken(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	headers := jws.NewHeaders()
	if kid != "" {
		headers.Set(jws.KeyIDKey, kid)
	}
	token, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(headers)))
	if err != nil {
		t.Fatal(err)
	}
	return string(token)
}

// forgeToken assembles a token by hand, as an attacker would.
func forgeToken(t *testing.T, header, claims map[string]any, signature []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(signature)
}

// TestTokens drives the API with every kind of bad access token: each is a 401 problem,
// never a stack trace and never the caller's data. A rotated JWKS is picked up without
// a restart.
func TestTokens(t *testing.T) {
	t.Parallel()
	project := newSupabaseProject(t)
	key1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	project.publish(t, map[string]*rsa.PrivateKey{"key-1": key1})
	// A settable clock: the verifier refreshes the JWKS at most every 30 s.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	tokens, err := auth.New(auth.Config{JWTSecret: testSecret, SupabaseURL: project.URL, HTTPClient: project.Client(),
		Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAPIWith(t, tokens)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")

	now := time.Now()
	claims := func(changes map[string]any) map[string]any {
		c := map[string]any{
			"iss": project.URL + "/auth/v1", "sub": tn.OwnerID.String(), "aud": "authenticated", "role": "authenticated",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		}
		for k, v := range changes {
			c[k] = v
		}
		return c
	}
	hs256 := func(changes map[string]any) string {
		return signToken(t, jwa.HS256(), []byte(testSecret), "", claims(changes))
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&key1.PublicKey))})
	valid := signToken(t, jwa.RS256(), key1, "key-1", claims(nil))

	bad := map[string]string{
		"expired":                      hs256(map[string]any{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix()}),
		"not yet valid":                hs256(map[string]any{"nbf": now.Add(time.Hour).Unix()}),
		"wrong signature":              signToken(t, jwa.HS256(), []byte("another-secret-that-is-32-bytes-long!!"), "", claims(nil)),
		"wrong audience":               hs256(map[string]any{"aud": "anon"}),
		"wrong issuer":                 hs256(map[string]any{"iss": "https://evil.example/auth/v1"}),
		"alg none":                     forgeToken(t, map[string]any{"alg": "none", "typ": "JWT"}, claims(nil), nil),
		"HS256 keyed with the RSA key": signToken(t, jwa.HS256(), publicPEM, "key-1", claims(nil)),
		"unknown kid":                  signToken(t, jwa.RS256(), key2, "key-2", claims(nil)),
		"truncated":                    valid[:len(valid)-20],
		"garbage":                      "not.a.token",
		"service role is not a user":   hs256(map[string]any{"role": "service_role"}),
		"subject is not a UUID":        hs256(map[string]any{"sub": "admin"}),
	}
	for name, token := range bad {
		t.Run(name, func(t *testing.T) {
			res := a.do(request{method: "GET", path: "/api/v1/contacts", token: token})
			if res.status != http.StatusUnauthorized || res.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s): %s, want a 401 problem", res.status, res.header.Get("Content-Type"), res.body)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		a.do(request{method: "GET", path: "/api/v1/contacts"}).expect(t, http.StatusUnauthorized)
	})

	a.do(request{method: "GET", path: "/api/v1/contacts", token: valid}).expect(t, http.StatusOK)
	a.do(request{method: "GET", path: "/api/v1/contacts", token: hs256(nil)}).expect(t, http.StatusOK)

	// The project rotates to key 2: once the refresh floor has passed, tokens signed
	// with it work without a restart.
	project.publish(t, map[string]*rsa.PrivateKey{"key-1": key1, "key-2": key2})
	clock.Add(int64(time.Minute))
	a.do(request{method: "GET", path: "/api/v1/contacts", token: bad["unknown kid"]}).expect(t, http.StatusOK)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
