package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
)

// Report says what became of every legacy row: what the rules made of it, and what it
// did to the tenant. For each table Read = Imported + Merged + Rejected, and Changed
// counts imported rows that were altered by a rule (and says how); each imported row is
// then New, Updated, Unchanged, a Conflict or Pending, and DeletedInV15 counts the rows an
// earlier import wrote that the file no longer has. It holds nothing that depends on when
// the import ran: a re-run of the same file into the same tenant reports the same rules,
// and every row unchanged.
type Report struct {
	File       string         `json:"file"`
	TenantID   uuid.UUID      `json:"tenant_id"`
	TenantSlug string         `json:"tenant_slug"`
	DryRun     bool           `json:"dry_run"`
	Sync       bool           `json:"sync"`
	Landed     bool           `json:"landed"`
	Tables     []*TableReport `json:"tables"`
	// fetched counts the tenant's rows the run read (tenantRows.fetched).
	fetched int
}

// TableReport is one legacy table's outcome.
type TableReport struct {
	Table    string `json:"table"`
	Read     int    `json:"read"`
	Imported int    `json:"imported"`
	Merged   int    `json:"merged"`
	Rejected int    `json:"rejected"`
	Changed  int    `json:"changed"`

	// What the imported rows did to the tenant. New rows were written; Updated rows had
	// changed in V1.5 since an earlier import, and were rewritten (--sync); Unchanged ones
	// were as the file says. Conflicts changed in V1.5 and in V1.6 too: V1.6's values
	// were kept. Pending rows changed in V1.5 but were left as they are (no --sync).
	// DeletedInV15 rows were written by an earlier import but are no longer in the file
	// (merged into another row or rejected now count too); Removed of them were deleted
	// (--sync-deletes).
	New          int `json:"new"`
	Updated      int `json:"updated"`
	Unchanged    int `json:"unchanged"`
	Conflicts    int `json:"conflicts"`
	Pending      int `json:"pending"`
	DeletedInV15 int `json:"deleted_in_v15"`
	Removed      int `json:"removed"`

	// MergedRows name the row each merged row went into (Into, a legacy id, or the id of
	// an existing row of the tenant).
	MergedRows   []RowNote `json:"merged_rows"`
	RejectedRows []RowNote `json:"rejected_rows"`
	// ChangedRows are imported rows that a rule altered: cleaned text, a cleared
	// reference, a phone kept aside, a status closed, a cut text.
	ChangedRows []RowNote `json:"changed_rows"`
	// UpdatedRows and PendingRows name the columns V1.5 changed; DeletedRows say what
	// became of each row V1.5 deleted.
	UpdatedRows  []RowNote      `json:"updated_rows"`
	ConflictRows []ConflictNote `json:"conflict_rows"`
	PendingRows  []RowNote      `json:"pending_rows"`
	DeletedRows  []RowNote      `json:"deleted_rows"`
}

// RowNote is one legacy row and the reason it was merged, rejected or changed.
type RowNote struct {
	LegacyID string `json:"legacy_id"`
	Into     string `json:"into,omitempty"`
	Reason   string `json:"reason"`
}

// ConflictNote is a row changed both in V1.5 and in V1.6, whose V1.6 values were kept:
// each column whose values differ, with both.
type ConflictNote struct {
	LegacyID string           `json:"legacy_id"`
	Reason   string           `json:"reason"`
	Columns  []ColumnConflict `json:"columns"`
}

// ColumnConflict is one column's value in V1.5 and in V1.6 (nil for NULL).
type ColumnConflict struct {
	Column string  `json:"column"`
	V15    *string `json:"v15"`
	V16    *string `json:"v16"`
}

func newReport(file string) *Report {
	r := &Report{File: file}
	for _, t := range legacyTables {
		r.Tables = append(r.Tables, &TableReport{Table: t.name, MergedRows: []RowNote{}, RejectedRows: []RowNote{}, ChangedRows: []RowNote{},
			UpdatedRows: []RowNote{}, ConflictRows: []ConflictNote{}, PendingRows: []RowNote{}, DeletedRows: []RowNote{}})
	}
	return r
}

// Table returns the report of the legacy table name, nil if there is none.
func (r *Report) Table(name string) *TableReport {
	for _, t := range r.Tables {
		if t.Table == name {
			return t
		}
	}
	return nil
}

// Totals adds up the tables.
func (r *Report) Totals() TableReport {
	total := TableReport{Table: "total"}
	for _, t := range r.Tables {
		total.Read += t.Read
		total.Imported += t.Imported
		total.Merged += t.Merged
		total.Rejected += t.Rejected
		total.Changed += t.Changed
		total.New += t.New
		total.Updated += t.Updated
		total.Unchanged += t.Unchanged
		total.Conflicts += t.Conflicts
		total.Pending += t.Pending
		total.DeletedInV15 += t.DeletedInV15
		total.Removed += t.Removed
	}
	return total
}

// Summary says in a line what the rows did to the tenant: "0 new, 0 updated, 1945
// unchanged, 0 conflicts, 0 deleted in V1.5".
func (t TableReport) Summary() string {
	s := fmt.Sprintf("%d new, %d updated, %d unchanged, %d conflicts, %d deleted in V1.5", t.New, t.Updated, t.Unchanged, t.Conflicts, t.DeletedInV15)
	if t.Removed > 0 {
		s += fmt.Sprintf(" (%d removed)", t.Removed)
	}
	if t.Pending > 0 {
		s += fmt.Sprintf(", %d changed in V1.5 not applied (--sync applies them)", t.Pending)
	}
	return s
}

func (t *TableReport) merge(r row, into, reason string) {
	t.Merged++
	t.MergedRows = append(t.MergedRows, RowNote{LegacyID: r.legacyID(), Into: into, Reason: reason})
}

func (t *TableReport) reject(r row, reason string) {
	t.Rejected++
	t.RejectedRows = append(t.RejectedRows, RowNote{LegacyID: r.legacyID(), Reason: reason})
}

func (t *TableReport) change(r row, format string, args ...any) {
	t.ChangedRows = append(t.ChangedRows, RowNote{LegacyID: r.legacyID(), Reason: fmt.Sprintf(format, args...)})
}

// rejectImported rejects a row that was counted as imported: the database refused what
// the rules had accepted (see the ai_config and system_settings loads).
func (t *TableReport) rejectImported(r row, reason string) {
	t.Imported--
	t.reject(r, reason)
}

// updated, conflict, pending and deleted count a row the tenant's side of a run found,
// with its note.
func (t *TableReport) updated(key rowKey, reason string) {
	t.Updated++
	t.UpdatedRows = append(t.UpdatedRows, RowNote{LegacyID: key.String(), Reason: reason})
}

func (t *TableReport) conflict(key rowKey, reason string, columns []ColumnConflict) {
	t.Conflicts++
	t.ConflictRows = append(t.ConflictRows, ConflictNote{LegacyID: key.String(), Reason: reason, Columns: columns})
}

func (t *TableReport) pending(key rowKey, reason string) {
	t.Pending++
	t.PendingRows = append(t.PendingRows, RowNote{LegacyID: key.String(), Reason: reason})
}

func (t *TableReport) deleted(key rowKey, reason string) {
	t.DeletedInV15++
	t.DeletedRows = append(t.DeletedRows, RowNote{LegacyID: key.String(), Reason: reason})
}

// finish drops the change notes of rows that were merged or rejected in the end (a
// change only matters on a row that is imported), sorts the notes by legacy id and
// counts the changed rows.
func (t *TableReport) finish() {
	gone := map[string]bool{}
	for _, n := range append(slices.Clone(t.MergedRows), t.RejectedRows...) {
		gone[n.LegacyID] = true
	}
	t.ChangedRows = slices.DeleteFunc(t.ChangedRows, func(n RowNote) bool { return gone[n.LegacyID] })
	for _, notes := range [][]RowNote{t.MergedRows, t.RejectedRows, t.ChangedRows, t.UpdatedRows, t.PendingRows, t.DeletedRows} {
		slices.SortStableFunc(notes, func(a, b RowNote) int { return compareLegacyIDs(a.LegacyID, b.LegacyID) })
	}
	slices.SortStableFunc(t.ConflictRows, func(a, b ConflictNote) int { return compareLegacyIDs(a.LegacyID, b.LegacyID) })
	changed := map[string]bool{}
	for _, n := range t.ChangedRows {
		changed[n.LegacyID] = true
	}
	t.Changed = len(changed)
}

// finish completes every table's report.
func (r *Report) finish() {
	for _, t := range r.Tables {
		t.finish()
	}
}

// compareLegacyIDs orders integer ids numerically and keys as text.
func compareLegacyIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

// WriteTable prints the report as a table, a line of what the rows did to the tenant,
// then up to detailLimit notes per table and kind (0: all of them).
func (r *Report) WriteTable(w io.Writer, detailLimit int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	total := r.Totals()
	pending := ""
	if total.Pending > 0 {
		pending = "PENDING\t"
	}
	fmt.Fprintln(tw, "TABLE\tREAD\tIMPORTED\tMERGED\tREJECTED\tCHANGED\tNEW\tUPDATED\tUNCHANGED\tCONFLICT\tDELETED_IN_V15\t"+pending)
	for _, t := range append(slices.Clone(r.Tables), &total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t", t.Table, t.Read, t.Imported, t.Merged, t.Rejected, t.Changed,
			t.New, t.Updated, t.Unchanged, t.Conflicts, t.DeletedInV15)
		if pending != "" {
			fmt.Fprintf(tw, "%d\t", t.Pending)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "rows: %s\n", total.Summary())
	for _, t := range r.Tables {
		conflicts := make([]RowNote, len(t.ConflictRows))
		for i, c := range t.ConflictRows {
			conflicts[i] = RowNote{LegacyID: c.LegacyID, Reason: c.describe()}
		}
		for _, kind := range []struct {
			name  string
			notes []RowNote
		}{{"merged", t.MergedRows}, {"rejected", t.RejectedRows}, {"changed", t.ChangedRows}, {"updated", t.UpdatedRows},
			{"conflict", conflicts}, {"pending", t.PendingRows}, {"deleted in V1.5", t.DeletedRows}} {
			for i, n := range kind.notes {
				if detailLimit > 0 && i == detailLimit {
					fmt.Fprintf(w, "%s %s: ... and %d more (see --report-json)\n", t.Table, kind.name, len(kind.notes)-i)
					break
				}
				into := ""
				if n.Into != "" {
					into = " into " + n.Into
				}
				fmt.Fprintf(w, "%s %s %s%s: %s\n", t.Table, n.LegacyID, kind.name, into, n.Reason)
			}
		}
	}
	return nil
}

// WriteJSONFile writes the whole report, every note included, to path.
func (r *Report) WriteJSONFile(path string) error { return writeJSONFile(path, r) }

// writeJSONFile writes v to path as indented JSON.
func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// describe is the conflict in a line: the reason, then each column's V1.5 and V1.6 value.
func (c ConflictNote) describe() string {
	return c.Reason + "; " + describeColumns(c.Columns)
}

// describeColumns lists each column's V1.5 and V1.6 value.
func describeColumns(columns []ColumnConflict) string {
	parts := make([]string, len(columns))
	for i, col := range columns {
		parts[i] = fmt.Sprintf("%s: V1.5 %s, V1.6 %s", col.Column, quoteValue(col.V15), quoteValue(col.V16))
	}
	return strings.Join(parts, "; ")
}

func quoteValue(v *string) string {
	if v == nil {
		return "NULL"
	}
	if len(*v) > 80 {
		return strconv.Quote((*v)[:80]) + "..."
	}
	return strconv.Quote(*v)
}
