package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// pipeline is a tenant's lead board built by newPipeline, with its leads named by
// letters so that expected orders read as strings: "bca" is the lead named b at
// position 0, then c, then a.
type pipeline struct {
	d      *dbtest.Database
	tn     dbtest.Tenant
	ids    map[byte]uuid.UUID
	letter map[uuid.UUID]byte
}

// newPipeline seeds a tenant (which has one lead of its own in 'new', named by '*') and
// creates a lead for each letter of each stage's string, in order, through LeadCreate.
func newPipeline(t *testing.T, d *dbtest.Database, slug string, stages map[db.LeadStage]string) *pipeline {
	t.Helper()
	p := &pipeline{d: d, tn: dbtest.SeedTenant(t, d, slug), ids: map[byte]uuid.UUID{}, letter: map[uuid.UUID]byte{}}
	var seeded uuid.UUID
	if err := d.Admin.QueryRow(t.Context(), "select id from leads_pipeline where tenant_id = $1", p.tn.ID).Scan(&seeded); err != nil {
		t.Fatal(err)
	}
	p.name('*', seeded)
	runAsOwner(t, d, p.tn, func(q *db.Queries) error {
		for _, stage := range db.AllLeadStageValues() {
			for _, letter := range []byte(stages[stage]) {
				lead, err := db.CreateLead(t.Context(), q, db.LeadCreateParams{TenantID: p.tn.ID, Stage: stage, OwnerUserID: &p.tn.OwnerID})
				if err != nil {
					return err
				}
				p.name(letter, lead.ID)
			}
		}
		return nil
	})
	return p
}

func (p *pipeline) name(letter byte, id uuid.UUID) {
	p.ids[letter] = id
	p.letter[id] = letter
}

// move runs MoveLead in its own transaction as the owner, as the API does.
func (p *pipeline) move(ctx context.Context, id uuid.UUID, stage db.LeadStage, position int32) (db.LeadsPipeline, error) {
	var moved db.LeadsPipeline
	err := p.d.App.AsCaller(ctx, p.tn.OwnerClaims(), func(q *db.Queries) (err error) {
		moved, err = db.MoveLead(ctx, q, db.LeadMoveParams{TenantID: p.tn.ID, ID: id, Stage: stage, Position: position})
		return err
	})
	return moved, err
}

// board reads the board through LeadBoard and returns each non-empty stage's leads as
// letters in board order. It fails the test when two leads of a stage share a position
// (only concurrent creates or moves may leave ties, which the board orders by id).
func (p *pipeline) board(t *testing.T) map[db.LeadStage]string {
	t.Helper()
	return p.boardAllowingTies(t, false)
}

func (p *pipeline) boardAllowingTies(t *testing.T, ties bool) map[db.LeadStage]string {
	t.Helper()
	var rows []db.LeadBoardRow
	runAsOwner(t, p.d, p.tn, func(q *db.Queries) error {
		var err error
		rows, err = q.LeadBoard(t.Context(), db.LeadBoardParams{TenantID: p.tn.ID, PerStage: 1000})
		return err
	})
	stages := map[db.LeadStage]*strings.Builder{}
	for i, row := range rows {
		b := stages[row.Stage]
		if b == nil {
			b = &strings.Builder{}
			stages[row.Stage] = b
		}
		if b.Len() > 0 && !ties && row.Position == rows[i-1].Position {
			t.Errorf("stage %s: leads %s and %s share position %d", row.Stage, rows[i-1].ID, row.ID, row.Position)
		}
		letter, ok := p.letter[row.ID]
		if !ok {
			letter = '?'
		}
		b.WriteByte(letter)
	}
	order := map[db.LeadStage]string{}
	for stage, b := range stages {
		order[stage] = b.String()
	}
	return order
}

// assertBoard fails the test unless the board is want (stages not named are empty).
func (p *pipeline) assertBoard(t *testing.T, want map[db.LeadStage]string) {
	t.Helper()
	got := p.board(t)
	for _, stage := range db.AllLeadStageValues() {
		if got[stage] != want[stage] {
			t.Errorf("stage %s = %q, want %q", stage, got[stage], want[stage])
		}
	}
}

func TestLeadCreateAppendsToItsStage(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	p := newPipeline(t, d, "clinica-a", map[db.LeadStage]string{db.LeadStageNew: "ab", db.LeadStageWon: "c"})
	p.assertBoard(t, map[db.LeadStage]string{db.LeadStageNew: "*ab", db.LeadStageWon: "c"})
}

func TestLeadMove(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	start := map[db.LeadStage]string{db.LeadStageContacted: "abcd", db.LeadStageQualified: "efg"}
	tests := []struct {
		name     string
		lead     byte
		stage    db.LeadStage
		position int32
		want     map[db.LeadStage]string
	}{
		{"down within the stage", 'a', db.LeadStageContacted, 2, map[db.LeadStage]string{db.LeadStageContacted: "bcad", db.LeadStageQualified: "efg"}},
		{"up within the stage", 'd', db.LeadStageContacted, 0, map[db.LeadStage]string{db.LeadStageContacted: "dabc", db.LeadStageQualified: "efg"}},
		{"to its own place", 'b', db.LeadStageContacted, 1, map[db.LeadStage]string{db.LeadStageContacted: "abcd", db.LeadStageQualified: "efg"}},
		{"to the last place", 'a', db.LeadStageContacted, 3, map[db.LeadStage]string{db.LeadStageContacted: "bcda", db.LeadStageQualified: "efg"}},
		{"past the end of its stage", 'b', db.LeadStageContacted, 99, map[db.LeadStage]string{db.LeadStageContacted: "acdb", db.LeadStageQualified: "efg"}},
		{"into the middle of another stage", 'b', db.LeadStageQualified, 1, map[db.LeadStage]string{db.LeadStageContacted: "acd", db.LeadStageQualified: "ebfg"}},
		{"to the front of another stage", 'd', db.LeadStageQualified, 0, map[db.LeadStage]string{db.LeadStageContacted: "abc", db.LeadStageQualified: "defg"}},
		{"past the end of another stage", 'a', db.LeadStageQualified, 99, map[db.LeadStage]string{db.LeadStageContacted: "bcd", db.LeadStageQualified: "efga"}},
		{"into an empty stage", 'c', db.LeadStageWon, 5, map[db.LeadStage]string{db.LeadStageContacted: "abd", db.LeadStageQualified: "efg", db.LeadStageWon: "c"}},
		{"into the stage of the tenant's other lead", 'g', db.LeadStageNew, 0, map[db.LeadStage]string{db.LeadStageNew: "g*", db.LeadStageContacted: "abcd", db.LeadStageQualified: "ef"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPipeline(t, d, fmt.Sprintf("leads-%d", i), start)
			moved, err := p.move(t.Context(), p.ids[tt.lead], tt.stage, tt.position)
			if err != nil {
				t.Fatal(err)
			}
			if moved.ID != p.ids[tt.lead] || moved.Stage != tt.stage {
				t.Errorf("MoveLead returned %s in %s", moved.ID, moved.Stage)
			}
			want := map[db.LeadStage]string{db.LeadStageNew: "*"}
			for stage, order := range tt.want {
				want[stage] = order
			}
			p.assertBoard(t, want)
		})
	}
}

func TestLeadMoveRefusedChangesNothing(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	p := newPipeline(t, d, "clinica-a", map[db.LeadStage]string{db.LeadStageContacted: "abc"})
	other := dbtest.SeedTenant(t, d, "clinica-b")
	var othersLead uuid.UUID
	if err := d.Admin.QueryRow(t.Context(), "select id from leads_pipeline where tenant_id = $1", other.ID).Scan(&othersLead); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lead     uuid.UUID
		position int32
		want     error
	}{
		{"negative position", p.ids['b'], -1, db.ErrInvalidInput},
		{"unknown lead", uuid.New(), 0, db.ErrNotFound},
		{"another tenant's lead", othersLead, 0, db.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := p.move(t.Context(), tt.lead, db.LeadStageContacted, tt.position); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	p.assertBoard(t, map[db.LeadStage]string{db.LeadStageNew: "*", db.LeadStageContacted: "abc"})
}

// A deleted lead (or one removed with its contact) leaves a gap in its stage; the next
// move must still put the lead at the place asked for, counted among the cards on the
// board.
func TestLeadMoveAfterDelete(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tests := []struct {
		name     string
		lead     byte
		stage    db.LeadStage
		position int32
		want     map[db.LeadStage]string
	}{
		{"to the end of the stage", 'a', db.LeadStageContacted, 99, map[db.LeadStage]string{db.LeadStageContacted: "cdea", db.LeadStageQualified: "fg"}},
		{"after the gap", 'a', db.LeadStageContacted, 1, map[db.LeadStage]string{db.LeadStageContacted: "cade", db.LeadStageQualified: "fg"}},
		{"before the gap", 'e', db.LeadStageContacted, 1, map[db.LeadStage]string{db.LeadStageContacted: "aecd", db.LeadStageQualified: "fg"}},
		{"from another stage to the end", 'f', db.LeadStageContacted, 99, map[db.LeadStage]string{db.LeadStageContacted: "acdef", db.LeadStageQualified: "g"}},
		{"from another stage into the middle", 'f', db.LeadStageContacted, 2, map[db.LeadStage]string{db.LeadStageContacted: "acfde", db.LeadStageQualified: "g"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPipeline(t, d, fmt.Sprintf("leads-%d", i), map[db.LeadStage]string{db.LeadStageContacted: "abcde", db.LeadStageQualified: "fg"})
			runAsOwner(t, d, p.tn, func(q *db.Queries) error {
				_, err := q.LeadDelete(t.Context(), db.LeadDeleteParams{TenantID: p.tn.ID, ID: p.ids['b']})
				return err
			})
			if _, err := p.move(t.Context(), p.ids[tt.lead], tt.stage, tt.position); err != nil {
				t.Fatal(err)
			}
			want := map[db.LeadStage]string{db.LeadStageNew: "*"}
			for stage, order := range tt.want {
				want[stage] = order
			}
			p.assertBoard(t, want)
		})
	}
}

func TestLeadConcurrentMovesAndCreates(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	p := newPipeline(t, d, "clinica-a", map[db.LeadStage]string{
		db.LeadStageNew: "ab", db.LeadStageContacted: "cdef", db.LeadStageQualified: "ghi", db.LeadStageProposal: "jk",
	})
	leads := make([]uuid.UUID, 0, len(p.ids))
	for _, id := range p.ids {
		leads = append(leads, id)
	}
	stages := db.AllLeadStageValues()

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	type move struct {
		lead     uuid.UUID
		stage    db.LeadStage
		position int32
	}
	moves := make([]move, 20)
	for i := range moves {
		moves[i] = move{leads[rng.IntN(len(leads))], stages[rng.IntN(len(stages))], rng.Int32N(8)}
	}
	const creates = 5

	start := make(chan struct{})
	errs := make(chan error, len(moves)+creates)
	var wg sync.WaitGroup
	for _, m := range moves {
		wg.Go(func() {
			<-start
			if _, err := p.move(t.Context(), m.lead, m.stage, m.position); err != nil {
				errs <- fmt.Errorf("move %s to %s at %d: %w", m.lead, m.stage, m.position, err)
			}
		})
	}
	for i := range creates {
		stage := stages[i%len(stages)]
		wg.Go(func() {
			<-start
			err := p.d.App.AsCaller(t.Context(), p.tn.OwnerClaims(), func(q *db.Queries) error {
				_, err := db.CreateLead(t.Context(), q, db.LeadCreateParams{TenantID: p.tn.ID, Stage: stage})
				return err
			})
			if err != nil {
				errs <- fmt.Errorf("create in %s: %w", stage, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// No lead was lost or added. Concurrent writers into one spot may share a position.
	total := 0
	for _, order := range p.boardAllowingTies(t, true) {
		total += len(order)
	}
	if want := len(leads) + creates; total != want {
		t.Errorf("%d leads on the board, want %d", total, want)
	}
}

// TestLeadMovesFollowTheModel moves leads into one gap until its room runs out (every
// tenth move there spreads the stage out again), then at random into the first places of
// a few stages, and checks the board after each move against a list model of it.
func TestLeadMovesFollowTheModel(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	stages := []db.LeadStage{db.LeadStageNew, db.LeadStageContacted, db.LeadStageQualified}
	p := newPipeline(t, d, "clinica-a", map[db.LeadStage]string{db.LeadStageNew: "abc", db.LeadStageContacted: "defg", db.LeadStageQualified: "hi"})
	model := map[db.LeadStage][]byte{db.LeadStageNew: []byte("*abc"), db.LeadStageContacted: []byte("defg"), db.LeadStageQualified: []byte("hi")}

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	letters := []byte("*abcdefghi")
	for i := range 150 {
		letter, stage, position := letters[rng.IntN(len(letters))], stages[rng.IntN(len(stages))], rng.IntN(3)
		if i < 30 { // first, the last lead of a stage to its second place, again and again
			stage, position = db.LeadStageContacted, 1
			letter = model[stage][len(model[stage])-1]
		}
		for from, order := range model {
			if at := slices.Index(order, letter); at >= 0 {
				model[from] = slices.Delete(order, at, at+1)
			}
		}
		at := min(position, len(model[stage]))
		model[stage] = slices.Insert(model[stage], at, letter)
		if _, err := p.move(t.Context(), p.ids[letter], stage, int32(position)); err != nil {
			t.Fatalf("move %d (%c to %s at %d): %v", i, letter, stage, position, err)
		}
		got := p.board(t)
		for _, stage := range stages {
			if got[stage] != string(model[stage]) {
				t.Fatalf("after move %d (%c to %s at %d): stage %s = %q, want %q", i, letter, stage, position, stage, got[stage], model[stage])
			}
		}
	}
}

// TestLeadMoveWritesOnlyTheLead: in a stage of 500 leads, a move into the middle, to the
// top or to the end rewrites one row, whatever the stage's size.
func TestLeadMoveWritesOnlyTheLead(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	p := newPipeline(t, d, "clinica-a", map[db.LeadStage]string{db.LeadStageNew: "a"})
	if _, err := d.Admin.Exec(t.Context(), `
		insert into leads_pipeline (tenant_id, stage, position)
		select $1, 'contacted', n * 1024 from generate_series(0, 499) n`, p.tn.ID); err != nil {
		t.Fatal(err)
	}
	versions := func() map[uuid.UUID]string {
		rows, err := d.Admin.Query(t.Context(), "select id, xmin::text from leads_pipeline where tenant_id = $1", p.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		v := map[uuid.UUID]string{}
		for rows.Next() {
			var id uuid.UUID
			var xmin string
			if err := rows.Scan(&id, &xmin); err != nil {
				t.Fatal(err)
			}
			v[id] = xmin
		}
		return v
	}
	for _, position := range []int32{250, 0, 1000} {
		before := versions()
		if _, err := p.move(t.Context(), p.ids['a'], db.LeadStageContacted, position); err != nil {
			t.Fatal(err)
		}
		var written []uuid.UUID
		for id, xmin := range versions() {
			if before[id] != xmin {
				written = append(written, id)
			}
		}
		if len(written) != 1 || written[0] != p.ids['a'] {
			t.Errorf("move to %d rewrote %d rows (%v), want only the lead %s", position, len(written), written, p.ids['a'])
		}
		board := p.board(t)[db.LeadStageContacted]
		if at := strings.IndexByte(board, 'a'); at != int(min(position, 500)) {
			t.Errorf("after the move to %d the lead is at %d", position, at)
		}
	}
}
