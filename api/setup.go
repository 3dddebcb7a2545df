package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

func (s *Server) setupRoutes(g *echo.Group) {
	g.POST("/setup", s.setup)
}

// setupRequest is "Setup de Novo Cliente": the new tenant's name, address and branding.
type setupRequest struct {
	Name         *string         `json:"name"`
	Slug         *string         `json:"slug"`
	CustomDomain *string         `json:"custom_domain"`
	LogoURL      *string         `json:"logo_url"`
	Theme        json.RawMessage `json:"theme"`

	baseDomain string // custom domains may not be under it
}

func (r *setupRequest) validate() error {
	if err := required("name", r.Name != nil); err != nil {
		return err
	}
	if err := required("slug", r.Slug != nil); err != nil {
		return err
	}
	var err error
	if r.Name, err = tenantName(r.Name); err != nil {
		return err
	}
	if r.Slug, err = tenantSlug(r.Slug); err != nil {
		return err
	}
	if r.CustomDomain, err = customDomain(r.CustomDomain, r.baseDomain); err != nil {
		return err
	}
	if r.LogoURL, err = webURL("logo_url", r.LogoURL); err != nil {
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
	host, err := s.hosts.resolve(ctx, c.Request().Host)
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
	req := setupRequest{baseDomain: s.hosts.baseDomain}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var tenant db.Tenant
	err = s.db.AsService(ctx, func(q *db.Queries) (err error) {
		tenant, err = createOwnTenant(ctx, q, id.UserID, req)
		return err
	})
	if err != nil {
		return err
	}
	// Its hosts may be cached as belonging to no tenant.
	s.hosts.forget(tenant.ID)
	return c.JSON(http.StatusCreated, tenantResourceOf(tenant))
}

// createOwnTenant creates the tenant and attaches the user to it as owner, on a
// service-role transaction.
func createOwnTenant(ctx context.Context, q *db.Queries, userID uuid.UUID, req setupRequest) (db.Tenant, error) {
	alreadyMember := problem(http.StatusConflict, "you already belong to a tenant; a user belongs to one tenant only")
	profile, err := q.UserGetByID(ctx, userID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		// The signup trigger makes every profile; a missing one was removed from its tenant.
		return db.Tenant{}, problem(http.StatusConflict, "you have no user profile: you were removed from your tenant")
	case err != nil:
		return db.Tenant{}, err
	case profile.TenantID != nil:
		return db.Tenant{}, alreadyMember
	}
	tenant, err := db.CreateTenant(ctx, q, db.TenantCreateParams{
		Name: *req.Name, Slug: *req.Slug, CustomDomain: req.CustomDomain, LogoUrl: req.LogoURL, Theme: req.Theme,
	})
	if err != nil {
		return db.Tenant{}, err
	}
	// The attach updates only a profile still without a tenant: a concurrent setup by the
	// same user that committed first leaves nothing to update.
	_, err = q.UserAttachToTenant(ctx, db.UserAttachToTenantParams{TenantID: tenant.ID, Role: db.UserRoleOwner, ID: userID})
	if errors.Is(err, db.ErrNotFound) {
		return db.Tenant{}, alreadyMember
	}
	return tenant, err
}
