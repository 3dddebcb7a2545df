// Package auth verifies Supabase Auth access tokens and mints development tokens.
//
// A Verifier accepts two kinds of token, as a Supabase project issues them:
//
//   - HS256, signed with the project's legacy JWT secret (SUPABASE_JWT_SECRET);
//   - ES256 or RS256, signed with an asymmetric key published in the project's JWKS
//     (<SUPABASE_URL>/auth/v1/.well-known/jwks.json) and chosen by the token's "kid".
//
// The algorithm in the token header only selects which of these paths applies; the key
// always comes from configuration, and each JWKS key is bound to the one algorithm its
// type implies. So "alg": "none", an HS256 token keyed with a public key, or an
// asymmetric token when no JWKS is configured are all rejected.
//
// After the signature, the claims are checked: exp (required), nbf and iat with a leeway
// of Leeway for clock skew, aud (a string or an array containing the configured
// audience), iss (<SUPABASE_URL>/auth/v1, only when SUPABASE_URL is set), sub (a
// canonical, non-nil UUID) and role, which must be "authenticated": the backend serves
// signed-in end users only, so anon and service_role tokens are refused.
//
// Every failure wraps ErrInvalidToken, so the HTTP layer can answer 401 without
// inspecting the reason; the message still says what was wrong, for the logs.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// ErrInvalidToken is wrapped by every verification failure.
var ErrInvalidToken = errors.New("invalid access token")

const (
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway = 30 * time.Second

	// DefaultAudience is the aud Supabase puts in signed-in users' tokens.
	DefaultAudience = "authenticated"

	// userRole is the only role claim accepted: Supabase's signed-in user.
	userRole = "authenticated"

	// minSecretLen is Supabase's own minimum for the JWT secret; shorter HMAC keys can
	// be brute-forced offline from any token.
	minSecretLen = 32

	// maxTokenLen bounds the work an oversized header can cause. Supabase tokens are
	// around 1 KiB, more with large app_metadata.
	maxTokenLen = 16 << 10

	// cacheSize bounds the verification cache (entries hold the claims, ~1 KiB each).
	cacheSize = 10_000
)

// Config configures a Verifier. At least one of JWTSecret and SupabaseURL must be set.
type Config struct {
	// JWTSecret is the project's legacy HS256 secret (SUPABASE_JWT_SECRET), used as raw
	// bytes like Supabase Auth and PostgREST do. Empty disables HS256 tokens.
	JWTSecret string
	// RefuseHS256 refuses HS256 tokens even when JWTSecret is set: a project that moved to
	// asymmetric keys keeps the secret (to mint development tokens, to sign cursors) but
	// no longer trusts tokens signed with it.
	RefuseHS256 bool
	// SupabaseURL is the project URL (SUPABASE_URL). It sets the expected issuer,
	// <SupabaseURL>/auth/v1, and the JWKS location. Empty disables asymmetric tokens
	// and the issuer check.
	SupabaseURL string
	// Audience is the expected aud (JWT_AUDIENCE); empty means DefaultAudience.
	Audience string
	// HTTPClient fetches the JWKS; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
}

// Identity is what a verified access token says about its bearer.
type Identity struct {
	UserID uuid.UUID
	Email  string // empty when the token has no email claim
	Role   string
	// IsAnonymous is Supabase's is_anonymous claim: a user signed in anonymously, with no
	// email or password.
	IsAnonymous bool
	ExpiresAt   time.Time
	// Claims is the verified token payload, verbatim: the value for request.jwt.claims.
	Claims json.RawMessage
}

// Verifier verifies access tokens. It is safe for concurrent use.
type Verifier struct {
	secret      []byte // nil: HS256 disabled
	refuseHS256 bool   // the secret only mints
	issuer      string // "": not checked
	audience    string
	jwks        *keySet // nil: asymmetric tokens disabled
	now         func() time.Time
	cache       *resultCache
}

// New returns a Verifier for cfg. It does not contact the network: the JWKS is fetched
// when the first asymmetric token arrives.
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{
		refuseHS256: cfg.RefuseHS256,
		audience:    cfg.Audience,
		now:         cfg.Now,
		cache:       newResultCache(cacheSize),
	}
	if v.audience == "" {
		v.audience = DefaultAudience
	}
	if v.now == nil {
		v.now = time.Now
	}
	if cfg.JWTSecret == "" && cfg.SupabaseURL == "" {
		return nil, errors.New("auth: neither a JWT secret nor a Supabase URL is configured")
	}
	if cfg.JWTSecret != "" {
		if len(cfg.JWTSecret) < minSecretLen {
			return nil, fmt.Errorf("auth: JWT secret is shorter than %d bytes", minSecretLen)
		}
		v.secret = []byte(cfg.JWTSecret)
	}
	if cfg.SupabaseURL != "" {
		base := strings.TrimRight(cfg.SupabaseURL, "/")
		u, err := url.Parse(base)
		if err != nil {
			return nil, fmt.Errorf("auth: Supabase URL: %w", err)
		}
		if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("auth: Supabase URL %q is not an absolute http(s) URL", cfg.SupabaseURL)
		}
		v.issuer = base + "/auth/v1"
		client := cfg.HTTPClient
		if client == nil {
			client = http.DefaultClient
		}
		v.jwks = newKeySet(v.issuer+"/.well-known/jwks.json", client, v.now)
	}
	return v, nil
}

// Verify checks token (the bare JWT, without "Bearer ") and returns its bearer's
// identity. Successful results are cached by the token's SHA-256 until it expires, so a
// client reusing its token costs one map lookup; failures are not cached, because a
// retried bad token is no more expensive than a fresh one.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, invalid("empty token")
	}
	if len(token) > maxTokenLen {
		return Identity{}, invalid("token longer than %d bytes", maxTokenLen)
	}
	sum := sha256.Sum256([]byte(token))
	if e, ok := v.cache.get(sum, v.now()); ok && v.stillPublished(ctx, e.kid) {
		return e.identity(), nil
	}
	e, err := v.verify(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	v.cache.put(sum, e, v.now())
	return e.identity(), nil
}

// stillPublished reports whether the key that signed a cached token is still in the
// JWKS, so a key the project revokes stops working before its tokens expire. The
// lookup also drives the JWKS's periodic refresh. HS256 tokens (kid "") have nothing
// to check.
func (v *Verifier) stillPublished(ctx context.Context, kid string) bool {
	if kid == "" {
		return true
	}
	_, err := v.jwks.key(ctx, kid)
	return err == nil
}

// verify does the full check of a token not found in the cache.
func (v *Verifier) verify(ctx context.Context, token string) (entry, error) {
	// Parse first to read the header; the key is chosen from it, then jws.Verify checks
	// the signature with that key alone.
	msg, err := jws.Parse([]byte(token), jws.WithCompact())
	if err != nil {
		return entry{}, invalid("malformed: %w", err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	alg, ok := hdr.Algorithm()
	if !ok {
		return entry{}, invalid("header has no alg")
	}
	kid, _ := hdr.KeyID()
	key, err := v.keyFor(ctx, alg, kid)
	if err != nil {
		return entry{}, invalid("%w", err)
	}
	payload, err := jws.Verify([]byte(token),
		jws.WithCompact(),
		jws.WithKey(alg, key),
		jws.WithAlgorithmMatch(true),
		jws.WithCritValidation(true),
		jws.WithContext(ctx),
	)
	if err != nil {
		return entry{}, invalid("signature: %w", err)
	}

	opts := []jwt.ParseOption{
		jwt.WithVerify(false), // done above
		jwt.WithClock(jwt.ClockFunc(v.now)),
		jwt.WithAcceptableSkew(Leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithAudience(v.audience),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	t, err := jwt.Parse(payload, opts...)
	if err != nil {
		return entry{}, invalid("claims: %w", err)
	}
	id, err := identityOf(t)
	if err != nil {
		return entry{}, invalid("%w", err)
	}
	id.Claims = payload
	if alg.IsSymmetric() {
		kid = "" // the secret is not a JWKS key; nothing to recheck on cache hits
	}
	return entry{id: id, kid: kid, until: id.ExpiresAt.Add(Leeway)}, nil
}

// keyFor returns the verification key for a token with the given header. The header
// only selects a configured key; it never supplies or shapes one.
func (v *Verifier) keyFor(ctx context.Context, alg jwa.SignatureAlgorithm, kid string) (any, error) {
	switch alg {
	case jwa.HS256():
		if v.secret == nil || v.refuseHS256 {
			return nil, errors.New("HS256 tokens are not accepted: no JWT secret is configured, or HS256 is turned off")
		}
		return v.secret, nil
	case jwa.ES256(), jwa.RS256():
		if v.jwks == nil {
			return nil, fmt.Errorf("%s token but no Supabase URL (JWKS) is configured", alg)
		}
		if kid == "" {
			return nil, fmt.Errorf("%s token without kid", alg)
		}
		k, err := v.jwks.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if k.alg != alg {
			return nil, fmt.Errorf("%s token names kid %q, whose key is for %s", alg, kid, k.alg)
		}
		return k.key, nil
	default:
		return nil, fmt.Errorf("algorithm %q is not accepted", alg)
	}
}

// identityOf checks the claims specific to Supabase user tokens and extracts them.
func identityOf(t jwt.Token) (Identity, error) {
	var id Identity
	sub, ok := t.Subject()
	if !ok {
		return id, errors.New("no sub claim")
	}
	uid, err := uuid.Parse(sub)
	// Canonical form only, so the text auth.jwt() ->> 'sub' equals auth.uid()::text.
	if err != nil || uid.String() != sub || uid == uuid.Nil {
		return id, fmt.Errorf("sub %q is not a canonical user UUID", sub)
	}
	if err := t.Get("role", &id.Role); err != nil {
		return id, fmt.Errorf("role claim: %w", err)
	}
	if id.Role != userRole {
		return id, fmt.Errorf("role %q is not accepted", id.Role)
	}
	if t.Has("email") {
		if err := t.Get("email", &id.Email); err != nil {
			return id, fmt.Errorf("email claim: %w", err)
		}
	}
	if t.Has("is_anonymous") {
		if err := t.Get("is_anonymous", &id.IsAnonymous); err != nil {
			return id, fmt.Errorf("is_anonymous claim: %w", err)
		}
	}
	id.UserID = uid
	id.ExpiresAt, _ = t.Expiration() // required by the parse options
	return id, nil
}

// invalid returns ErrInvalidToken wrapped with a reason; format may use %w.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalidToken, fmt.Errorf(format, args...))
}
