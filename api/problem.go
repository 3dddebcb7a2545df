package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
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
	// RetryAfter, in seconds, is sent as the Retry-After header of a 429 or 503.
	RetryAfter int `json:"-"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// problem builds a Problem for status with a detail message.
func problem(status int, format string, args ...any) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...)}
}

// retryLater is a problem (429 or 503) that tells the client when to try again.
func retryLater(status int, after time.Duration, format string, args ...any) *Problem {
	p := problem(status, format, args...)
	p.RetryAfter = max(1, int(math.Ceil(after.Seconds())))
	return p
}

// fieldProblem is a 400 naming the request field at fault.
func fieldProblem(field, format string, args ...any) *Problem {
	p := problem(http.StatusBadRequest, format, args...)
	p.Field = field
	return p
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
	if p.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_ = json.NewEncoder(c.Response()).Encode(p)
}

func toProblem(err error) *Problem {
	var p *Problem
	var httpErr *echo.HTTPError
	var dbErr *db.Error
	var inputErr *input.Error
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
	case errors.Is(err, db.ErrBusy):
		return retryLater(http.StatusServiceUnavailable, time.Second, "the database is busy: try again shortly")
	case errors.As(err, &inputErr):
		return fieldProblem(inputErr.Field, "%s", inputErr.Reason)
	case errors.As(err, &dbErr):
		status := map[error]int{
			db.ErrConflict:         http.StatusConflict,
			db.ErrInvalidInput:     http.StatusBadRequest,
			db.ErrInvalidReference: http.StatusUnprocessableEntity,
			db.ErrPermission:       http.StatusForbidden,
		}[dbErr.Kind]
		return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: dbErr.Reason, Field: dbErr.Field}
	default:
		return problem(http.StatusInternalServerError, "internal error")
	}
}
