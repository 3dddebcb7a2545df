package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

// Problem is an RFC 9457 problem details response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the request field at fault, when there is one.
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// problem builds a Problem for status with a detail message.
func problem(status int, format string, args ...any) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...)}
}

// fieldProblem is a 400 naming the request field at fault.
func fieldProblem(field, format string, args ...any) *Problem {
	p := problem(http.StatusBadRequest, format, args...)
	p.Field = field
	return p
}

// constraintFields names the request field behind a constraint, for constraints whose
// column PostgreSQL does not report (unique and check constraints).
var constraintFields = map[string]string{
	"contacts_tenant_id_phone_key":                          "phone",
	"contacts_phone_check":                                  "phone",
	"contacts_email_check":                                  "email",
	"contacts_name_check":                                   "name",
	"tenants_slug_key":                                      "slug",
	"tenants_slug_check":                                    "slug",
	"tenants_custom_domain_key":                             "custom_domain",
	"tenants_custom_domain_check":                           "custom_domain",
	"invitations_tenant_id_email_pending_key":               "email",
	"invitations_email_check":                               "email",
	"invitations_role_check":                                "role",
	"system_settings_key_check":                             "key",
	"leads_pipeline_tenant_id_contact_id_fkey":              "contact_id",
	"leads_pipeline_tenant_id_owner_user_id_fkey":           "owner_user_id",
	"conversations_tenant_id_contact_id_fkey":               "contact_id",
	"conversations_tenant_id_assigned_user_id_fkey":         "assigned_user_id",
	"conversations_tenant_id_contact_id_channel_active_key": "contact_id",
}

// handleError turns any error a handler returns into a problem response. Database errors
// keep their kind: not found 404, conflict 409, invalid input or reference 400/422,
// permission 403. Anything unclassified is a 500 whose detail stays in the log.
func handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := *toProblem(err) // a copy: handlers may return shared problem values
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	if p.Status >= 500 {
		slog.ErrorContext(c.Request().Context(), "request failed", "error", err, "request_id", p.RequestID,
			"method", c.Request().Method, "path", c.Path())
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_ = json.NewEncoder(c.Response()).Encode(p)
}

func toProblem(err error) *Problem {
	var p *Problem
	var httpErr *echo.HTTPError
	var dbErr *db.Error
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, auth.ErrInvalidToken):
		return problem(http.StatusUnauthorized, "the access token is missing, invalid or expired")
	case errors.As(err, &httpErr):
		detail := http.StatusText(httpErr.Code)
		if msg, ok := httpErr.Message.(string); ok {
			detail = msg
		}
		return problem(httpErr.Code, "%s", detail)
	case errors.Is(err, db.ErrNotFound):
		return problem(http.StatusNotFound, "no such resource")
	case errors.Is(err, context.DeadlineExceeded):
		return problem(http.StatusServiceUnavailable, "the database did not answer in time")
	case errors.As(err, &dbErr):
		field := dbErr.Column
		if f, ok := constraintFields[dbErr.Constraint]; ok {
			field = f
		}
		status := map[error]int{
			db.ErrConflict:         http.StatusConflict,
			db.ErrInvalidInput:     http.StatusBadRequest,
			db.ErrInvalidReference: http.StatusUnprocessableEntity,
			db.ErrPermission:       http.StatusForbidden,
		}[dbErr.Kind]
		detail := dbErr.Kind.Error()
		if field != "" {
			detail = strings.ReplaceAll(field, "_", " ") + " " + detail
		}
		return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Field: field}
	default:
		return problem(http.StatusInternalServerError, "internal error")
	}
}
