package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// jwksMaxAge is how long a fetched JWKS is used before the next lookup refetches
	// it, so that removed (revoked) keys stop being trusted.
	jwksMaxAge = 10 * time.Minute
	// jwksMinInterval is the least time between two fetches. A token naming an
	// unknown kid triggers a fetch, so without this floor a flood of tokens with
	// random kids would become a flood of requests to the auth server.
	jwksMinInterval = 30 * time.Second
	// jwksFetchTimeout bounds one fetch.
	jwksFetchTimeout = 10 * time.Second
	// jwksMaxBody bounds the JWKS response; real ones hold a handful of keys.
	jwksMaxBody = 1 << 20
)

// publicKey is a JWKS key ready for verification, bound to the only algorithm it may
// verify.
type publicKey struct {
	alg jwa.SignatureAlgorithm
	key any // *ecdsa.PublicKey or *rsa.PublicKey
}

// keySet is a project's JWKS, fetched lazily and cached. It is refetched when it is
// older than jwksMaxAge or lacks a requested kid, never more often than
// jwksMinInterval. When a fetch fails, the keys already known stay in use.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time
	sem    chan struct{} // held by the one caller fetching; others wait, then reuse its result

	mu        sync.Mutex
	keys      map[string]publicKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last fetch attempt
	lastErr   error     // result of the last attempt
}

func newKeySet(url string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, now: now, sem: make(chan struct{}, 1)}
}

// key returns the key with the given kid.
func (s *keySet) key(ctx context.Context, kid string) (publicKey, error) {
	if k, ok, fresh := s.lookup(kid); ok && fresh {
		return k, nil
	}
	err := s.refresh(ctx)
	if k, ok, _ := s.lookup(kid); ok {
		return k, nil
	}
	if err != nil {
		return publicKey{}, fmt.Errorf("unknown kid %q: %w", kid, err)
	}
	return publicKey{}, fmt.Errorf("unknown kid %q", kid)
}

func (s *keySet) lookup(kid string) (k publicKey, ok, fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok = s.keys[kid]
	return k, ok, s.now().Sub(s.fetchedAt) < jwksMaxAge
}

// refresh fetches the JWKS unless the last attempt was less than jwksMinInterval ago,
// in which case it returns that attempt's error.
func (s *keySet) refresh(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return fmt.Errorf("jwks: %w", ctx.Err())
	}

	s.mu.Lock()
	if !s.triedAt.IsZero() && s.now().Sub(s.triedAt) < jwksMinInterval {
		err := s.lastErr
		s.mu.Unlock()
		return err
	}
	s.triedAt = s.now()
	s.mu.Unlock()

	// Detached from the caller: one abandoned request must not spend the fetch budget
	// that every other request depends on.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	keys, err := s.fetch(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
	if err != nil {
		return err
	}
	s.keys = keys
	s.fetchedAt = s.triedAt
	return nil
}

func (s *keySet) fetch(ctx context.Context) (map[string]publicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: GET %s: %s", s.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBody))
	if err != nil {
		return nil, fmt.Errorf("jwks: read: %w", err)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]publicKey, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		if pk, ok := verificationKey(k); ok && kid != "" {
			keys[kid] = pk
		}
	}
	return keys, nil
}

// verificationKey binds a JWKS entry to its algorithm: P-256 keys to ES256 and RSA keys
// to RS256. Anything else (symmetric "oct" keys above all, other curves, encryption
// keys, keys declaring another alg) is skipped, so the JWKS can never supply an HMAC
// key or a key for an algorithm we do not accept.
func verificationKey(k jwk.Key) (publicKey, bool) {
	if use, ok := k.KeyUsage(); ok && use != jwk.ForSignature.String() {
		return publicKey{}, false
	}
	raw, err := jwk.PublicRawKeyOf(k)
	if err != nil {
		return publicKey{}, false
	}
	var pk publicKey
	switch raw := raw.(type) {
	case *ecdsa.PublicKey:
		if raw.Curve != elliptic.P256() {
			return publicKey{}, false
		}
		pk = publicKey{alg: jwa.ES256(), key: raw}
	case *rsa.PublicKey:
		pk = publicKey{alg: jwa.RS256(), key: raw}
	default:
		return publicKey{}, false
	}
	if alg, ok := k.Algorithm(); ok && alg.String() != pk.alg.String() {
		return publicKey{}, false
	}
	return pk, true
}
