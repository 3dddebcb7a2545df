package api

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

func (s *Server) invitationRoutes(g *echo.Group) {
	g.GET("/invitations", s.listInvitations)
	g.POST("/invitations", s.createInvitation)
	g.GET("/invitations/:id", s.getInvitation)
	g.DELETE("/invitations/:id", s.revokeInvitation)
}

// invitationLifetime is how long an invitation can be accepted (by signing up with its
// email), as the column's default says.
const invitationLifetime = 14 * 24 * time.Hour

// invitationCreate invites an email to the tenant; the role defaults to agent. Owners
// are not invited but promoted by an owner.
type invitationCreate struct {
	Email *string      `json:"email"`
	Role  *db.UserRole `json:"role"`
}

func (r *invitationCreate) validate() error {
	if err := required("email", r.Email != nil); err != nil {
		return err
	}
	email, err := bareEmail("email", *r.Email)
	if err != nil {
		return err
	}
	r.Email = &email
	if r.Role == nil {
		agent := db.UserRoleAgent
		r.Role = &agent
	}
	if *r.Role != db.UserRoleAdmin && *r.Role != db.UserRoleAgent {
		return fieldProblem("role", "role must be one of admin, agent (owners are made by promoting a member)")
	}
	return nil
}

// bareEmail lower-cases a bare email address (no display name) and checks it.
func bareEmail(field, raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 320 {
		return "", fieldProblem(field, "%s must be an email address such as ana@example.com", field)
	}
	return email, nil
}

func (s *Server) listInvitations(c echo.Context) error {
	includeClosed, err := queryFlag(c, "include_closed")
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (page[db.Invitation], error) {
		list, err := s.cursors.parseList(c, "invitations", m.TenantID)
		if err != nil {
			return page[db.Invitation]{}, err
		}
		rows, err := q.InvitationList(ctx, db.InvitationListParams{
			TenantID: m.TenantID, IncludeClosed: includeClosed,
			BeforeCreatedAt: list.afterAt(), BeforeID: list.afterID(), RowLimit: list.fetch(),
		})
		return pageOf(rows, list.Limit, func(last db.Invitation) string {
			return s.cursors.encode("invitations", m.TenantID, timeKey{At: last.CreatedAt, ID: last.ID})
		}), err
	})
}

func (s *Server) createInvitation(c echo.Context) error {
	var req invitationCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.Invitation, error) {
		// An invitation is accepted by signing up; a member never signs up again.
		switch _, err := q.UserGetByEmail(ctx, db.UserGetByEmailParams{TenantID: m.TenantID, Email: *req.Email}); {
		case err == nil:
			p := problem(http.StatusConflict, "%s is already a member of this tenant", *req.Email)
			p.Field = "email"
			return db.Invitation{}, p
		case !errors.Is(err, db.ErrNotFound):
			return db.Invitation{}, err
		}
		return q.InvitationCreate(ctx, db.InvitationCreateParams{
			TenantID: m.TenantID, Email: *req.Email, Role: *req.Role,
			InvitedByUserID: &m.UserID, ExpiresAt: time.Now().Add(invitationLifetime),
		})
	})
}

func (s *Server) getInvitation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.Invitation, error) {
		return q.InvitationGet(ctx, db.InvitationGetParams{TenantID: m.TenantID, ID: id})
	})
}

// revokeInvitation closes a pending invitation; an accepted or revoked one is gone as far
// as revoking goes (404), though it stays listed with ?include_closed=true.
func (s *Server) revokeInvitation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) error {
		_, err := q.InvitationRevoke(ctx, db.InvitationRevokeParams{TenantID: m.TenantID, ID: id})
		return err
	})
}

// queryFlag parses an optional boolean query parameter; absent is false.
func queryFlag(c echo.Context, name string) (bool, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fieldProblem(name, "%s must be true or false", name)
	}
	return v, nil
}
