package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atende/atende/db"
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

// keysetList answers a keyset-paginated list: it reads ?limit= (1–100, default 50) and
// ?cursor=, which must have been signed for this list — name, which includes the list's
// filters — and the caller's tenant; fetch reads up to limit rows after the cursor's
// position (nil: from the start), and key gives the position a row's next page starts
// after. fetch runs in the tenant's transaction, as as says as whom.
func keysetList[T, K any](c echo.Context, s *Server, as tenantTx, name string,
	fetch func(ctx context.Context, q *db.Queries, m member, after *K, limit int32) ([]T, error),
	key func(T) K) error {
	limit, err := queryInt(c, "limit", 50, 1, 100)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, as, func(ctx context.Context, q *db.Queries, m member) (page[T], error) {
		var position K
		found, err := s.cursors.decode(c, name, m.TenantID, &position)
		if err != nil {
			return page[T]{}, err
		}
		var after *K
		if found {
			after = &position
		}
		// One more row than the page, to know whether another page follows.
		rows, err := fetch(ctx, q, m, after, int32(limit)+1)
		if err != nil {
			return page[T]{}, err
		}
		return pageOf(rows, limit, func(last T) string { return s.cursors.encode(name, m.TenantID, key(last)) }), nil
	})
}

// listName names a list with the values of the query parameters that filter it, so
// that a cursor of one filtered list is refused on another.
func listName(c echo.Context, base string, filters ...string) string {
	values := url.Values{}
	for _, f := range filters {
		if v := c.QueryParam(f); v != "" {
			values.Set(f, v)
		}
	}
	if len(values) == 0 {
		return base
	}
	return base + "?" + values.Encode()
}

// at and id are the parts of an optional position, for the generated queries' nullable
// parameters.
func (k *timeKey) at() *time.Time {
	if k == nil {
		return nil
	}
	return &k.At
}

func (k *timeKey) id() *uuid.UUID {
	if k == nil {
		return nil
	}
	return &k.ID
}
