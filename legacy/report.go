package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/google/uuid"
)

// Report says what became of every legacy row. For each table Read = Imported + Merged +
// Rejected; Changed counts imported rows that were altered by a rule (and says how). It
// holds nothing that depends on when or how often the import ran, so a re-run prints the
// same report.
type Report struct {
	File       string         `json:"file"`
	TenantID   uuid.UUID      `json:"tenant_id"`
	TenantSlug string         `json:"tenant_slug"`
	DryRun     bool           `json:"dry_run"`
	Landed     bool           `json:"landed"`
	Tables     []*TableReport `json:"tables"`
}

// TableReport is one legacy table's outcome.
type TableReport struct {
	Table    string `json:"table"`
	Read     int    `json:"read"`
	Imported int    `json:"imported"`
	Merged   int    `json:"merged"`
	Rejected int    `json:"rejected"`
	Changed  int    `json:"changed"`
	// MergedRows name the row each merged row went into (Into, a legacy id, or the id of
	// an existing row of the tenant).
	MergedRows   []RowNote `json:"merged_rows"`
	RejectedRows []RowNote `json:"rejected_rows"`
	// ChangedRows are imported rows that a rule altered: cleaned text, a cleared
	// reference, a phone kept aside, a status closed, a cut text.
	ChangedRows []RowNote `json:"changed_rows"`
}

// RowNote is one legacy row and the reason it was merged, rejected or changed.
type RowNote struct {
	LegacyID string `json:"legacy_id"`
	Into     string `json:"into,omitempty"`
	Reason   string `json:"reason"`
}

func newReport(file string) *Report {
	r := &Report{File: file}
	for _, t := range legacyTables {
		r.Tables = append(r.Tables, &TableReport{Table: t.name, MergedRows: []RowNote{}, RejectedRows: []RowNote{}, ChangedRows: []RowNote{}})
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
	}
	return total
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

// finish drops the change notes of rows that were merged or rejected in the end (a
// change only matters on a row that is imported), sorts the notes by legacy id and
// counts the changed rows.
func (t *TableReport) finish() {
	gone := map[string]bool{}
	for _, n := range append(slices.Clone(t.MergedRows), t.RejectedRows...) {
		gone[n.LegacyID] = true
	}
	t.ChangedRows = slices.DeleteFunc(t.ChangedRows, func(n RowNote) bool { return gone[n.LegacyID] })
	for _, notes := range [][]RowNote{t.MergedRows, t.RejectedRows, t.ChangedRows} {
		slices.SortStableFunc(notes, func(a, b RowNote) int { return compareLegacyIDs(a.LegacyID, b.LegacyID) })
	}
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

// WriteTable prints the report as a table, then up to detailLimit notes per table and
// kind (0: all of them).
func (r *Report) WriteTable(w io.Writer, detailLimit int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tREAD\tIMPORTED\tMERGED\tREJECTED\tCHANGED\t")
	total := r.Totals()
	for _, t := range append(slices.Clone(r.Tables), &total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", t.Table, t.Read, t.Imported, t.Merged, t.Rejected, t.Changed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range r.Tables {
		for _, kind := range []struct {
			name  string
			notes []RowNote
		}{{"merged", t.MergedRows}, {"rejected", t.RejectedRows}, {"changed", t.ChangedRows}} {
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
func (r *Report) WriteJSONFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
