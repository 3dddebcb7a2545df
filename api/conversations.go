package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

func (s *Server) conversationRoutes(g *echo.Group) {
	g.GET("/conversations", s.listConversations)
	g.POST("/conversations", s.createConversation)
	g.GET("/conversations/:id", s.getConversation)
	g.PATCH("/conversations/:id", s.updateConversation)
	g.DELETE("/conversations/:id", s.deleteConversation)
	g.POST("/conversations/:id/read", s.markConversationRead)
}

type conversationCreate struct {
	ContactID      *string                `json:"contact_id"`
	Channel        *db.Channel            `json:"channel"`
	Status         *db.ConversationStatus `json:"status"`
	AssignedUserID *string                `json:"assigned_user_id"`
	AiEnabled      *bool                  `json:"ai_enabled"`

	contactID, assignedUserID *uuid.UUID // parsed by validate
}

func (r *conversationCreate) validate() (err error) {
	if err = required("channel", r.Channel != nil); err != nil {
		return err
	}
	if err = enumValue("channel", *r.Channel, db.AllChannelValues()); err != nil {
		return err
	}
	if r.Status == nil {
		r.Status = new(db.ConversationStatusOpen)
	}
	if err = enumValue("status", *r.Status, db.AllConversationStatusValues()); err != nil {
		return err
	}
	if r.AiEnabled == nil {
		r.AiEnabled = new(true)
	}
	if r.contactID, err = bodyUUID("contact_id", r.ContactID); err != nil {
		return err
	}
	r.assignedUserID, err = bodyUUID("assigned_user_id", r.AssignedUserID)
	return err
}

type conversationUpdate struct {
	Status         Optional[db.ConversationStatus] `json:"status"`
	AssignedUserID Optional[string]                `json:"assigned_user_id"`
	AiEnabled      Optional[bool]                  `json:"ai_enabled"`

	assignedUserID *uuid.UUID // parsed by validate
}

func (r *conversationUpdate) validate() (err error) {
	if err = notNull("status", r.Status); err != nil {
		return err
	}
	if r.Status.Value != nil {
		if err = enumValue("status", *r.Status.Value, db.AllConversationStatusValues()); err != nil {
			return err
		}
	}
	if err = notNull("ai_enabled", r.AiEnabled); err != nil {
		return err
	}
	r.assignedUserID, err = bodyUUID("assigned_user_id", r.AssignedUserID.Value)
	return err
}

// queryEnum parses an optional query parameter holding a value of a generated enum.
func queryEnum[T interface {
	~string
	Valid() bool
}](c echo.Context, name string, all []T) (*T, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil, nil
	}
	v := T(raw)
	return &v, enumValue(name, v, all)
}

// inboxRow is a conversation as the inbox draws it: with its contact and its last
// message ({preview, direction, status, sender_type, has_media, created_at}, null before
// the first).
type inboxRow struct {
	db.Conversation
	ContactName      *string         `json:"contact_name"`
	ContactPhone     *string         `json:"contact_phone"`
	ContactAvatarURL *string         `json:"contact_avatar_url"`
	LastMessage      json.RawMessage `json:"last_message"`
}

// listConversations is the inbox: most recent activity first, paged by
// (last_message_at, id); ?updated_since= keeps the conversations changed since then.
func (s *Server) listConversations(c echo.Context) error {
	status, err := queryEnum(c, "status", db.AllConversationStatusValues())
	if err != nil {
		return err
	}
	assignee, err := queryUUID(c, "assigned_user_id")
	if err != nil {
		return err
	}
	since, err := queryTime(c, "updated_since")
	if err != nil {
		return err
	}
	return keysetList(c, s, s.asMember, listName(c, "conversations", "status", "assigned_user_id", "updated_since"),
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]inboxRow, error) {
			rows, err := q.ConversationInbox(ctx, db.ConversationInboxParams{
				TenantID: m.TenantID, Status: status, AssignedUserID: assignee, UpdatedSince: since,
				BeforeLastMessageAt: after.at(), BeforeID: after.id(), RowLimit: limit,
			})
			inbox := make([]inboxRow, len(rows))
			for i, r := range rows {
				inbox[i] = inboxRow{r.Conversation, r.ContactName, r.ContactPhone, r.ContactAvatarUrl, r.LastMessage}
			}
			return inbox, err
		},
		func(r inboxRow) timeKey { return timeKey{At: r.LastMessageAt, ID: r.ID} })
}

func (s *Server) createConversation(c echo.Context) error {
	var req conversationCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Conversation, error) {
		return q.ConversationCreate(ctx, db.ConversationCreateParams{
			TenantID: m.TenantID, ContactID: req.contactID, Channel: *req.Channel, Status: *req.Status,
			AssignedUserID: req.assignedUserID, AiEnabled: *req.AiEnabled,
		})
	})
}

func (s *Server) getConversation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Conversation, error) {
		return q.ConversationGet(ctx, db.ConversationGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) markConversationRead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Conversation, error) {
		return q.ConversationMarkRead(ctx, db.ConversationMarkReadParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateConversation(c echo.Context) error {
	// A bad body is reported before a malformed id.
	var req conversationUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Conversation, error) {
		return q.ConversationUpdate(ctx, db.ConversationUpdateParams{
			TenantID: m.TenantID, ID: id, Status: req.Status.Value,
			SetAssignedUserID: req.AssignedUserID.Set, AssignedUserID: req.assignedUserID,
			AiEnabled: req.AiEnabled.Value,
		})
	})
}

func (s *Server) deleteConversation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asMember, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.ConversationDelete(ctx, db.ConversationDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}
