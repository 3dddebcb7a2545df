package api

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"golang.org/x/time/rate"
)

// webhookKeys caches the tenants' webhook secrets, so that a delivery's signature is
// checked before any database work: a provider's deliveries cost no lookup, and forged
// ones cost at most one per tenant per refetchAfter, and no more than the limiter allows
// across all tenants (made-up tenant ids). Entries are dropped when a secret is rotated
// or a tenant's status changes (forget, on every process through the live hub), and
// live for ttl otherwise. A suspended tenant's entry is never trusted: it is looked up
// again, so that reactivation takes effect at once.
type webhookKeys struct {
	db           db.DB
	ttl          time.Duration
	refetchAfter time.Duration
	lookups      *rate.Limiter

	mu      sync.Mutex
	entries map[uuid.UUID]webhookKeyEntry
}

type webhookKeyEntry struct {
	secret  *db.TenantSecretGetRow // nil: no such tenant
	fetched time.Time
}

// maxWebhookKeys bounds the cache: any client can address made-up tenant ids.
const maxWebhookKeys = 100_000

func newWebhookKeys(database db.DB) *webhookKeys {
	return &webhookKeys{
		db: database, ttl: 5 * time.Minute, refetchAfter: 10 * time.Second,
		lookups: rate.NewLimiter(200, 200), entries: map[uuid.UUID]webhookKeyEntry{},
	}
}

var errBadSignature = errors.New("the signature does not verify")

// verify answers whether mac signs the delivery (macOf computes the expected MAC with a
// secret) for the tenant; a suspended tenant's is a 423 problem.
func (k *webhookKeys) verify(ctx context.Context, tenantID uuid.UUID, mac []byte, macOf func(secret string) []byte) error {
	now := time.Now()
	k.mu.Lock()
	e, cached := k.entries[tenantID]
	k.mu.Unlock()
	trusted := cached && e.secret != nil && e.secret.TenantStatus == db.TenantStatusActive && now.Sub(e.fetched) < k.ttl
	if trusted && signs(e.secret, mac, macOf, now) {
		return nil
	}
	// Unknown, stale, suspended or not verifying (a rotation elsewhere, or a forgery):
	// look again, unless that was just done for a tenant that is not suspended.
	if cached && now.Sub(e.fetched) < k.refetchAfter && (e.secret == nil || e.secret.TenantStatus == db.TenantStatusActive) {
		return errBadSignature
	}
	if !k.lookups.Allow() {
		return retryLater(http.StatusServiceUnavailable, time.Second, "too many webhook deliveries to verify: retry later")
	}
	var secret *db.TenantSecretGetRow
	err := k.db.AsService(ctx, func(q *db.Queries) error {
		row, err := q.TenantSecretGet(ctx, tenantID)
		if err == nil {
			secret = &row
		}
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	k.store(tenantID, webhookKeyEntry{secret: secret, fetched: now})
	switch {
	case secret == nil || !signs(secret, mac, macOf, now):
		return errBadSignature
	case secret.TenantStatus != db.TenantStatusActive:
		return problem(http.StatusLocked, "the tenant is suspended: it takes no deliveries until it is reactivated")
	}
	return nil
}

// signs reports whether mac is the MAC of the current secret, or of the previous one
// during its grace period.
func signs(secret *db.TenantSecretGetRow, mac []byte, macOf func(string) []byte, now time.Time) bool {
	if hmac.Equal(mac, macOf(secret.WebhookSecret)) {
		return true
	}
	return secret.PreviousWebhookSecret != nil && secret.PreviousValidUntil != nil && now.Before(*secret.PreviousValidUntil) &&
		hmac.Equal(mac, macOf(*secret.PreviousWebhookSecret))
}

func (k *webhookKeys) store(tenantID uuid.UUID, e webhookKeyEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.entries) >= maxWebhookKeys {
		clear(k.entries)
	}
	k.entries[tenantID] = e
}

// forget drops the tenant's entry; uuid.Nil drops every entry.
func (k *webhookKeys) forget(tenantID uuid.UUID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tenantID == uuid.Nil {
		clear(k.entries)
		return
	}
	delete(k.entries, tenantID)
}
