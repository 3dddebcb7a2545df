package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/labstack/echo/v4"
)

// The knowledge base the assistant answers from. Every member may curate it (its
// database policy allows all members to write).
func (s *Server) knowledgeRoutes(g *echo.Group) {
	g.GET("/knowledge", s.listKnowledge)
	g.POST("/knowledge", s.createKnowledge)
	g.GET("/knowledge/:id", s.getKnowledge)
	g.PATCH("/knowledge/:id", s.updateKnowledge)
	g.DELETE("/knowledge/:id", s.deleteKnowledge)
}

const knowledgeTitleMax = 500

type knowledgeCreate struct {
	Title     *string  `json:"title"`
	Content   *string  `json:"content"`
	SourceURL *string  `json:"source_url"`
	Tags      []string `json:"tags"`
}

func (r *knowledgeCreate) validate() error {
	if err := required("title", r.Title != nil); err != nil {
		return err
	}
	if err := textWithin("title", r.Title, knowledgeTitleMax); err != nil {
		return err
	}
	if r.Content == nil {
		r.Content = new(string)
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	var err error
	r.SourceURL, err = sourceURL(r.SourceURL)
	return err
}

type knowledgeUpdate struct {
	Title     Optional[string] `json:"title"`
	Content   Optional[string] `json:"content"`
	SourceURL Optional[string] `json:"source_url"`
	Tags      *[]string        `json:"tags"`
}

func (r *knowledgeUpdate) validate() error {
	if r.Title.Set {
		if err := textWithin("title", r.Title.Value, knowledgeTitleMax); err != nil {
			return err
		}
	}
	// Content is never null: clearing it empties it.
	if r.Content.Set && r.Content.Value == nil {
		r.Content.Value = new(string)
	}
	var err error
	r.SourceURL.Value, err = sourceURL(r.SourceURL.Value)
	return err
}

// sourceURL checks an optional document source: an absolute http(s) URL; blank means
// none.
func sourceURL(raw *string) (*string, error) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, nil
	}
	return optional(raw, func(v string) (string, error) { return input.WebURL("source_url", v) })
}

// listKnowledge lists documents newest first, or with ?q= searches them: a ranked
// search answers one page of at most ?limit= best matches, with no cursor.
func (s *Server) listKnowledge(c echo.Context) error {
	if query := strings.TrimSpace(c.QueryParam("q")); query != "" {
		return s.searchKnowledge(c, query)
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (page[db.KnowledgeDocumentListRow], error) {
		list, err := s.cursors.parseList(c, "knowledge", m.TenantID)
		if err != nil {
			return page[db.KnowledgeDocumentListRow]{}, err
		}
		rows, err := q.KnowledgeDocumentList(ctx, db.KnowledgeDocumentListParams{
			TenantID:        m.TenantID,
			BeforeCreatedAt: list.afterAt(),
			BeforeID:        list.afterID(),
			RowLimit:        list.fetch(),
		})
		return pageOf(rows, list.Limit, func(last db.KnowledgeDocumentListRow) string {
			return s.cursors.encode("knowledge", m.TenantID, timeKey{At: last.CreatedAt, ID: last.ID})
		}), err
	})
}

func (s *Server) searchKnowledge(c echo.Context, query string) error {
	if c.QueryParam("cursor") != "" {
		return fieldProblem("cursor", "a search (q) answers one ranked page and takes no cursor; raise limit (up to 100) for more matches")
	}
	limit, err := queryInt(c, "limit", 50, 1, 100)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (page[db.KnowledgeDocumentSearchRow], error) {
		rows, err := q.KnowledgeDocumentSearch(ctx, db.KnowledgeDocumentSearchParams{
			TenantID: m.TenantID, Query: query, RowLimit: int32(limit),
		})
		return page[db.KnowledgeDocumentSearchRow]{Items: rows}, err
	})
}

func (s *Server) createKnowledge(c echo.Context) error {
	var req knowledgeCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentCreateRow, error) {
		return q.KnowledgeDocumentCreate(ctx, db.KnowledgeDocumentCreateParams{
			TenantID: m.TenantID, Title: *req.Title, Content: *req.Content, SourceUrl: req.SourceURL, Tags: req.Tags,
		})
	})
}

func (s *Server) getKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentGetRow, error) {
		return q.KnowledgeDocumentGet(ctx, db.KnowledgeDocumentGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req knowledgeUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentUpdateRow, error) {
		return q.KnowledgeDocumentUpdate(ctx, db.KnowledgeDocumentUpdateParams{
			TenantID: m.TenantID, ID: id,
			Title: req.Title.Value, Content: req.Content.Value,
			SetSourceUrl: req.SourceURL.Set, SourceUrl: req.SourceURL.Value,
			Tags: derefSlice(req.Tags),
		})
	})
}

func (s *Server) deleteKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asMember, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.KnowledgeDocumentDelete(ctx, db.KnowledgeDocumentDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}
