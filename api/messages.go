package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

func (s *Server) messageRoutes(g *echo.Group) {
	g.GET("/conversations/:id/messages", s.listMessages)
	g.POST("/conversations/:id/messages", s.sendMessage)
}

type messageSend struct {
	Content *string         `json:"content"`
	Media   json.RawMessage `json:"media"`
}

func (r *messageSend) validate() (err error) {
	if r.Media, err = jsonMedia("media", r.Media); err != nil {
		return err
	}
	if r.Content != nil && strings.TrimSpace(*r.Content) == "" {
		r.Content = nil
	}
	if r.Content == nil && r.Media == nil {
		return fieldProblem("content", "content or media is required")
	}
	return nil
}

// jsonMedia checks an optional media attachment: a JSON object or array; absent or null
// means none.
func jsonMedia(field string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	// The decoder already checked that it is one JSON value.
	if first := bytes.TrimSpace(raw)[0]; first != '{' && first != '[' {
		return nil, fieldProblem(field, "%s must be a JSON object or array", field)
	}
	return raw, nil
}

// listMessages pages a conversation's messages newest first, by (created_at, id).
func (s *Server) listMessages(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	// A cursor belongs to one conversation's list.
	return keysetList(c, s, s.asMember, "messages:"+id.String(),
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.Message, error) {
			// An unknown conversation is a 404, not an empty list.
			if _, err := q.ConversationGet(ctx, db.ConversationGetParams{TenantID: m.TenantID, ID: id}); err != nil {
				return nil, err
			}
			return q.MessageListByConversation(ctx, db.MessageListByConversationParams{
				TenantID: m.TenantID, ConversationID: id, BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit,
			})
		},
		func(msg db.Message) timeKey { return timeKey{At: msg.CreatedAt, ID: msg.ID} })
}

// sendMessage stores the caller's reply, queued, with the job that sends it; the same
// statement bumps the conversation and marks it read.
func (s *Server) sendMessage(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req messageSend
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Message, error) {
		return s.cfg.Delivery.Reply(ctx, q, db.MessageCreateOutboundParams{
			TenantID: m.TenantID, ConversationID: id, SenderType: db.SenderTypeUser, SenderUserID: &m.UserID,
			Content: req.Content, Media: req.Media,
		})
	})
}
