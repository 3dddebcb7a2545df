package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

const testSecret = "super-secret-jwt-token-with-at-least-32-characters-long"

// start is the fake clock's initial time; whole seconds, like NumericDate.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var testUser = uuid.MustParse("4f0d6a4e-9a54-4a36-9c59-2e3c1b1d7a10")

// RSA generation is slow, so the tests share two keys.
var rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func newECKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwksServer plays a Supabase project: it serves a replaceable JWKS at the Supabase
// path and counts the requests for it.
type jwksServer struct {
	*httptest.Server
	body    atomic.Pointer[[]byte]
	status  atomic.Int32
	fetches atomic.Int64
	hold    atomic.Pointer[gate] // when set, the next request waits at it
}

// gate holds one JWKS request in flight: the handler closes started, then waits for
// release.
type gate struct {
	started, release chan struct{}
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.status.Store(http.StatusOK)
	s.serve(t) // empty set
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth/v1/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		s.fetches.Add(1)
		if g := s.hold.Swap(nil); g != nil {
			close(g.started)
			<-g.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s.status.Load()))
		w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

// jwkEntry is one key the server publishes.
type jwkEntry struct {
	kid string
	key any    // public or private key; only the public part is published
	alg string // "" to omit
	use string // "" to omit
}

// serve replaces the published JWKS.
func (s *jwksServer) serve(t *testing.T, entries ...jwkEntry) {
	t.Helper()
	set := jwk.NewSet()
	for _, e := range entries {
		raw := e.key
		if _, ok := raw.([]byte); !ok {
			var err error
			if raw, err = jwk.PublicRawKeyOf(raw); err != nil {
				t.Fatal(err)
			}
		}
		k, err := jwk.Import(raw)
		if err != nil {
			t.Fatal(err)
		}
		must(t, k.Set(jwk.KeyIDKey, e.kid))
		if e.alg != "" {
			must(t, k.Set(jwk.AlgorithmKey, e.alg))
		}
		if e.use != "" {
			must(t, k.Set(jwk.KeyUsageKey, e.use))
		}
		must(t, set.AddKey(k))
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store(&b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture is a Verifier configured with both the secret and a JWKS server, on a fake
// clock.
type fixture struct {
	clock *fakeClock
	jwks  *jwksServer
	v     *Verifier
	ec    *ecdsa.PrivateKey // published as "ec-1"
	rsa   *rsa.PrivateKey   // published as "rsa-1"
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		clock: &fakeClock{now: start},
		jwks:  newJWKSServer(t),
		ec:    newECKey(t, elliptic.P256()),
		rsa:   rsaKeys()[0],
	}
	f.jwks.serve(t,
		jwkEntry{kid: "ec-1", key: f.ec, alg: "ES256", use: "sig"},
		jwkEntry{kid: "rsa-1", key: f.rsa, alg: "RS256", use: "sig"},
	)
	f.v = f.newVerifier(t, Config{JWTSecret: testSecret, SupabaseURL: f.jwks.URL})
	return f
}

// newVerifier builds a Verifier on the fixture's clock and server client.
func (f *fixture) newVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	cfg.Now = f.clock.Now
	cfg.HTTPClient = f.jwks.Client()
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *fixture) issuer() string { return f.jwks.URL + "/auth/v1" }

// claims returns the claims of a typical Supabase user token issued now.
func (f *fixture) claims() map[string]any {
	now := f.clock.Now()
	return map[string]any{
		"iss":          f.issuer(),
		"sub":          testUser.String(),
		"aud":          "authenticated",
		"exp":          now.Add(time.Hour).Unix(),
		"iat":          now.Unix(),
		"email":        "ana@example.com",
		"phone":        "",
		"role":         "authenticated",
		"aal":          "aal1",
		"session_id":   "8a1f9b5e-3c1d-4f8e-9b2a-6d7e8f9a0b1c",
		"is_anonymous": false,
		"app_metadata": map[string]any{"provider": "email"},
	}
}

// with returns a copy of claims with the given changes; a nil value deletes the claim.
func with(claims map[string]any, changes map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// sign signs claims with the library, as a legitimate issuer would.
func sign(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	must(t, hdr.Set("typ", "JWT"))
	if kid != "" {
		must(t, hdr.Set("kid", kid))
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// forge assembles a compact token by hand, as an attacker would; signer computes the
// signature over the signing input (nil: empty signature).
func forge(t *testing.T, header, claims map[string]any, signer func(input []byte) []byte) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	var sig []byte
	if signer != nil {
		sig = signer([]byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}

// payloadOf decodes a compact token's payload without verifying it.
func payloadOf(t *testing.T, token string) []byte {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}
