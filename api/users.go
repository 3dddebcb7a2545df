package api

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

func (s *Server) userRoutes(g *echo.Group) {
	g.GET("/me", s.getMe)
	g.PATCH("/me", s.updateMe)
	g.GET("/users", s.listUsers)
	g.GET("/users/:id", s.getUser)
	g.PATCH("/users/:id", s.updateUser)
	g.DELETE("/users/:id", s.deleteUser)
}

// meResponse is the caller's profile and, once they belong to one, their tenant.
type meResponse struct {
	db.User
	Tenant *tenantResource `json:"tenant"`
}

// meUpdate is PATCH /me: absent fields are kept, null clears.
type meUpdate struct {
	FullName  Optional[string] `json:"full_name"`
	AvatarURL Optional[string] `json:"avatar_url"`
}

func (r *meUpdate) validate() error {
	if r.FullName.Value != nil {
		name := strings.TrimSpace(*r.FullName.Value)
		if name == "" || utf8.RuneCountInString(name) > 200 {
			return fieldProblem("full_name", "full_name must have 1 to 200 characters, or be null")
		}
		r.FullName.Value = &name
	}
	var err error
	r.AvatarURL.Value, err = optional(r.AvatarURL.Value, avatarURL)
	return err
}

// userUpdate is PATCH /users/{id}: an admin changes a member's role.
type userUpdate struct {
	Role *db.UserRole `json:"role"`
}

func (r *userUpdate) validate() error {
	if err := required("role", r.Role != nil); err != nil {
		return err
	}
	return enumValue("role", *r.Role, db.AllUserRoleValues())
}

func (s *Server) getMe(c echo.Context) error {
	var me meResponse
	err := s.asCaller(c, func(ctx context.Context, q *db.Queries, profile db.User) (err error) {
		me, err = meOf(ctx, q, profile)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me)
}

func (s *Server) updateMe(c echo.Context) error {
	var req meUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var me meResponse
	err := s.asCaller(c, func(ctx context.Context, q *db.Queries, profile db.User) error {
		updated, err := q.UserUpdateSelf(ctx, db.UserUpdateSelfParams{
			ID: profile.ID, SetFullName: req.FullName.Set, FullName: req.FullName.Value,
			SetAvatarUrl: req.AvatarURL.Set, AvatarUrl: req.AvatarURL.Value,
		})
		if err != nil {
			return err
		}
		me, err = meOf(ctx, q, updated)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me)
}

// meOf adds the profile's tenant, if any, to the profile.
func meOf(ctx context.Context, q *db.Queries, profile db.User) (meResponse, error) {
	me := meResponse{User: profile}
	if profile.TenantID == nil {
		return me, nil
	}
	tenant, err := q.TenantGetByID(ctx, *profile.TenantID)
	if err != nil {
		return meResponse{}, err
	}
	resource := tenantResourceOf(tenant)
	me.Tenant = &resource
	return me, nil
}

// listUsers lists the tenant's members, oldest first (the owner who set it up leads).
func (s *Server) listUsers(c echo.Context) error {
	return keysetList(c, s, s.asMember, "users",
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.User, error) {
			return q.UserList(ctx, db.UserListParams{TenantID: m.TenantID, AfterCreatedAt: after.at(), AfterID: after.id(), RowLimit: limit})
		},
		func(u db.User) timeKey { return timeKey{At: u.CreatedAt, ID: u.ID} })
}

func (s *Server) getUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.User, error) {
		return q.UserGet(ctx, db.UserGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req userUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	// The database enforces who may change which role (private.enforce_member_rules).
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.User, error) {
		return q.UserUpdateRole(ctx, db.UserUpdateRoleParams{TenantID: m.TenantID, ID: id, Role: *req.Role})
	})
}

// deleteUser removes a member from the tenant: their profile goes, and the rows that
// named them (assignments, lead ownership, messages sent) keep the rest with no user.
// The database enforces who may remove whom (private.enforce_member_rules).
func (s *Server) deleteUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.UserDelete(ctx, db.UserDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}
