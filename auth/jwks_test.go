package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// verifyOK fails the test unless token verifies.
func verifyOK(t *testing.T, v *Verifier, token string) {
	t.Helper()
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// verifyFails fails the test unless token is rejected with reason in the error.
func verifyFails(t *testing.T, v *Verifier, token, reason string) {
	t.Helper()
	verifyFailsCtx(t, context.Background(), v, token, reason)
}

func verifyFailsCtx(t *testing.T, ctx context.Context, v *Verifier, token, reason string) {
	t.Helper()
	_, err := v.Verify(ctx, token)
	if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("Verify error = %v, want ErrInvalidToken mentioning %q", err, reason)
	}
}

func wantFetches(t *testing.T, s *jwksServer, want int64) {
	t.Helper()
	if got := s.fetches.Load(); got != want {
		t.Fatalf("JWKS fetched %d times, want %d", got, want)
	}
}

// esToken returns a new ES256 token (a distinct one each call, so the verification
// cache cannot answer for it).
func (f *fixture) esToken(t *testing.T, key *ecdsa.PrivateKey, kid string) string {
	t.Helper()
	return sign(t, jwa.ES256(), key, kid, with(f.claims(), map[string]any{"session_id": uuid.NewString()}))
}

func TestJWKSFetchedLazily(t *testing.T) {
	f := newFixture(t)
	verifyOK(t, f.v, sign(t, jwa.HS256(), []byte(testSecret), "", f.claims()))
	wantFetches(t, f.jwks, 0)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	verifyOK(t, f.v, sign(t, jwa.RS256(), f.rsa, "rsa-1", f.claims()))
	wantFetches(t, f.jwks, 1)
}

func TestJWKSKeyRotation(t *testing.T) {
	f := newFixture(t)
	old := f.esToken(t, f.ec, "ec-1")
	verifyOK(t, f.v, old)
	wantFetches(t, f.jwks, 1)

	// The project rotates: key 2 replaces key 1 in the JWKS.
	key2 := newECKey(t, elliptic.P256())
	f.jwks.serve(t, jwkEntry{kid: "ec-2", key: key2, alg: "ES256", use: "sig"})
	rotated := f.esToken(t, key2, "ec-2")

	// Right after a fetch, the floor holds the unknown kid back.
	verifyFails(t, f.v, rotated, `unknown kid "ec-2"`)
	wantFetches(t, f.jwks, 1)

	f.clock.Advance(jwksMinInterval)
	verifyOK(t, f.v, rotated)
	wantFetches(t, f.jwks, 2)

	// Key 1 is no longer trusted: neither for new tokens nor for the cached one.
	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-1"), `unknown kid "ec-1"`)
	verifyFails(t, f.v, old, `unknown kid "ec-1"`)
	wantFetches(t, f.jwks, 2)
}

func TestJWKSPeriodicRefreshDropsRemovedKey(t *testing.T) {
	f := newFixture(t)
	cached := f.esToken(t, f.ec, "ec-1")
	verifyOK(t, f.v, cached)

	f.jwks.serve(t, jwkEntry{kid: "ec-2", key: newECKey(t, elliptic.P256())})
	f.clock.Advance(jwksMaxAge - time.Second)
	verifyOK(t, f.v, cached) // the JWKS is not stale yet
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	wantFetches(t, f.jwks, 1)

	f.clock.Advance(time.Second)
	verifyFails(t, f.v, cached, `unknown kid "ec-1"`)
	wantFetches(t, f.jwks, 2)
}

func TestJWKSRefreshFloor(t *testing.T) {
	f := newFixture(t)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	wantFetches(t, f.jwks, 1)

	// A flood of random kids, concurrently, once the floor has passed: one fetch.
	f.clock.Advance(jwksMinInterval)
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		token := f.esToken(t, f.ec, uuid.NewString())
		wg.Go(func() {
			_, errs[i] = f.v.Verify(context.Background(), token)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "unknown kid") {
			t.Fatalf("random kid: %v", err)
		}
	}
	wantFetches(t, f.jwks, 2)

	// More of them within the floor: none.
	f.clock.Advance(jwksMinInterval - time.Second)
	for range 20 {
		verifyFails(t, f.v, f.esToken(t, f.ec, uuid.NewString()), "unknown kid")
	}
	wantFetches(t, f.jwks, 2)

	// Known kids keep working meanwhile, without fetching.
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	wantFetches(t, f.jwks, 2)

	f.clock.Advance(time.Second)
	verifyFails(t, f.v, f.esToken(t, f.ec, uuid.NewString()), "unknown kid")
	wantFetches(t, f.jwks, 3)
}

// notifyCtx reports, by closing waiting, the first time its caller waits on Done.
type notifyCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *notifyCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestJWKSConcurrentCallersShareFetch(t *testing.T) {
	// A caller needing a kid while another caller is fetching waits for that fetch
	// and uses its result, rather than failing or fetching again.
	f := newFixture(t)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	key2 := newECKey(t, elliptic.P256())
	f.jwks.serve(t, jwkEntry{kid: "ec-2", key: key2})
	f.clock.Advance(jwksMinInterval)
	tokenA, tokenB := f.esToken(t, key2, "ec-2"), f.esToken(t, key2, "ec-2")

	g := &gate{started: make(chan struct{}), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(g.release) })
	t.Cleanup(release) // before the server's Close, which waits for the held request
	f.jwks.hold.Store(g)

	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := f.v.Verify(context.Background(), tokenA)
		errA <- err
	}()
	<-g.started
	ctxB := &notifyCtx{Context: context.Background(), waiting: make(chan struct{})}
	go func() {
		_, err := f.v.Verify(ctxB, tokenB)
		errB <- err
	}()
	select {
	case <-ctxB.waiting:
	case err := <-errB:
		t.Fatalf("second caller returned during the fetch instead of waiting: %v", err)
	}
	release()
	if err := <-errA; err != nil {
		t.Errorf("fetching caller: %v", err)
	}
	if err := <-errB; err != nil {
		t.Errorf("waiting caller: %v", err)
	}
	wantFetches(t, f.jwks, 2)
}

func TestJWKSWaitHonoursContext(t *testing.T) {
	f := newFixture(t)
	g := &gate{started: make(chan struct{}), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(g.release) })
	t.Cleanup(release)
	f.jwks.hold.Store(g)
	tokenA, tokenB := f.esToken(t, f.ec, "ec-1"), f.esToken(t, f.ec, "ec-1")

	errA := make(chan error, 1)
	go func() {
		_, err := f.v.Verify(context.Background(), tokenA)
		errA <- err
	}()
	<-g.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	verifyFailsCtx(t, ctx, f.v, tokenB, "context canceled")
	release()
	if err := <-errA; err != nil {
		t.Errorf("fetching caller: %v", err)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	f := newFixture(t)
	f.jwks.status.Store(http.StatusInternalServerError)

	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-1"), "500")
	wantFetches(t, f.jwks, 1)
	// HS256 does not depend on the JWKS.
	verifyOK(t, f.v, sign(t, jwa.HS256(), []byte(testSecret), "", f.claims()))
	// Within the floor the failure is reported again without another request.
	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-1"), "500")
	wantFetches(t, f.jwks, 1)

	f.jwks.status.Store(http.StatusOK)
	f.clock.Advance(jwksMinInterval)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	wantFetches(t, f.jwks, 2)
}

func TestJWKSOutageKeepsKnownKeys(t *testing.T) {
	f := newFixture(t)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))

	f.jwks.status.Store(http.StatusServiceUnavailable)
	f.clock.Advance(jwksMaxAge)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
	wantFetches(t, f.jwks, 2) // the refresh was attempted, and failed
	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-2"), "503")
}

func TestJWKSBadDocument(t *testing.T) {
	f := newFixture(t)
	body := []byte(`{"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA"`)
	f.jwks.body.Store(&body)
	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-1"), "jwks")
}

func TestJWKSSymmetricKeyIgnored(t *testing.T) {
	// A JWKS entry of type "oct" must never become an HMAC key, and no JWKS key
	// verifies HS256: a token keyed with it is checked against the secret, or refused.
	f := newFixture(t)
	octSecret := []byte(strings.Repeat("k", 32))
	f.jwks.serve(t,
		jwkEntry{kid: "ec-1", key: f.ec},
		jwkEntry{kid: "oct-1", key: octSecret, alg: "HS256", use: "sig"},
	)
	jwksOnly := f.newVerifier(t, Config{SupabaseURL: f.jwks.URL})
	token := sign(t, jwa.HS256(), octSecret, "oct-1", f.claims())

	verifyFails(t, f.v, token, "signature")
	verifyFails(t, jwksOnly, token, "no JWT secret")
	verifyFails(t, f.v, f.esToken(t, f.ec, "oct-1"), `unknown kid "oct-1"`)
	verifyOK(t, f.v, f.esToken(t, f.ec, "ec-1"))
}

func TestVerificationKey(t *testing.T) {
	ec := newECKey(t, elliptic.P256())
	tests := []struct {
		name    string
		key     any
		alg     string
		use     string
		wantAlg jwa.SignatureAlgorithm // zero: skipped
	}{
		{"P-256", &ec.PublicKey, "", "", jwa.ES256()},
		{"P-256 private, as published by mistake", ec, "ES256", "sig", jwa.ES256()},
		{"RSA", &rsaKeys()[0].PublicKey, "", "sig", jwa.RS256()},
		{"RSA declared RS256", &rsaKeys()[0].PublicKey, "RS256", "", jwa.RS256()},
		{"RSA declared PS256", &rsaKeys()[0].PublicKey, "PS256", "", jwa.SignatureAlgorithm{}},
		{"P-256 declared ES384", &ec.PublicKey, "ES384", "", jwa.SignatureAlgorithm{}},
		{"P-256 for encryption", &ec.PublicKey, "", "enc", jwa.SignatureAlgorithm{}},
		{"P-384", &newECKey(t, elliptic.P384()).PublicKey, "", "", jwa.SignatureAlgorithm{}},
		{"oct", []byte(strings.Repeat("k", 32)), "HS256", "sig", jwa.SignatureAlgorithm{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := jwk.Import(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if tt.alg != "" {
				must(t, k.Set(jwk.AlgorithmKey, tt.alg))
			}
			if tt.use != "" {
				must(t, k.Set(jwk.KeyUsageKey, tt.use))
			}
			pk, ok := verificationKey(k)
			if want := tt.wantAlg != (jwa.SignatureAlgorithm{}); ok != want || pk.alg != tt.wantAlg {
				t.Fatalf("verificationKey = %v, %v; want alg %q, usable %v", pk.alg, ok, tt.wantAlg, want)
			}
			// Verification gets the bare public key, even from a published private key.
			wantType := map[string]string{"ES256": "*ecdsa.PublicKey", "RS256": "*rsa.PublicKey"}[pk.alg.String()]
			if got := fmt.Sprintf("%T", pk.key); ok && got != wantType {
				t.Fatalf("%s key is %s, want %s", pk.alg, got, wantType)
			}
		})
	}
}
