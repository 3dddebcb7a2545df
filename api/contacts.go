package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/labstack/echo/v4"
)

func (s *Server) contactRoutes(g *echo.Group) {
	g.GET("/contacts", s.listContacts)
	g.POST("/contacts", s.createContact)
	g.GET("/contacts/:id", s.getContact)
	g.PATCH("/contacts/:id", s.updateContact)
	g.DELETE("/contacts/:id", s.deleteContact)
}

type contactCreate struct {
	Name         *string         `json:"name"`
	Phone        *string         `json:"phone"`
	Email        *string         `json:"email"`
	AvatarURL    *string         `json:"avatar_url"`
	Tags         []string        `json:"tags"`
	CustomFields json.RawMessage `json:"custom_fields"`
}

func (r *contactCreate) validate() error {
	if err := required("name", r.Name != nil && strings.TrimSpace(*r.Name) != ""); err != nil {
		return err
	}
	var err error
	if r.Phone, err = phoneField("phone", r.Phone); err != nil {
		return err
	}
	if r.Email, err = emailField("email", r.Email); err != nil {
		return err
	}
	if r.AvatarURL, err = optional(r.AvatarURL, avatarURL); err != nil {
		return err
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	r.CustomFields, err = jsonObject("custom_fields", r.CustomFields)
	return err
}

type contactUpdate struct {
	Name         Optional[string] `json:"name"`
	Phone        Optional[string] `json:"phone"`
	Email        Optional[string] `json:"email"`
	AvatarURL    Optional[string] `json:"avatar_url"`
	Tags         *[]string        `json:"tags"`
	CustomFields json.RawMessage  `json:"custom_fields"`
}

func (r *contactUpdate) validate() error {
	var err error
	if r.Phone.Value, err = phoneField("phone", r.Phone.Value); err != nil {
		return err
	}
	if r.Email.Value, err = emailField("email", r.Email.Value); err != nil {
		return err
	}
	if r.AvatarURL.Value, err = optional(r.AvatarURL.Value, avatarURL); err != nil {
		return err
	}
	if r.CustomFields != nil {
		r.CustomFields, err = jsonObject("custom_fields", r.CustomFields)
	}
	return err
}

// avatarURL is the rule for a picture's link: https.
func avatarURL(raw string) (string, error) { return input.HTTPSURL("avatar_url", raw) }

// phoneField normalises an optional phone typed in any usual way to E.164, Brazil by
// default; blank means none.
func phoneField(field string, raw *string) (*string, error) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, nil
	}
	return optional(raw, func(v string) (string, error) { return input.Phone(field, v, "BR") })
}

// emailField trims, lower-cases and checks an optional email address; blank means none,
// as for the phone.
func emailField(field string, raw *string) (*string, error) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, nil
	}
	return optional(raw, func(v string) (string, error) { return input.Email(field, v) })
}

// jsonObject checks that an optional JSON field is an object; absent means {}.
func jsonObject(field string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`), nil
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(raw, &object); err != nil {
		return nil, fieldProblem(field, "%s must be a JSON object", field)
	}
	return raw, nil
}

// listContacts lists the tenant's contacts newest first, filtered by ?q= (a search: see
// ContactList) and ?tag=. The list's name holds the filters, so a cursor of ?tag=vip is
// refused on ?q=ana.
func (s *Server) listContacts(c echo.Context) error {
	q := optionalQuery(c, "q")
	if q != nil {
		if *q = strings.TrimSpace(*q); *q == "" {
			q = nil // blank finds everyone, as no q does
		}
	}
	tag := optionalQuery(c, "tag")
	return keysetList(c, s, s.asMember, listName(c, "contacts", "q", "tag"),
		func(ctx context.Context, qs *db.Queries, m member, after *timeKey, limit int32) ([]db.Contact, error) {
			return qs.ContactList(ctx, db.ContactListParams{
				TenantID: m.TenantID, Q: q, Tag: tag,
				BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit,
			})
		},
		func(last db.Contact) timeKey { return timeKey{At: last.CreatedAt, ID: last.ID} })
}

func (s *Server) createContact(c echo.Context) error {
	var req contactCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Contact, error) {
		return q.ContactCreate(ctx, db.ContactCreateParams{
			TenantID: m.TenantID, Name: req.Name, Phone: req.Phone, Email: req.Email, AvatarUrl: req.AvatarURL,
			Tags: req.Tags, CustomFields: req.CustomFields,
		})
	})
}

func (s *Server) getContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Contact, error) {
		return q.ContactGet(ctx, db.ContactGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req contactUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Name.Set && (req.Name.Value == nil || strings.TrimSpace(*req.Name.Value) == "") {
		return fieldProblem("name", "name cannot be empty")
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Contact, error) {
		return q.ContactUpdate(ctx, db.ContactUpdateParams{
			TenantID: m.TenantID, ID: id,
			SetName: req.Name.Set, Name: req.Name.Value,
			SetPhone: req.Phone.Set, Phone: req.Phone.Value,
			SetEmail: req.Email.Set, Email: req.Email.Value,
			SetAvatarUrl: req.AvatarURL.Set, AvatarUrl: req.AvatarURL.Value,
			Tags: derefSlice(req.Tags), CustomFields: req.CustomFields,
		})
	})
}

func (s *Server) deleteContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asMember, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.ContactDelete(ctx, db.ContactDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}

// optionalQuery returns a query parameter, or nil when it is absent or empty.
func optionalQuery(c echo.Context, name string) *string {
	if v := c.QueryParam(name); v != "" {
		return &v
	}
	return nil
}

// derefSlice passes a PATCH list on: nil (absent) keeps the stored list, [] empties it.
func derefSlice[T any](v *[]T) []T {
	if v == nil {
		return nil
	}
	if *v == nil {
		return []T{}
	}
	return *v
}
