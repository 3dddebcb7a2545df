package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// hostResolver finds the tenant a request's host names — <slug>.<base domain> or a
// tenant's custom domain — and caches the answer, "no such tenant" included, for ttl.
// forget drops a tenant's entries when its slug or domain changes.
type hostResolver struct {
	baseDomain string
	db         db.DB
	ttl        time.Duration

	mu      sync.Mutex
	entries map[string]hostEntry
}

type hostEntry struct {
	tenant  *db.Tenant // nil: no tenant has this host
	expires time.Time
}

func newHostResolver(baseDomain string, database db.DB, ttl time.Duration) *hostResolver {
	return &hostResolver{baseDomain: normalizeHost(baseDomain), db: database, ttl: ttl, entries: map[string]hostEntry{}}
}

// normalizeHost lower-cases a host and drops its port and trailing dot.
func normalizeHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}

// resolve returns the tenant the host names; nil with no error for the bare API host
// (the base domain, api.<base domain>, localhost, an IP address, or any host when no base
// domain is configured and no tenant claims it); a 404 problem for a host that looks
// like a tenant's but is none.
func (r *hostResolver) resolve(ctx context.Context, rawHost string) (*db.Tenant, error) {
	host := normalizeHost(rawHost)
	if host == "" || host == "localhost" || net.ParseIP(host) != nil ||
		(r.baseDomain != "" && (host == r.baseDomain || host == "api."+r.baseDomain)) {
		return nil, nil
	}
	tenant, err := r.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	if tenant == nil && r.baseDomain != "" {
		return nil, problem(http.StatusNotFound, "no tenant at %s", host)
	}
	return tenant, nil
}

func (r *hostResolver) lookup(ctx context.Context, host string) (*db.Tenant, error) {
	now := time.Now()
	r.mu.Lock()
	e, ok := r.entries[host]
	r.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.tenant, nil
	}
	var tenant *db.Tenant
	err := r.db.AsService(ctx, func(q *db.Queries) error {
		var t db.Tenant
		var err error
		if slug, ok := strings.CutSuffix(host, "."+r.baseDomain); ok && r.baseDomain != "" {
			if strings.Contains(slug, ".") {
				return nil
			}
			t, err = q.TenantGetBySlug(ctx, slug)
		} else {
			t, err = q.TenantGetByCustomDomain(ctx, host)
		}
		if err == nil {
			tenant = &t
		}
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.entries) >= maxHostEntries {
		r.evict(now)
	}
	r.entries[host] = hostEntry{tenant: tenant, expires: now.Add(r.ttl)}
	return tenant, nil
}

// maxHostEntries bounds the cache: any client can send made-up Host headers.
const maxHostEntries = 10_000

// evict drops expired entries, and every entry when that is not enough; mu is held.
func (r *hostResolver) evict(now time.Time) {
	for host, e := range r.entries {
		if !now.Before(e.expires) {
			delete(r.entries, host)
		}
	}
	if len(r.entries) >= maxHostEntries {
		clear(r.entries)
	}
}

// forget drops every cached answer naming the tenant, and every cached miss (the tenant
// may have taken one of those hosts); uuid.Nil drops every answer.
func (r *hostResolver) forget(tenantID uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for host, e := range r.entries {
		if e.tenant == nil || e.tenant.ID == tenantID || tenantID == uuid.Nil {
			delete(r.entries, host)
		}
	}
}

// siteHeader names the site a browser is on when it calls the API from another origin
// (a tenant's site at <slug>.<base domain> calling the API at its own address): it
// stands for the request's Host. It gives a client no more than choosing the URL would:
// the caller must still be a member of the tenant it names.
const siteHeader = "X-Atende-Host"

// siteHost is the host whose tenant the request is about: siteHeader, or the Host.
func siteHost(c echo.Context) string {
	if host := c.Request().Header.Get(siteHeader); host != "" {
		return host
	}
	return c.Request().Host
}

// member is the caller inside a tenant.
type member struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Role     db.UserRole
}

func (m member) isAdmin() bool { return m.Role == db.UserRoleOwner || m.Role == db.UserRoleAdmin }

// authenticate verifies the request's bearer token.
func (s *Server) authenticate(c echo.Context) (auth.Identity, error) {
	header := c.Request().Header.Get(echo.HeaderAuthorization)
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return auth.Identity{}, problem(http.StatusUnauthorized, "an Authorization: Bearer <access token> header is required")
	}
	identity, err := s.tokens.Verify(c.Request().Context(), token)
	if err != nil {
		return auth.Identity{}, err // logged by nobody, answered 401 by handleError
	}
	return identity, nil
}

// asCaller authenticates the request and runs fn in one transaction as the caller, with
// the caller's profile. A host naming another tenant than the caller's is a 403, and so
// is a banned account or a suspended tenant; a deleted account is a 401. The token is
// checked, and the caller's share (Fairness) taken, before anything touches the
// database.
func (s *Server) asCaller(c echo.Context, fn func(ctx context.Context, q *db.Queries, profile db.User) error) error {
	id, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if ok, retryAfter := s.users.allow(id.UserID); !ok {
		return retryLater(http.StatusTooManyRequests, retryAfter, "too many requests: at most %g per second on average", s.cfg.Fairness.UserRate)
	}
	ctx := c.Request().Context()
	if tenant, known := s.userTenants.get(id.UserID); known {
		leave, err := s.tenants.enter(ctx, tenant)
		if err != nil {
			return err
		}
		defer leave()
	}
	host, err := s.hosts.resolve(ctx, siteHost(c))
	if err != nil {
		return err
	}
	return s.asIdentity(ctx, host, id, fn)
}

// asIdentity is asCaller for a caller already authenticated, on the tenant the host
// names (nil: the bare API host).
func (s *Server) asIdentity(ctx context.Context, host *db.Tenant, id auth.Identity, fn func(ctx context.Context, q *db.Queries, profile db.User) error) error {
	err := s.db.AsUser(ctx, id.Claims, id.UserID, func(q *db.Queries, caller db.UserGetCallerRow) error {
		if err := refusal(caller.Refusal); err != nil {
			return err
		}
		profile := caller.User
		if profile.TenantID != nil {
			s.userTenants.set(profile.ID, *profile.TenantID)
		}
		if host != nil && profile.TenantID != nil && *profile.TenantID != host.ID {
			return problem(http.StatusForbidden, "you are not a member of the tenant at this address")
		}
		return fn(ctx, q, profile)
	})
	if errors.Is(err, db.ErrNoProfile) {
		return errAccountGone()
	}
	return err
}

// refusal answers a caller whose valid token no longer lets them act, as
// private.caller_refusal says why.
func refusal(reason string) error {
	switch reason {
	case "":
		return nil
	case "deleted":
		return errAccountGone()
	case "banned":
		return problem(http.StatusForbidden, "your account is banned")
	case "suspended":
		return problem(http.StatusForbidden, "your tenant is suspended: its data cannot be read or changed until it is reactivated")
	default:
		return fmt.Errorf("unknown caller refusal %q", reason)
	}
}

// errAccountGone answers a valid token whose account was deleted since it was issued.
func errAccountGone() error {
	return problem(http.StatusUnauthorized, "the account this access token was issued to no longer exists")
}

// asMember runs fn as a member of a tenant: the caller must have one, and it must be the
// tenant the host names, if any.
func (s *Server) asMember(c echo.Context, fn func(ctx context.Context, q *db.Queries, m member) error) error {
	return s.asCaller(c, func(ctx context.Context, q *db.Queries, profile db.User) error {
		m, err := memberOf(profile)
		if err != nil {
			return err
		}
		return fn(ctx, q, m)
	})
}

// memberOf is the caller as a member of their tenant, or a 403 when they have none.
func memberOf(profile db.User) (member, error) {
	if profile.TenantID == nil || profile.Role == nil {
		return member{}, problem(http.StatusForbidden, "you do not belong to a tenant yet: create one (POST /api/v1/setup) or accept an invitation")
	}
	return member{TenantID: *profile.TenantID, UserID: profile.ID, Role: *profile.Role}, nil
}

// asAdmin is asMember for owners and admins only.
func (s *Server) asAdmin(c echo.Context, fn func(ctx context.Context, q *db.Queries, m member) error) error {
	return s.asMember(c, func(ctx context.Context, q *db.Queries, m member) error {
		if !m.isAdmin() {
			return problem(http.StatusForbidden, "only the tenant's owners and admins may do this")
		}
		return fn(ctx, q, m)
	})
}
