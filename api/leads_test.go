package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// leadsLead is a lead as the API answers it.
type leadsLead struct {
	ID          string   `json:"id"`
	ContactID   *string  `json:"contact_id"`
	Stage       string   `json:"stage"`
	Value       *float64 `json:"value"`
	OwnerUserID *string  `json:"owner_user_id"`
	Position    int      `json:"position"`
	Notes       *string  `json:"notes"`
}

// leadsBoard is GET /api/v1/pipeline's answer.
type leadsBoard struct {
	Stages []struct {
		Stage string `json:"stage"`
		Total int    `json:"total"`
		Leads []struct {
			leadsLead
			ContactName *string `json:"contact_name"`
		} `json:"leads"`
	} `json:"stages"`
}

var leadsStages = []string{"new", "contacted", "qualified", "proposal", "won", "lost"}

// leadsPipeline reads the board and fails the test unless it lists every stage in order
// and each stage's positions are exactly 0..n-1 with n its total. It returns each stage's
// lead ids in board order.
func leadsPipeline(t *testing.T, a *testAPI, token string) map[string][]string {
	t.Helper()
	var board leadsBoard
	a.do(request{method: "GET", path: "/api/v1/pipeline?per_stage=200", token: token}).expect(t, http.StatusOK).into(t, &board)
	got := map[string][]string{}
	var stages []string
	for _, stage := range board.Stages {
		stages = append(stages, stage.Stage)
		if stage.Total != len(stage.Leads) {
			t.Errorf("stage %s: total %d, %d leads listed", stage.Stage, stage.Total, len(stage.Leads))
		}
		for i, lead := range stage.Leads {
			if lead.Stage != stage.Stage || i > 0 && lead.Position < stage.Leads[i-1].Position {
				t.Errorf("stage %s: lead %s (stage %s) at position %d, out of order", stage.Stage, lead.ID, lead.Stage, lead.Position)
			}
			got[stage.Stage] = append(got[stage.Stage], lead.ID)
		}
	}
	if !slices.Equal(stages, leadsStages) {
		t.Errorf("board stages %v, want %v", stages, leadsStages)
	}
	return got
}

// leadsSeeded returns the id of the lead SeedTenant gave the tenant.
func leadsSeeded(t *testing.T, a *testAPI, tenantID uuid.UUID) string {
	t.Helper()
	var id uuid.UUID
	if err := a.db.Admin.QueryRow(context.Background(), "select id from leads_pipeline where tenant_id = $1", tenantID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func TestLeads(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	seeded := leadsSeeded(t, a, tn.ID)
	create := func(body any) leadsLead {
		t.Helper()
		var lead leadsLead
		a.do(request{method: "POST", path: "/api/v1/leads", token: token, body: body}).expect(t, http.StatusCreated).into(t, &lead)
		return lead
	}

	// A new lead goes to the end of its stage: 'new' already holds the seeded lead.
	implant := create(map[string]any{"contact_id": tn.ContactID, "value": 2500.5, "owner_user_id": tn.OwnerID, "notes": "Implante"})
	if implant.Stage != "new" || implant.Value == nil || *implant.Value != 2500.5 ||
		*implant.ContactID != tn.ContactID.String() || *implant.OwnerUserID != tn.OwnerID.String() || *implant.Notes != "Implante" {
		t.Fatalf("created %+v, want stage new with the fields sent", implant)
	}
	won := []leadsLead{create(map[string]any{"stage": "won"}), create(map[string]any{"stage": "won", "value": nil})}
	if won[1].Value != nil || won[1].ContactID != nil {
		t.Fatalf("leads created in an empty stage: %+v", won)
	}
	if board := leadsPipeline(t, a, token); !slices.Equal(board["new"], []string{seeded, implant.ID}) || !slices.Equal(board["won"], []string{won[0].ID, won[1].ID}) {
		t.Fatalf("board after the creates: %v, want each lead at the end of its stage", board)
	}

	var got leadsLead
	a.do(request{method: "GET", path: "/api/v1/leads/" + implant.ID, token: token}).expect(t, http.StatusOK).into(t, &got)
	if !reflect.DeepEqual(got, implant) {
		t.Fatalf("GET %+v, want %+v", got, implant)
	}

	t.Run("patch keeps absent fields and clears null ones", func(t *testing.T) {
		var patched leadsLead
		a.do(request{method: "PATCH", path: "/api/v1/leads/" + implant.ID, token: token,
			body: map[string]any{"value": 1800, "owner_user_id": nil}}).expect(t, http.StatusOK).into(t, &patched)
		if *patched.Value != 1800 || patched.OwnerUserID != nil || *patched.Notes != "Implante" || patched.Stage != "new" || patched.Position != implant.Position {
			t.Errorf("after patch: %+v", patched)
		}
	})

	t.Run("move across stages and within one", func(t *testing.T) {
		var moved leadsLead
		a.do(request{method: "POST", path: "/api/v1/leads/" + implant.ID + "/move", token: token,
			body: map[string]any{"stage": "won", "position": 1}}).expect(t, http.StatusOK).into(t, &moved)
		if moved.Stage != "won" || moved.Position <= won[0].Position || moved.Position >= won[1].Position {
			t.Fatalf("moved lead: %+v, want won between %d and %d", moved, won[0].Position, won[1].Position)
		}
		board := leadsPipeline(t, a, token)
		if want := []string{won[0].ID, implant.ID, won[1].ID}; !slices.Equal(board["won"], want) || !slices.Equal(board["new"], []string{seeded}) {
			t.Errorf("board after the move: %v, want won %v and new [%s]", board, want, seeded)
		}
		// Without a position the lead goes to the end.
		a.do(request{method: "POST", path: "/api/v1/leads/" + won[0].ID + "/move", token: token,
			body: map[string]any{"stage": "won"}}).expect(t, http.StatusOK).into(t, &moved)
		if moved.Position <= won[1].Position {
			t.Errorf("moved without a position to %d, want the end (after %d)", moved.Position, won[1].Position)
		}
		if board := leadsPipeline(t, a, token); !slices.Equal(board["won"], []string{implant.ID, won[1].ID, won[0].ID}) {
			t.Errorf("won after moving to the end: %v", board["won"])
		}
	})

	t.Run("board", func(t *testing.T) {
		var board leadsBoard
		a.do(request{method: "GET", path: "/api/v1/pipeline?per_stage=1", token: token}).expect(t, http.StatusOK).into(t, &board)
		if len(board.Stages) != len(leadsStages) {
			t.Fatalf("%d stages, want %d", len(board.Stages), len(leadsStages))
		}
		newStage, wonStage, lostStage := board.Stages[0], board.Stages[4], board.Stages[5]
		if wonStage.Total != 3 || len(wonStage.Leads) != 1 || wonStage.Leads[0].ID != implant.ID {
			t.Errorf("won with per_stage=1: total %d, leads %+v", wonStage.Total, wonStage.Leads)
		}
		if lostStage.Total != 0 || lostStage.Leads == nil || len(lostStage.Leads) != 0 {
			t.Errorf("an empty stage must be present with an empty list: %+v", lostStage)
		}
		if c := newStage.Leads[0].ContactName; c == nil || *c != "Maria" {
			t.Errorf("the seeded lead's card names contact %v, want Maria", c)
		}
	})

	t.Run("list pages", func(t *testing.T) {
		want := []string{won[1].ID, won[0].ID, implant.ID, seeded} // newest first
		if ids := listIDs(t, a, token, "/api/v1/leads?limit=2"); !slices.Equal(ids, want) {
			t.Errorf("paged list %v, want %v", ids, want)
		}
	})

	foreignLead := leadsSeeded(t, a, other.ID)
	a.expectRefusals(t, token, []refusal{
		{"unknown stage", "POST", "/api/v1/leads", map[string]any{"stage": "closed"}, 400, "stage"},
		{"malformed contact id", "POST", "/api/v1/leads", map[string]any{"contact_id": "123"}, 400, "contact_id"},
		{"negative value", "POST", "/api/v1/leads", map[string]any{"value": -1}, 400, "value"},
		{"value as text", "POST", "/api/v1/leads", map[string]any{"value": "10"}, 400, "value"},
		{"value too large", "POST", "/api/v1/leads", map[string]any{"value": 1e12}, 400, "value"},
		{"another tenant's contact", "POST", "/api/v1/leads", map[string]any{"contact_id": other.ContactID}, 422, "contact_id"},
		{"another tenant's owner", "POST", "/api/v1/leads", map[string]any{"owner_user_id": other.OwnerID}, 422, "owner_user_id"},
		{"stage in a patch", "PATCH", "/api/v1/leads/" + implant.ID, map[string]any{"stage": "lost"}, 400, "stage"},
		{"malformed owner in a patch", "PATCH", "/api/v1/leads/" + implant.ID, map[string]any{"owner_user_id": "x"}, 400, "owner_user_id"},
		{"malformed id", "GET", "/api/v1/leads/not-a-uuid", nil, 400, "id"},
		{"move without a stage", "POST", "/api/v1/leads/" + implant.ID + "/move", map[string]any{"position": 0}, 400, "stage"},
		{"move to an unknown stage", "POST", "/api/v1/leads/" + implant.ID + "/move", map[string]any{"stage": "done"}, 400, "stage"},
		{"move to a negative position", "POST", "/api/v1/leads/" + implant.ID + "/move", map[string]any{"stage": "new", "position": -1}, 400, "position"},
		{"per_stage out of range", "GET", "/api/v1/pipeline?per_stage=201", nil, 400, "per_stage"},
		{"unknown lead", "GET", "/api/v1/leads/" + uuid.NewString(), nil, 404, ""},
		{"move an unknown lead", "POST", "/api/v1/leads/" + uuid.NewString() + "/move", map[string]any{"stage": "new"}, 404, ""},
		{"another tenant's lead", "GET", "/api/v1/leads/" + foreignLead, nil, 404, ""},
		{"patch another tenant's lead", "PATCH", "/api/v1/leads/" + foreignLead, map[string]any{"notes": "x"}, 404, ""},
		{"move another tenant's lead", "POST", "/api/v1/leads/" + foreignLead + "/move", map[string]any{"stage": "won", "position": 0}, 404, ""},
		{"delete another tenant's lead", "DELETE", "/api/v1/leads/" + foreignLead, nil, 404, ""},
	}, tn.ID, other.ID)

	a.do(request{method: "DELETE", path: "/api/v1/leads/" + won[1].ID, token: token}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/leads/" + won[1].ID, token: token}).expect(t, http.StatusNotFound)
	a.do(request{method: "DELETE", path: "/api/v1/leads/" + won[1].ID, token: token}).expect(t, http.StatusNotFound)
}

// TestLeadMovesConcurrently sends many moves at once, over HTTP: every lead ends up on
// the board once, each stage in order.
func TestLeadMovesConcurrently(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.OwnerID)
	ids := []string{leadsSeeded(t, a, tn.ID)}
	for i := range 12 {
		var lead leadsLead
		a.do(request{method: "POST", path: "/api/v1/leads", token: token,
			body: map[string]any{"stage": leadsStages[i%3], "notes": fmt.Sprint("lead ", i)}}).expect(t, http.StatusCreated).into(t, &lead)
		ids = append(ids, lead.ID)
	}

	const moves = 20
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range moves {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"stage": leadsStages[i%len(leadsStages)], "position": i % 4})
			<-start // all moves race for the same stages
			res, err := inboxSend(a, "POST", "/api/v1/leads/"+ids[i%len(ids)]+"/move", token, nil, body)
			if err != nil || res.status != http.StatusOK {
				t.Errorf("move %d: status %d, err %v: %s", i, res.status, err, res.body)
			}
		})
	}
	close(start)
	wg.Wait()

	var onBoard []string
	for _, stageIDs := range leadsPipeline(t, a, token) {
		onBoard = append(onBoard, stageIDs...)
	}
	slices.Sort(onBoard)
	slices.Sort(ids)
	if !slices.Equal(onBoard, ids) {
		t.Errorf("board holds %v, want each lead once: %v", onBoard, ids)
	}
}

// TestLeadsByStage: ?stage= pages one board column in board order to its end, with a
// cursor of its own.
func TestLeadsByStage(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	var want []string
	for range 7 {
		lead := postCreated[struct {
			ID string `json:"id"`
		}](t, a, owner, "/api/v1/leads", map[string]any{"stage": "qualified"})
		want = append(want, lead.ID)
	}
	if got := listIDs(t, a, owner, "/api/v1/leads?stage=qualified&limit=3"); !slices.Equal(got, want) {
		t.Fatalf("qualified column: %v, want %v (creation order: each appended)", got, want)
	}
	if got := listIDs(t, a, owner, "/api/v1/leads?stage=won&limit=3"); len(got) != 0 {
		t.Fatalf("won column: %v, want empty", got)
	}
	var first listPage[struct{}]
	a.do(request{method: "GET", path: "/api/v1/leads?stage=qualified&limit=3", token: owner}).expect(t, http.StatusOK).into(t, &first)
	for _, other := range []string{"/api/v1/leads?stage=new&cursor=", "/api/v1/leads?cursor="} {
		a.do(request{method: "GET", path: other + url.QueryEscape(*first.NextCursor), token: owner}).expectProblem(t, http.StatusBadRequest, "cursor")
	}
	a.do(request{method: "GET", path: "/api/v1/leads?stage=ganho", token: owner}).expectProblem(t, http.StatusBadRequest, "stage")
}
