package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// ErrNoSecret is returned by Mint when no JWT secret is configured.
var ErrNoSecret = errors.New("auth: no JWT secret configured; cannot mint tokens")

// Mint returns a development access token for userID, valid for ttl, shaped like a
// Supabase user token: HS256 with the JWT secret, sub, role "authenticated", aud, iss
// (when a Supabase URL is configured), iat and exp. It verifies with this Verifier and
// with PostgREST configured with the same secret.
func (v *Verifier) Mint(userID uuid.UUID, ttl time.Duration) (string, error) {
	if v.secret == nil {
		return "", ErrNoSecret
	}
	if userID == uuid.Nil {
		return "", errors.New("auth: mint: nil user id")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: mint: ttl %s is not positive", ttl)
	}
	now := v.now()
	b := jwt.NewBuilder().
		Subject(userID.String()).
		Audience([]string{v.audience}).
		IssuedAt(now).
		Expiration(now.Add(ttl)).
		Claim("role", userRole)
	if v.issuer != "" {
		b = b.Issuer(v.issuer)
	}
	t, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	t.Options().Enable(jwt.FlattenAudience) // "aud": "authenticated", as Supabase writes it
	signed, err := jwt.Sign(t, jwt.WithKey(jwa.HS256(), v.secret))
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return string(signed), nil
}
