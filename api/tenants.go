package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

func (s *Server) tenantRoutes(g *echo.Group) {
	g.GET("/tenant", s.getTenant)
	g.PATCH("/tenant", s.updateTenant)
}

// tenantResource is a tenant as clients see it: who it is and its branding. GET /tenant
// serves it to anyone (a tenant's login page is drawn before anyone logs in), so it
// holds nothing private.
type tenantResource struct {
	ID           uuid.UUID       `json:"id"`
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	CustomDomain *string         `json:"custom_domain"`
	LogoURL      *string         `json:"logo_url"`
	Theme        json.RawMessage `json:"theme"`
}

func tenantResourceOf(t db.Tenant) tenantResource {
	return tenantResource{ID: t.ID, Name: t.Name, Slug: t.Slug, CustomDomain: t.CustomDomain, LogoURL: t.LogoUrl, Theme: t.Theme}
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
	if r.Name.Value, err = tenantName(r.Name.Value); err != nil {
		return err
	}
	if r.Slug.Value, err = tenantSlug(r.Slug.Value); err != nil {
		return err
	}
	if r.CustomDomain.Value, err = customDomain(r.CustomDomain.Value, r.baseDomain); err != nil {
		return err
	}
	if r.LogoURL.Value, err = webURL("logo_url", r.LogoURL.Value); err != nil {
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
	host := c.Request().Host
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

func (s *Server) updateTenant(c echo.Context) error {
	req := tenantUpdate{baseDomain: s.hosts.baseDomain}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var tenant db.Tenant
	err := s.asAdmin(c, func(ctx context.Context, q *db.Queries, m member) (err error) {
		tenant, err = q.TenantUpdate(ctx, db.TenantUpdateParams{
			TenantID: m.TenantID, Name: req.Name.Value, Slug: req.Slug.Value,
			SetCustomDomain: req.CustomDomain.Set, CustomDomain: req.CustomDomain.Value,
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

var (
	// dnsLabel is what a slug must be, as the tenants_slug_check constraint says.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// domainName is a custom domain: two labels or more, the last not numeric, as the
	// tenants_custom_domain_check constraint says.
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// hostPattern is any host name or IPv4 address, for ?host=.
	hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
)

// reservedSlugs cannot name tenants: api.<base domain> is the bare API host, so a tenant
// with that slug could never be reached.
var reservedSlugs = map[string]bool{"api": true}

// tenantName trims a tenant's name and checks its length; nil stays nil.
func tenantName(raw *string) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	name := strings.TrimSpace(*raw)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, fieldProblem("name", "name must have 1 to 200 characters")
	}
	return &name, nil
}

// tenantSlug lower-cases a slug (hosts are case-insensitive) and checks that it is a DNS
// label that can name the tenant's site <slug>.<base domain>; nil stays nil.
func tenantSlug(raw *string) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	slug := strings.ToLower(strings.TrimSpace(*raw))
	if !dnsLabel.MatchString(slug) {
		return nil, fieldProblem("slug", "slug must be a DNS label: 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen")
	}
	if reservedSlugs[slug] {
		return nil, fieldProblem("slug", "slug %q is reserved", slug)
	}
	return &slug, nil
}

// customDomain lower-cases a custom domain and checks that it is a host name outside the
// base domain (whose hosts are the tenants' slugs); nil stays nil.
func customDomain(raw *string, baseDomain string) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(*raw)), ".")
	if len(domain) > 253 || !domainName.MatchString(domain) {
		return nil, fieldProblem("custom_domain", "custom_domain must be a host name such as atendimento.clinica.com.br, without scheme, port or path")
	}
	if baseDomain != "" && (domain == baseDomain || strings.HasSuffix(domain, "."+baseDomain)) {
		return nil, fieldProblem("custom_domain", "custom_domain cannot be under %s: the tenant's address there is its slug", baseDomain)
	}
	return &domain, nil
}

// webURL checks that a link (a logo, an avatar) is an absolute http or https URL of at
// most 2048 bytes; nil stays nil.
func webURL(field string, raw *string) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	link := strings.TrimSpace(*raw)
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 2048 {
		return nil, fieldProblem(field, "%s must be an http or https URL of at most 2048 bytes", field)
	}
	return &link, nil
}
