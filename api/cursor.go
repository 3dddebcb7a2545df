package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Lists are paged by keyset: a page ends with an opaque cursor holding the position of
// its last row. The cursor is signed (HMAC-SHA256) over the list's name, the tenant and
// the position, so a forged cursor, or one minted for another tenant or another list,
// is a 400 rather than a way to steer a query.
type cursorCodec struct{ key []byte }

type cursorPayload struct {
	List     string          `json:"l"`
	Tenant   uuid.UUID       `json:"t"`
	Position json.RawMessage `json:"p"`
}

func (cc cursorCodec) encode(list string, tenant uuid.UUID, position any) string {
	p, _ := json.Marshal(position)
	payload, _ := json.Marshal(cursorPayload{List: list, Tenant: tenant, Position: p})
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(cc.sign(payload))
}

// decode reads the request's cursor parameter into position; it reports whether there
// was one.
func (cc cursorCodec) decode(c echo.Context, list string, tenant uuid.UUID, position any) (bool, error) {
	raw := c.QueryParam("cursor")
	if raw == "" {
		return false, nil
	}
	bad := fieldProblem("cursor", "cursor is not a cursor of this list; use the next_cursor of the previous page")
	encoded, signature, ok := strings.Cut(raw, ".")
	if !ok {
		return false, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(encoded)
	mac, err2 := base64.RawURLEncoding.DecodeString(signature)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, cc.sign(payload)) {
		return false, bad
	}
	var p cursorPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.List != list || p.Tenant != tenant {
		return false, bad
	}
	if err := json.Unmarshal(p.Position, position); err != nil {
		return false, bad
	}
	return true, nil
}

func (cc cursorCodec) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, cc.key)
	m.Write(payload)
	return m.Sum(nil)
}

// page is a list response: {"items": [...], "next_cursor": "…" or null}.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageOf cuts rows (fetched with limit+1) to limit and, when there were more, sets the
// cursor to the position of the last row kept.
func pageOf[T any](rows []T, limit int, next func(last T) string) page[T] {
	if len(rows) <= limit {
		if rows == nil {
			rows = []T{}
		}
		return page[T]{Items: rows}
	}
	rows = rows[:limit]
	cursor := next(rows[limit-1])
	return page[T]{Items: rows, NextCursor: &cursor}
}

// timeKey is the position of a row in a list ordered by a timestamp and the id.
type timeKey struct {
	At time.Time `json:"at"`
	ID uuid.UUID `json:"id"`
}

// listParams are a list request's limit and, when a cursor was given, its position.
type listParams struct {
	Limit int
	After *timeKey
}

// parseList reads ?limit= (1–100, default 50) and ?cursor= for a list ordered by time.
func (cc cursorCodec) parseList(c echo.Context, list string, tenant uuid.UUID) (listParams, error) {
	limit, err := queryInt(c, "limit", 50, 1, 100)
	if err != nil {
		return listParams{}, err
	}
	var key timeKey
	ok, err := cc.decode(c, list, tenant, &key)
	if err != nil || !ok {
		return listParams{Limit: limit}, err
	}
	return listParams{Limit: limit, After: &key}, nil
}

// fetch is the row count to ask the database for: one more than the page, to know
// whether another page follows.
func (l listParams) fetch() int32 { return int32(l.Limit) + 1 }

func (l listParams) afterAt() *time.Time {
	if l.After == nil {
		return nil
	}
	return &l.After.At
}

func (l listParams) afterID() *uuid.UUID {
	if l.After == nil {
		return nil
	}
	return &l.After.ID
}
