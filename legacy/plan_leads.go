package legacy

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// leadRow is a legacy lead as public.leads_pipeline has it.
type leadRow struct {
	legacyID    int64
	id          uuid.UUID
	contactID   *uuid.UUID
	stage       string
	value       pgtype.Numeric
	ownerUserID *uuid.UUID
	position    int32
	notes       *string
	createdAt   time.Time
	updatedAt   time.Time
}

var (
	leadContactID = leadsTable.col("contact_id")
	leadStage     = leadsTable.col("stage")
	leadValue     = leadsTable.col("value")
	leadOwnerID   = leadsTable.col("owner_id")
	leadPosition  = leadsTable.col("position")
	leadNotes     = leadsTable.col("notes")
	leadCreatedAt = leadsTable.col("created_at")
	leadUpdatedAt = leadsTable.col("updated_at")
)

// planLeads: a lead keeps its row when its contact or owner is gone, the reference
// cleared. V1.5 numbered positions across the whole board; the new board orders each
// stage on its own, its positions db.LeadPositionGap apart, so each stage's leads are
// spread so in V1.5's order (its position, then id), as a renumbering of the stage would.
func (p *planner) planLeads(rows []row) {
	tr := p.table(leadsTable, rows)
	legacyPosition := map[int64]int64{}
	for _, r := range rows {
		stage, err := leadStages.lookup(r.cell(leadStage), "new")
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		amount, err := parseMoney(r.cell(leadValue))
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		position := int64(0)
		if cell := r.cell(leadPosition); !cell.blank() {
			if position, err = strconv.ParseInt(cell.trimmed(), 10, 32); err != nil {
				tr.reject(r, fmt.Sprintf("position %q is not an integer", cell.Text))
				continue
			}
		}
		times, err := p.times(r, leadCreatedAt, leadUpdatedAt)
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		keep(tr, r)
		lead := &leadRow{
			legacyID: r.id, id: p.id(leadsTable, r.id), stage: stage, value: amount, notes: r.cell(leadNotes).optText(),
			contactID:   p.contacts.optional(tr, r, leadContactID),
			ownerUserID: p.users.optional(tr, r, leadOwnerID),
		}
		lead.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		lead.updatedAt = lead.createdAt
		if times[1] != nil {
			lead.updatedAt = *times[1]
		}
		legacyPosition[r.id] = position
		p.out.leads = append(p.out.leads, lead)
	}

	// In board order, each stage from 0.
	slices.SortStableFunc(p.out.leads, func(a, b *leadRow) int {
		return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(legacyPosition[a.legacyID], legacyPosition[b.legacyID]), cmp.Compare(a.legacyID, b.legacyID))
	})
	next := map[string]int32{}
	for _, lead := range p.out.leads {
		lead.position = next[lead.stage] * db.LeadPositionGap
		next[lead.stage]++
	}
}
