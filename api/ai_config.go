package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/atende/atende/db"
	"github.com/labstack/echo/v4"
)

// The tenant's assistant configuration: every member reads it, admins replace it.
func (s *Server) aiConfigRoutes(g *echo.Group) {
	g.GET("/ai-config", s.getAIConfig)
	g.PUT("/ai-config", s.putAIConfig)
}

// aiConfigReplace is a whole configuration: PUT replaces, so every field is required.
type aiConfigReplace struct {
	Enabled       *bool           `json:"enabled"`
	Model         *string         `json:"model"`
	SystemPrompt  *string         `json:"system_prompt"`
	Temperature   *float64        `json:"temperature"`
	BusinessHours json.RawMessage `json:"business_hours"`
	HandoffRules  json.RawMessage `json:"handoff_rules"`
}

func (r *aiConfigReplace) validate() error {
	var missing []string
	for _, f := range []struct {
		name    string
		present bool
	}{
		{"enabled", r.Enabled != nil},
		{"model", r.Model != nil},
		{"system_prompt", r.SystemPrompt != nil},
		{"temperature", r.Temperature != nil},
		{"business_hours", isJSONValue(r.BusinessHours)},
		{"handoff_rules", isJSONValue(r.HandoffRules)},
	} {
		if !f.present {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fieldProblem(missing[0], "%s required: PUT replaces the whole configuration", strings.Join(missing, ", "))
	}
	if err := textWithin("model", r.Model, 100); err != nil {
		return err
	}
	if *r.Temperature < 0 || *r.Temperature > 2 {
		return fieldProblem("temperature", "temperature must be from 0 to 2")
	}
	var err error
	if r.BusinessHours, err = jsonObject("business_hours", r.BusinessHours); err != nil {
		return err
	}
	r.HandoffRules, err = jsonObject("handoff_rules", r.HandoffRules)
	return err
}

// isJSONValue reports whether a raw field was sent with a value other than null.
func isJSONValue(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

func (s *Server) getAIConfig(c echo.Context) error {
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.AIConfig, error) {
		config, err := q.AIConfigGet(ctx, m.TenantID)
		if errors.Is(err, db.ErrNotFound) {
			return config, problem(http.StatusNotFound, "the assistant is not configured yet; an admin sets it with PUT /api/v1/ai-config")
		}
		return config, err
	})
}

func (s *Server) putAIConfig(c echo.Context) error {
	var req aiConfigReplace
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.AIConfig, error) {
		return q.AIConfigUpsert(ctx, db.AIConfigUpsertParams{
			TenantID: m.TenantID, Enabled: *req.Enabled, Model: *req.Model, SystemPrompt: *req.SystemPrompt,
			Temperature: float32(*req.Temperature), BusinessHours: req.BusinessHours, HandoffRules: req.HandoffRules,
		})
	})
}
