package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/labstack/echo/v4"
)

func (s *Server) setupRoutes(g *echo.Group) {
	g.POST("/setup", s.setup)
	g.GET("/setup/slug", s.slugAvailability)
}

// slugCheck answers whether a slug can name a new tenant, as a setup form checks it
// while it is typed.
type slugCheck struct {
	Slug      string `json:"slug"`
	Available bool   `json:"available"`
	// Reason is why not: invalid (not a DNS label), reserved (the platform's) or taken.
	Reason *string `json:"reason"`
	Detail string  `json:"detail,omitempty"`
}

// slugAvailability is public, as the tenants' branding is: it tells no more than
// GET /api/v1/tenant?host=<slug>.<base domain> would.
func (s *Server) slugAvailability(c echo.Context) error {
	refused := func(slug, reason, detail string) error {
		return c.JSON(http.StatusOK, slugCheck{Slug: slug, Reason: &reason, Detail: detail})
	}
	slug, err := input.Slug(c.QueryParam("slug"))
	if err != nil {
		return refused(c.QueryParam("slug"), "invalid", err.Error())
	}
	ctx := c.Request().Context()
	var found db.TenantSlugAvailabilityRow
	err = s.db.AsService(ctx, func(q *db.Queries) (err error) {
		found, err = q.TenantSlugAvailability(ctx, slug)
		return err
	})
	switch {
	case err != nil:
		return err
	case found.Reserved:
		return refused(slug, "reserved", "this name is reserved for the platform")
	case found.Taken:
		return refused(slug, "taken", "another tenant has this address")
	}
	return c.JSON(http.StatusOK, slugCheck{Slug: slug, Available: true})
}

// setupRequest is "Setup de Novo Cliente": the new tenant's name, address and branding.
// db.CreateTenant checks the fields.
type setupRequest struct {
	Name         *string         `json:"name"`
	Slug         *string         `json:"slug"`
	CustomDomain *string         `json:"custom_domain"`
	LogoURL      *string         `json:"logo_url"`
	Theme        json.RawMessage `json:"theme"`
}

func (r *setupRequest) validate() (err error) {
	if err = required("name", r.Name != nil); err != nil {
		return err
	}
	if err = required("slug", r.Slug != nil); err != nil {
		return err
	}
	r.Theme, err = jsonObject("theme", r.Theme)
	return err
}

// setup creates a tenant for an authenticated user who has none and makes them its
// owner. Creating tenants is beyond what an authenticated caller may do under RLS, so
// once the token is verified the work runs as service_role, in one transaction: the
// tenant and its defaults (webhook secret, AI configuration, settings) and the new
// owner all land, or none of it does.
func (s *Server) setup(c echo.Context) error {
	ctx := c.Request().Context()
	host, err := s.hosts.resolve(ctx, siteHost(c))
	if err != nil {
		return err
	}
	if host != nil {
		return problem(http.StatusForbidden, "a new tenant is set up on the API host, not on a tenant's address")
	}
	id, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if id.IsAnonymous {
		return problem(http.StatusForbidden, "an anonymous user cannot create a tenant: sign up with an email first")
	}
	var req setupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	newTenant := db.NewTenant{
		Name: *req.Name, Slug: *req.Slug, CustomDomain: req.CustomDomain, LogoURL: req.LogoURL, Theme: req.Theme,
		BaseDomain: s.hosts.baseDomain,
	}
	var tenant db.Tenant
	err = s.db.AsServiceFor(ctx, id.Claims, func(q *db.Queries) (err error) {
		tenant, err = db.CreateOwnTenant(ctx, q, id.UserID, newTenant)
		return err
	})
	var refused *db.RefusedError
	switch {
	case errors.Is(err, db.ErrNoProfile):
		return errAccountGone()
	case errors.As(err, &refused):
		return refusal(refused.Reason)
	case err != nil:
		return err
	}
	// Its hosts may be cached as belonging to no tenant.
	s.hosts.forget(tenant.ID)
	return c.JSON(http.StatusCreated, tenantResourceOf(tenant))
}
