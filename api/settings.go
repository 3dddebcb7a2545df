package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/labstack/echo/v4"
)

// The tenant's settings, a key → JSON value map: every member reads them, admins write.
func (s *Server) settingRoutes(g *echo.Group) {
	g.GET("/settings", s.listSettings)
	g.GET("/settings/:key", s.getSetting)
	g.PUT("/settings/:key", s.putSetting)
	g.DELETE("/settings/:key", s.deleteSetting)
}

// pathSettingKey reads and checks the :key path parameter.
func pathSettingKey(c echo.Context) (string, error) {
	return input.SettingKey(c.Param("key"))
}

// settingPosition is the position of a setting in the list, which is ordered by key.
type settingPosition struct {
	Key string `json:"key"`
}

type settingPut struct {
	Value Optional[json.RawMessage] `json:"value"`
}

func (r *settingPut) validate() error {
	return required("value", r.Value.Set)
}

// value is the JSON to store; null is a value like any other.
func (r *settingPut) value() json.RawMessage {
	if r.Value.Value == nil {
		return json.RawMessage("null")
	}
	return *r.Value.Value
}

func (s *Server) listSettings(c echo.Context) error {
	return keysetList(c, s, s.asMember, "settings",
		func(ctx context.Context, q *db.Queries, m member, after *settingPosition, limit int32) ([]db.SystemSetting, error) {
			params := db.SystemSettingListParams{TenantID: m.TenantID, RowLimit: limit}
			if after != nil {
				params.AfterKey = &after.Key
			}
			return q.SystemSettingList(ctx, params)
		},
		func(st db.SystemSetting) settingPosition { return settingPosition{Key: st.Key} })
}

func (s *Server) getSetting(c echo.Context) error {
	key, err := pathSettingKey(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.SystemSetting, error) {
		return q.SystemSettingGet(ctx, db.SystemSettingGetParams{TenantID: m.TenantID, Key: key})
	})
}

func (s *Server) putSetting(c echo.Context) error {
	key, err := pathSettingKey(c)
	if err != nil {
		return err
	}
	var req settingPut
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.SystemSetting, error) {
		return q.SystemSettingUpsert(ctx, db.SystemSettingUpsertParams{TenantID: m.TenantID, Key: key, Value: req.value()})
	})
}

func (s *Server) deleteSetting(c echo.Context) error {
	key, err := pathSettingKey(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.SystemSettingDelete(ctx, db.SystemSettingDeleteParams{TenantID: m.TenantID, Key: key}))
	})
}
