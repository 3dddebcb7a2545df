package api

import (
	"context"
	"net/http"

	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

// tenantTx runs fn in one transaction as a member of the caller's tenant: it is
// Server.asMember or Server.asAdmin, which say who may.
type tenantTx func(c echo.Context, fn func(ctx context.Context, q *db.Queries, m member) error) error

// answer is a handler's usual ending: fn runs in the tenant's transaction (as says as
// whom) and its result is the JSON answer with status, once the transaction committed.
func answer[T any](c echo.Context, status int, as tenantTx, fn func(ctx context.Context, q *db.Queries, m member) (T, error)) error {
	var result T
	err := as(c, func(ctx context.Context, q *db.Queries, m member) (err error) {
		result, err = fn(ctx, q, m)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(status, result)
}

// answerNoContent is answer for a change with nothing to show, such as a delete: 204
// once the transaction committed.
func answerNoContent(c echo.Context, as tenantTx, fn func(ctx context.Context, q *db.Queries, m member) error) error {
	if err := as(c, fn); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deleted turns a delete's row count into ErrNotFound when nothing was deleted.
func deleted(rows int64, err error) error {
	if err == nil && rows == 0 {
		return db.ErrNotFound
	}
	return err
}
