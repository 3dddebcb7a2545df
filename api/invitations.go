package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

func (s *Server) invitationRoutes(g *echo.Group) {
	g.GET("/invitations", s.listInvitations)
	g.POST("/invitations", s.createInvitation)
	g.GET("/invitations/:id", s.getInvitation)
	g.DELETE("/invitations/:id", s.revokeInvitation)
	g.POST("/invitations/:id/accept", s.acceptInvitation)
	g.GET("/me/invitations", s.listMyInvitations)
}

// invitationCreate invites an email to the tenant; the role defaults to agent. Owners
// are not invited but promoted by an owner. db.CreateInvitation checks the fields.
type invitationCreate struct {
	Email *string     `json:"email"`
	Role  db.UserRole `json:"role"`
}

func (r *invitationCreate) validate() error {
	return required("email", r.Email != nil)
}

// invitationCreated is a new invitation and what became of its email: "sent" (Supabase
// Auth emailed the invitee), "account_exists" (the person already has an account: they
// sign in and accept), "not_configured" (no SUPABASE_SERVICE_ROLE_KEY: tell them
// yourself) or "failed" (Auth could not be asked; the invitation stands).
type invitationCreated struct {
	db.Invitation
	InviteEmail string `json:"invite_email"`
}

func (s *Server) listInvitations(c echo.Context) error {
	includeClosed, err := queryFlag(c, "include_closed")
	if err != nil {
		return err
	}
	return keysetList(c, s, s.asAdmin, listName(c, "invitations", "include_closed"),
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.Invitation, error) {
			return q.InvitationList(ctx, db.InvitationListParams{
				TenantID: m.TenantID, IncludeClosed: includeClosed, BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit,
			})
		},
		func(inv db.Invitation) timeKey { return timeKey{At: inv.CreatedAt, ID: inv.ID} })
}

func (s *Server) createInvitation(c echo.Context) error {
	var req invitationCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var created invitationCreated
	err := s.asAdmin(c, func(ctx context.Context, q *db.Queries, m member) (err error) {
		created.Invitation, err = db.CreateInvitation(ctx, q, db.NewInvitation{
			TenantID: m.TenantID, Email: *req.Email, Role: req.Role, InvitedBy: &m.UserID,
		})
		return err
	})
	if err != nil {
		return err
	}
	// After the commit: the invitation exists before the person can confirm their email.
	created.InviteEmail = s.sendInviteEmail(c.Request().Context(), created.Email)
	return c.JSON(http.StatusCreated, created)
}

// sendInviteEmail asks Supabase Auth to email the invitee, when it is configured, and
// says what happened (see invitationCreated).
func (s *Server) sendInviteEmail(ctx context.Context, email string) string {
	if s.cfg.Invites == nil {
		return "not_configured"
	}
	switch err := s.cfg.Invites.Invite(ctx, email); {
	case err == nil:
		return "sent"
	case errors.Is(err, auth.ErrAccountExists):
		return "account_exists"
	default:
		slog.WarnContext(ctx, "invitation email not sent", "error", err)
		return "failed"
	}
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

// acceptInvitation lets the caller, signed in with a confirmed email that the invitation
// names and belonging to no tenant yet, join the inviting tenant. The database holds
// the rules (private.accept_invitation): an unconfirmed email is a 403, an invitation
// that is not the caller's or no longer pending a 404, a member of a tenant a 409.
func (s *Server) acceptInvitation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var me meResponse
	err = s.asCaller(c, func(ctx context.Context, q *db.Queries, profile db.User) error {
		if _, err := q.InvitationAccept(ctx, id); err != nil {
			return err
		}
		joined, err := q.UserGetByID(ctx, profile.ID)
		if err != nil {
			return err
		}
		me, err = meOf(ctx, q, joined)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me)
}

// listMyInvitations lists the pending invitations addressed to the caller's confirmed
// email, from every tenant: what a person without a tenant may accept.
func (s *Server) listMyInvitations(c echo.Context) error {
	var invitations []db.InvitationListForInviteeRow
	err := s.asCaller(c, func(ctx context.Context, q *db.Queries, _ db.User) (err error) {
		invitations, err = q.InvitationListForInvitee(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": invitations})
}
