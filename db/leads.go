package db

import (
	"context"
	"errors"
	"math"

	"github.com/google/uuid"
)

// LeadPositionGap is how far apart a stage's positions are spread (the queries in
// sql/queries/leads_pipeline.sql space them so), leaving room for moves between them.
const LeadPositionGap = 1024

// CreateLead appends a lead at the end of its stage. It takes no lock: concurrent creates
// in a stage may share a position, and their order is then their ids'.
func CreateLead(ctx context.Context, q *Queries, p LeadCreateParams) (LeadsPipeline, error) {
	lead, err := q.LeadCreate(ctx, p)
	if !errors.Is(err, ErrNotFound) {
		return lead, err
	}
	// The stage's positions ran out at the end (two billion past its last renumbering).
	if err := renumberStage(ctx, q, p.TenantID, p.Stage, math.MaxInt32, nil); err != nil {
		return LeadsPipeline{}, err
	}
	return q.LeadCreate(ctx, p)
}

// MoveLead puts a lead at (stage, position), position counting the stage's other leads
// from 0, past the end appending. It writes the lead alone, except when its neighbours
// have no room left between them: then the stage is spread out again first (under a lock
// of that stage only), and the move retried.
func MoveLead(ctx context.Context, q *Queries, p LeadMoveParams) (LeadsPipeline, error) {
	if p.Position < 0 {
		return LeadsPipeline{}, &Error{Kind: ErrInvalidInput, Field: "position", Reason: "position must be 0 or more"}
	}
	lead, err := q.LeadMove(ctx, p)
	if !errors.Is(err, ErrNotFound) {
		return lead, err
	}
	// No room, or no such lead: an unknown id must not cost a renumbering.
	if _, err := q.LeadGet(ctx, LeadGetParams{TenantID: p.TenantID, ID: p.ID}); err != nil {
		return LeadsPipeline{}, err
	}
	// A concurrent move may take the room made before this one does: try again, a few
	// times.
	for range 3 {
		if err := renumberStage(ctx, q, p.TenantID, p.Stage, p.Position, &p.ID); err != nil {
			return LeadsPipeline{}, err
		}
		if lead, err = q.LeadMove(ctx, p); !errors.Is(err, ErrNotFound) {
			break
		}
	}
	return lead, err
}

func renumberStage(ctx context.Context, q *Queries, tenantID uuid.UUID, stage LeadStage, gap int32, except *uuid.UUID) error {
	if err := q.LeadStageLock(ctx, LeadStageLockParams{TenantID: tenantID, Stage: stage}); err != nil {
		return err
	}
	return q.LeadStageRenumber(ctx, LeadStageRenumberParams{TenantID: tenantID, Stage: stage, Gap: gap, ExceptID: except})
}
