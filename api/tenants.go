package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

func (s *Server) tenantRoutes(g *echo.Group) {
	g.GET("/tenant", s.getTenant)
	g.PATCH("/tenant", s.updateTenant)
	g.GET("/tenant/custom-domain", s.getCustomDomain)
	g.POST("/tenant/custom-domain/verify", s.verifyCustomDomain)
}

// tenantResource is a tenant as clients see it: who it is and its branding. GET /tenant
// serves it to anyone (a tenant's login page is drawn before anyone logs in), so it
// holds nothing private.
type tenantResource struct {
	ID           uuid.UUID `json:"id"`
	Name         string    `json:"name"`
	Slug         string    `json:"slug"`
	CustomDomain *string   `json:"custom_domain"`
	// CustomDomainVerified says whether custom_domain serves the tenant yet.
	CustomDomainVerified bool            `json:"custom_domain_verified"`
	LogoURL              *string         `json:"logo_url"`
	Theme                json.RawMessage `json:"theme"`
}

func tenantResourceOf(t db.Tenant) tenantResource {
	return tenantResource{
		ID: t.ID, Name: t.Name, Slug: t.Slug, CustomDomain: t.CustomDomain, CustomDomainVerified: t.CustomDomainVerifiedAt != nil,
		LogoURL: t.LogoUrl, Theme: t.Theme,
	}
}

// tenantUpdate is PATCH /tenant: absent fields are kept; custom_domain and logo_url are
// cleared by null, theme is reset to {} by null.
type tenantUpdate struct {
	Name         Optional[string] `json:"name"`
	Slug         Optional[string] `json:"slug"`
	CustomDomain Optional[string] `json:"custom_domain"`
	LogoURL      Optional[string] `json:"logo_url"`
	Theme        json.RawMessage  `json:"theme"`

	baseDomain string // custom domains may not be under it
}

func (r *tenantUpdate) validate() error {
	if err := notNull("name", r.Name); err != nil {
		return err
	}
	if err := notNull("slug", r.Slug); err != nil {
		return err
	}
	var err error
	if r.Name.Value, err = optional(r.Name.Value, input.TenantName); err != nil {
		return err
	}
	if r.Slug.Value, err = optional(r.Slug.Value, input.Slug); err != nil {
		return err
	}
	if r.CustomDomain.Value, err = optional(r.CustomDomain.Value, func(raw string) (string, error) {
		return input.CustomDomain(raw, r.baseDomain)
	}); err != nil {
		return err
	}
	if r.LogoURL.Value, err = optional(r.LogoURL.Value, func(raw string) (string, error) { return input.HTTPSURL("logo_url", raw) }); err != nil {
		return err
	}
	if r.Theme != nil {
		r.Theme, err = jsonObject("theme", r.Theme)
	}
	return err
}

// getTenant answers with the branding of the tenant the request's host names, or the
// host given as ?host= (for a frontend that is not served from the tenant's host).
func (s *Server) getTenant(c echo.Context) error {
	host := siteHost(c)
	if c.QueryParams().Has("host") {
		host = normalizeHost(c.QueryParam("host"))
		if !hostPattern.MatchString(host) {
			return fieldProblem("host", "host must be a host name, such as clinica-a.%s", s.hosts.baseDomain)
		}
	}
	tenant, err := s.hosts.resolve(c.Request().Context(), host)
	if err != nil {
		return err
	}
	if tenant == nil {
		return problem(http.StatusNotFound, "no tenant at %s: use a tenant's address or pass ?host=", normalizeHost(host))
	}
	return c.JSON(http.StatusOK, tenantResourceOf(*tenant))
}

// updateTenant changes the tenant's name, branding and address. The address goes through
// TenantSetAddress, which applies the same rules to every client of the database; a new
// custom domain serves the tenant once verified (POST /tenant/custom-domain/verify).
func (s *Server) updateTenant(c echo.Context) error {
	req := tenantUpdate{baseDomain: s.hosts.baseDomain}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var tenant db.Tenant
	err := s.asAdmin(c, func(ctx context.Context, q *db.Queries, m member) (err error) {
		if req.Slug.Set || req.CustomDomain.Set {
			err := q.TenantSetAddress(ctx, db.TenantSetAddressParams{
				TenantID: m.TenantID, Slug: req.Slug.Value,
				SetCustomDomain: req.CustomDomain.Set, CustomDomain: req.CustomDomain.Value,
			})
			if err != nil {
				return err
			}
		}
		tenant, err = q.TenantUpdate(ctx, db.TenantUpdateParams{
			TenantID: m.TenantID, Name: req.Name.Value,
			SetLogoUrl: req.LogoURL.Set, LogoUrl: req.LogoURL.Value,
			Theme: req.Theme,
		})
		return err
	})
	if err != nil {
		return err
	}
	// After the commit, so that no request can cache the old hosts again in between.
	s.hosts.forget(tenant.ID)
	return c.JSON(http.StatusOK, tenantResourceOf(tenant))
}

// customDomainStatus tells an admin how to prove the tenant controls its custom domain:
// publish a TXT record named TXTName holding TXTValue, then verify.
type customDomainStatus struct {
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
}

// customDomainRecord is the TXT record name under which a domain's token is published.
func customDomainRecord(domain string) string { return "_atende." + domain }

func customDomainStatusOf(t db.Tenant) (customDomainStatus, error) {
	if t.CustomDomain == nil || t.CustomDomainToken == nil {
		return customDomainStatus{}, problem(http.StatusNotFound, "the tenant has no custom domain: set one with PATCH /api/v1/tenant")
	}
	return customDomainStatus{
		Domain: *t.CustomDomain, Verified: t.CustomDomainVerifiedAt != nil, VerifiedAt: t.CustomDomainVerifiedAt,
		TXTName: customDomainRecord(*t.CustomDomain), TXTValue: "atende-verification=" + *t.CustomDomainToken,
	}, nil
}

func (s *Server) getCustomDomain(c echo.Context) error {
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (customDomainStatus, error) {
		tenant, err := q.TenantGetByID(ctx, m.TenantID)
		if err != nil {
			return customDomainStatus{}, err
		}
		return customDomainStatusOf(tenant)
	})
}

// verifyCustomDomain looks the tenant's TXT record up and, when it holds the token,
// marks the domain verified, so that it serves the tenant from then on. The lookup runs
// between two transactions: no connection waits on DNS.
func (s *Server) verifyCustomDomain(c echo.Context) error {
	var status customDomainStatus
	var tenantID uuid.UUID
	err := s.asAdmin(c, func(ctx context.Context, q *db.Queries, m member) error {
		tenant, err := q.TenantGetByID(ctx, m.TenantID)
		if err != nil {
			return err
		}
		tenantID = tenant.ID
		status, err = customDomainStatusOf(tenant)
		return err
	})
	if err != nil {
		return err
	}
	if status.Verified {
		return c.JSON(http.StatusOK, status)
	}
	ctx := c.Request().Context()
	records, err := s.cfg.Resolver.LookupTXT(ctx, status.TXTName)
	if !slices.Contains(records, status.TXTValue) {
		found := "none"
		if err == nil && len(records) > 0 {
			found = fmt.Sprintf("%q", records)
		}
		return problem(http.StatusUnprocessableEntity, "the TXT record %s must hold %q (found: %s); DNS changes can take a while to be seen",
			status.TXTName, status.TXTValue, found)
	}
	var tenant db.Tenant
	err = s.db.AsService(ctx, func(q *db.Queries) (err error) {
		tenant, err = q.TenantVerifyCustomDomain(ctx, db.TenantVerifyCustomDomainParams{
			TenantID: tenantID, CustomDomain: status.Domain, Token: strings.TrimPrefix(status.TXTValue, "atende-verification="),
		})
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		return problem(http.StatusConflict, "the custom domain changed while it was being verified: verify again")
	}
	if err != nil {
		return err
	}
	s.hosts.forget(tenant.ID)
	if status, err = customDomainStatusOf(tenant); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, status)
}

// hostPattern is any host name or IPv4 address, for ?host=.
var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
