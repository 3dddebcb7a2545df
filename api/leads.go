package api

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
)

func (s *Server) leadRoutes(g *echo.Group) {
	g.GET("/leads", s.listLeads)
	g.POST("/leads", s.createLead)
	g.GET("/leads/:id", s.getLead)
	g.PATCH("/leads/:id", s.updateLead)
	g.DELETE("/leads/:id", s.deleteLead)
	g.POST("/leads/:id/move", s.moveLead)
	g.GET("/pipeline", s.getPipeline)
}

type leadCreate struct {
	ContactID   *string       `json:"contact_id"`
	Stage       *db.LeadStage `json:"stage"`
	Value       money         `json:"value"`
	OwnerUserID *string       `json:"owner_user_id"`
	Notes       *string       `json:"notes"`

	contactID, ownerUserID *uuid.UUID // parsed by validate
}

func (r *leadCreate) validate() (err error) {
	if r.Stage == nil {
		r.Stage = new(db.LeadStageNew)
	}
	if err = enumValue("stage", *r.Stage, db.AllLeadStageValues()); err != nil {
		return err
	}
	if r.contactID, err = bodyUUID("contact_id", r.ContactID); err != nil {
		return err
	}
	r.ownerUserID, err = bodyUUID("owner_user_id", r.OwnerUserID)
	return err
}

type leadUpdate struct {
	ContactID   Optional[string] `json:"contact_id"`
	Value       Optional[money]  `json:"value"`
	OwnerUserID Optional[string] `json:"owner_user_id"`
	Notes       Optional[string] `json:"notes"`
	// The place on the board changes only through the move route, which keeps every
	// stage's positions dense; these fields exist to say so.
	Stage    json.RawMessage `json:"stage"`
	Position json.RawMessage `json:"position"`

	contactID, ownerUserID *uuid.UUID // parsed by validate
}

func (r *leadUpdate) validate() (err error) {
	switch {
	case r.Stage != nil:
		return fieldProblem("stage", "stage changes through POST /api/v1/leads/{id}/move")
	case r.Position != nil:
		return fieldProblem("position", "position changes through POST /api/v1/leads/{id}/move")
	}
	if r.contactID, err = bodyUUID("contact_id", r.ContactID.Value); err != nil {
		return err
	}
	r.ownerUserID, err = bodyUUID("owner_user_id", r.OwnerUserID.Value)
	return err
}

// value is the lead's value for LeadUpdate: null when absent or sent as null.
func (r *leadUpdate) value() pgtype.Numeric {
	if r.Value.Value == nil {
		return pgtype.Numeric{}
	}
	return r.Value.Value.Numeric
}

type leadMove struct {
	Stage *db.LeadStage `json:"stage"`
	// Position counts from 0 among the stage's other leads; absent or past the end
	// appends.
	Position *int32 `json:"position"`
}

func (r *leadMove) validate() error {
	if err := required("stage", r.Stage != nil); err != nil {
		return err
	}
	if err := enumValue("stage", *r.Stage, db.AllLeadStageValues()); err != nil {
		return err
	}
	if r.Position == nil {
		r.Position = new(int32(math.MaxInt32))
	}
	if *r.Position < 0 {
		return fieldProblem("position", "position must be 0 or more")
	}
	return nil
}

// money is a lead's value: a JSON number from 0 to 9999999999.99 (numeric(12,2)), or
// null. Its errors name the field: only leads have one.
type money struct{ pgtype.Numeric }

func (m *money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		m.Numeric = pgtype.Numeric{}
		return nil
	}
	// The decoder hands over valid JSON, so only a JSON number parses here.
	if f, err := strconv.ParseFloat(string(b), 64); err != nil || f < 0 || f >= 1e10 {
		return fieldProblem("value", "value must be a number from 0 to 9999999999.99")
	}
	return m.ScanScientific(string(b))
}

// listLeads lists the leads newest first or, with ?stage=, one board column in board
// order (position, id), to the end of the column.
func (s *Server) listLeads(c echo.Context) error {
	stage, err := queryEnum(c, "stage", db.AllLeadStageValues())
	if err != nil {
		return err
	}
	if stage != nil {
		return keysetList(c, s, s.asMember, listName(c, "leads", "stage"),
			func(ctx context.Context, q *db.Queries, m member, after *boardKey, limit int32) ([]db.LeadsPipeline, error) {
				return q.LeadListByStage(ctx, db.LeadListByStageParams{
					TenantID: m.TenantID, Stage: *stage, AfterPosition: after.position(), AfterID: after.id(), RowLimit: limit,
				})
			},
			func(l db.LeadsPipeline) boardKey { return boardKey{Position: l.Position, ID: l.ID} })
	}
	return keysetList(c, s, s.asMember, "leads",
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.LeadsPipeline, error) {
			return q.LeadList(ctx, db.LeadListParams{TenantID: m.TenantID, BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit})
		},
		func(l db.LeadsPipeline) timeKey { return timeKey{At: l.CreatedAt, ID: l.ID} })
}

// boardKey is the position of a lead in its board column.
type boardKey struct {
	Position int32     `json:"position"`
	ID       uuid.UUID `json:"id"`
}

func (k *boardKey) position() *int32 {
	if k == nil {
		return nil
	}
	return &k.Position
}

func (k *boardKey) id() *uuid.UUID {
	if k == nil {
		return nil
	}
	return &k.ID
}

func (s *Server) createLead(c echo.Context) error {
	var req leadCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.LeadsPipeline, error) {
		return db.CreateLead(ctx, q, db.LeadCreateParams{
			TenantID: m.TenantID, ContactID: req.contactID, Stage: *req.Stage, Value: req.Value.Numeric,
			OwnerUserID: req.ownerUserID, Notes: req.Notes,
		})
	})
}

func (s *Server) getLead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.LeadsPipeline, error) {
		return q.LeadGet(ctx, db.LeadGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateLead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req leadUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.LeadsPipeline, error) {
		return q.LeadUpdate(ctx, db.LeadUpdateParams{
			TenantID: m.TenantID, ID: id,
			SetContactID: req.ContactID.Set, ContactID: req.contactID,
			SetValue: req.Value.Set, Value: req.value(),
			SetOwnerUserID: req.OwnerUserID.Set, OwnerUserID: req.ownerUserID,
			SetNotes: req.Notes.Set, Notes: req.Notes.Value,
		})
	})
}

func (s *Server) deleteLead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asMember, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.LeadDelete(ctx, db.LeadDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}

func (s *Server) moveLead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req leadMove
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.LeadsPipeline, error) {
		return db.MoveLead(ctx, q, db.LeadMoveParams{TenantID: m.TenantID, ID: id, Stage: *req.Stage, Position: *req.Position})
	})
}

// pipelineBoard is the kanban: every stage in stage order, each with its total and its
// first leads in board order.
type pipelineBoard struct {
	Stages []pipelineStage `json:"stages"`
}

type pipelineStage struct {
	Stage db.LeadStage   `json:"stage"`
	Total int64          `json:"total"`
	Leads []pipelineCard `json:"leads"`
}

// pipelineCard is a lead on the board, with its contact's name.
type pipelineCard struct {
	db.LeadsPipeline
	ContactName *string `json:"contact_name"`
}

func (s *Server) getPipeline(c echo.Context) error {
	perStage, err := queryInt(c, "per_stage", 50, 1, 200)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (pipelineBoard, error) {
		rows, err := q.LeadBoard(ctx, db.LeadBoardParams{TenantID: m.TenantID, PerStage: int32(perStage)})
		return boardOf(rows), err
	})
}

// boardOf groups LeadBoard's rows, already in board order, by stage; stages without
// leads are present and empty.
func boardOf(rows []db.LeadBoardRow) pipelineBoard {
	stages := db.AllLeadStageValues()
	board := pipelineBoard{Stages: make([]pipelineStage, len(stages))}
	index := map[db.LeadStage]int{}
	for i, stage := range stages {
		board.Stages[i] = pipelineStage{Stage: stage, Leads: []pipelineCard{}}
		index[stage] = i
	}
	for _, row := range rows {
		stage := &board.Stages[index[row.Stage]]
		stage.Total = row.StageTotal
		stage.Leads = append(stage.Leads, pipelineCard{
			LeadsPipeline: db.LeadsPipeline{
				TenantID: row.TenantID, ID: row.ID, ContactID: row.ContactID, Stage: row.Stage, Value: row.Value,
				OwnerUserID: row.OwnerUserID, Position: row.Position, Notes: row.Notes,
				CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
			},
			ContactName: row.ContactName,
		})
	}
	return board
}
