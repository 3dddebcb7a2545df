package legacy

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Verification compares a V1.5 file with a tenant, table by table: each row the rules
// make of the file with the tenant's row of the same id, by the hash of their mapped
// values. A row the tenant has otherwise is a difference, unless a sync reported it as a
// conflict V1.6 won and it is still as that sync kept it, or it is a message whose
// status V1.6 moved further (statuses only move forward).
type Verification struct {
	File       string               `json:"file"`
	TenantID   uuid.UUID            `json:"tenant_id"`
	TenantSlug string               `json:"tenant_slug"`
	Tables     []*TableVerification `json:"tables"`
}

// TableVerification is one legacy table's comparison. FileRows are the rows the rules
// make of the file; TenantRows all the rows of the tenant's table, of which V16Only are
// rows no import wrote. FileChecksum and TenantChecksum add up the hashes of the file's
// rows and of the tenant's rows of the same ids: equal when every row is.
type TableVerification struct {
	Table          string       `json:"table"`
	FileRows       int          `json:"file_rows"`
	TenantRows     int64        `json:"tenant_rows"`
	Matching       int          `json:"matching"`
	Kept           int          `json:"kept"`
	Different      int          `json:"different"`
	Missing        int          `json:"missing"`
	NotInFile      int          `json:"not_in_file"`
	V16Only        int64        `json:"v16_only"`
	FileChecksum   string       `json:"file_checksum"`
	TenantChecksum string       `json:"tenant_checksum"`
	Differences    []Difference `json:"differences"`
}

// Difference is a row the file and the tenant disagree on: Kind is "different",
// "missing" (the tenant has no such row) or "not in the file" (an earlier import wrote
// it, V1.5 deleted it, the tenant still has it); Columns the values that differ.
type Difference struct {
	LegacyID string           `json:"legacy_id"`
	Kind     string           `json:"kind"`
	Columns  []ColumnConflict `json:"columns"`
}

// Differences counts the differences of every table.
func (v *Verification) Differences() int {
	n := 0
	for _, t := range v.Tables {
		n += len(t.Differences)
	}
	return n
}

// Verify compares opts.File with the tenant opts.TenantSlug, planned with the options
// the tenant was imported with (opts.LegacyTimezone, opts.PhoneRegion), in one read-only
// snapshot of the tenant. It writes nothing.
func Verify(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Verification, error) {
	opts.CreateTenant = false
	opts, file, err := opts.open(ctx)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := file.read(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := acquire(ctx, pool)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	run := &importRun{opts: opts, tx: tx}
	if err := run.find(ctx); err != nil {
		return nil, err
	}
	if !run.imported {
		return nil, fmt.Errorf("%w (%s): nothing to verify", ErrNothingToSync, opts.TenantSlug)
	}
	pl, err := run.plan(ctx, file, data)
	if err != nil {
		return nil, err
	}
	counts, err := run.rows.q.LegacyTenantRowCounts(ctx, run.tenantID)
	if err != nil {
		return nil, fmt.Errorf("count the tenant's rows: %w", err)
	}
	v := &verifier{rows: run.rows, prints: run.prints, w: &writer{counts: counts},
		out: &Verification{File: opts.File, TenantID: run.tenantID, TenantSlug: opts.TenantSlug}}
	messages, err := v.planMessages(ctx, pl, file)
	if err != nil {
		return nil, err
	}
	for _, table := range legacyTables {
		var err error
		if table.name == messagesTable.name {
			err = v.compare(ctx, table, nil, messages)
		} else {
			err = v.compare(ctx, table, pl.rowsOf(table), nil)
		}
		if err != nil {
			return nil, err
		}
	}
	return v.out, nil
}

// rowsOf is table's planned rows (the conversations as they end: after the messages).
func (pl *plan) rowsOf(table legacyTable) []plannedRow {
	switch table.name {
	case usersTable.name:
		return asPlanned(pl.users)
	case contactsTable.name:
		return asPlanned(pl.contacts)
	case campaignsTable.name:
		return asPlanned(pl.campaigns)
	case conversationsTable.name:
		return asPlanned(pl.conversations)
	case leadsTable.name:
		return asPlanned(pl.leads)
	case campaignEventsTable.name:
		return asPlanned(pl.events)
	case aiConfigTable.name:
		if pl.aiConfig != nil {
			return []plannedRow{pl.aiConfig}
		}
	case knowledgeTable.name:
		return asPlanned(pl.knowledge)
	case settingsTable.name:
		return asPlanned(pl.settings)
	}
	return nil
}

func asPlanned[R plannedRow](rows []R) []plannedRow {
	out := make([]plannedRow, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

// verifier compares the planned rows with the tenant's.
type verifier struct {
	rows   *tenantRows
	prints fingerprints
	w      *writer // for its counts and scratch values
	file   *legacyFile
	mp     *messagePlanner
	out    *Verification
}

// plannedPrint is a planned message's key, print and status (the tenant's may be
// further): a million of them are held, not their rows.
type plannedPrint struct {
	key    rowKey
	print  rowPrint
	status string
}

// planMessages plans the file's messages, keeping their prints and statuses, and then
// the conversations' final values.
func (v *verifier) planMessages(ctx context.Context, pl *plan, file *legacyFile) ([]plannedPrint, error) {
	v.file, v.mp = file, pl.messages
	batches := make(chan []row, 16)
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var readErr error
	go func() {
		readErr = file.streamMessages(readCtx, batches)
		close(batches)
	}()
	var out []plannedPrint
	var m messageRow
	for batch := range batches {
		for _, r := range batch {
			if pl.messages.plan(r, &m) {
				out = append(out, plannedPrint{key: m.key(), print: v.w.m.of(&m, false).print(), status: m.status})
			}
		}
	}
	if readErr != nil {
		return nil, readErr
	}
	fixed, err := v.replanned(ctx, keysOfFixes(v.mp.fixes))
	if err != nil {
		return nil, err
	}
	for _, m := range fixed {
		if p := findPrint(out, m.key()); p != nil {
			p.print, p.status = v.w.m.of(m, false).print(), m.status
		}
	}
	pl.messages.finish()
	return out, nil
}

// findPrint finds key among prints, which are in key order.
func findPrint(prints []plannedPrint, key rowKey) *plannedPrint {
	i, found := slices.BinarySearchFunc(prints, key, func(p plannedPrint, k rowKey) int { return compareKeys(p.key, k) })
	if !found {
		return nil
	}
	return &prints[i]
}

func keysOfFixes(fixes []*messageFix) []rowKey {
	keys := make([]rowKey, len(fixes))
	for i, f := range fixes {
		keys[i] = rowKey{id: f.legacyID}
	}
	return keys
}

// replanned reads the messages of keys again from the file and plans them, with what
// later copies of their delivery changed.
func (v *verifier) replanned(ctx context.Context, keys []rowKey) ([]*messageRow, error) {
	fixes := map[int64]*messageFix{}
	for _, f := range v.mp.fixes {
		fixes[f.legacyID] = f
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	rows, err := v.file.messagesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []*messageRow
	for _, r := range rows {
		if m, ok := v.mp.replan(r); ok {
			if f := fixes[r.id]; f != nil {
				f.apply(&m)
			}
			out = append(out, &m)
		}
	}
	return out, nil
}

// compare compares one table: its planned rows (or, for the messages, their prints,
// in key order) and the fingerprints of rows earlier imports wrote with the tenant's
// rows, which it reads readBatch at a time, keeping only those that differ.
func (v *verifier) compare(ctx context.Context, table legacyTable, planned []plannedRow, messages []plannedPrint) error {
	tv := &TableVerification{Table: table.name, TenantRows: v.w.count(table), Differences: []Difference{}}
	v.out.Tables = append(v.out.Tables, tv)
	// Every key the file or an earlier import names, and the file's print of it.
	prints := slices.Clone(messages)
	for _, r := range planned {
		prints = append(prints, plannedPrint{key: r.key(), print: v.w.m.of(r, false).print()})
	}
	slices.SortFunc(prints, func(a, b plannedPrint) int { return compareKeys(a.key, b.key) })
	tv.FileRows = len(prints)
	keys := make([]rowKey, 0, len(prints))
	for _, p := range prints {
		keys = append(keys, p.key)
	}
	entries := v.prints[table.name]
	for _, e := range entries {
		if findPrint(prints, e.key) == nil {
			keys = append(keys, e.key)
		}
	}
	var fileSum, tenantSum uint64
	var found int64
	differing := map[rowKey]mappedRow{}
	for start := 0; start < len(keys); start += readBatch {
		batch := keys[start:min(len(keys), start+readBatch)]
		tenant, err := v.rows.read(ctx, table, batch)
		if err != nil {
			return err
		}
		found += int64(len(tenant))
		for _, key := range batch {
			now, there := tenant[key]
			var nowPrint rowPrint
			if there {
				nowPrint = v.w.m2.of(now, false).print()
			}
			file := findPrint(prints, key)
			switch {
			case file == nil && there:
				tv.NotInFile++
				tv.Differences = append(tv.Differences, Difference{LegacyID: key.String(), Kind: "not in the file", Columns: v.only(now)})
				continue
			case file == nil:
				continue // V1.5 deleted it, and a sync removed it
			}
			fileSum += file.print.all
			tenantSum += nowPrint.all
			e, imported := find(entries, key)
			switch {
			case there && nowPrint.all == file.print.all:
				tv.Matching++
			case imported && e.hasKept && e.kept == nowPrint.all:
				tv.Kept++ // as a sync's conflict kept it (0: V1.6 had deleted it)
			case there && table.name == messagesTable.name && nowPrint.record == file.print.record &&
				statusAdvances(file.status, now.(*messageRow).status):
				tv.Matching++ // V1.6 moved the status further
			case !there:
				tv.Missing++
				differing[key] = nil
			default:
				tv.Different++
				differing[key] = now
			}
		}
	}
	tv.V16Only = tv.TenantRows - found
	tv.FileChecksum, tv.TenantChecksum = fmt.Sprintf("%016x", fileSum), fmt.Sprintf("%016x", tenantSum)
	return v.describe(ctx, tv, table, planned, differing)
}

// describe lists the differing rows (with the tenant's, nil for none) with the columns
// that differ.
func (v *verifier) describe(ctx context.Context, tv *TableVerification, table legacyTable, planned []plannedRow, differing map[rowKey]mappedRow) error {
	if len(differing) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(differing), compareKeys)
	byKey := map[rowKey]plannedRow{}
	for _, r := range planned {
		byKey[r.key()] = r
	}
	if table.name == messagesTable.name {
		rows, err := v.replanned(ctx, keys)
		if err != nil {
			return err
		}
		for _, m := range rows {
			byKey[m.key()] = m
		}
	}
	d := &tableDiff{w: v.w, table: table}
	for _, key := range keys {
		row, ok := byKey[key]
		if !ok {
			return fmt.Errorf("verify %s %s: the row is not in the file on a second reading", table.name, key)
		}
		now := differing[key]
		kind := "different"
		if now == nil {
			kind = "missing"
		}
		tv.Differences = append(tv.Differences, Difference{LegacyID: key.String(), Kind: kind, Columns: d.columns(row, now)})
	}
	return nil
}

// only lists a row's values, for a row the file does not have.
func (v *verifier) only(row mappedRow) []ColumnConflict {
	var out []ColumnConflict
	for _, c := range v.w.m.of(row, true).columns {
		out = append(out, ColumnConflict{Column: c.Column, V16: c.Value})
	}
	return out
}

// count is the tenant's rows in table's target.
func (w *writer) count(table legacyTable) int64 {
	c := w.counts
	return map[string]int64{
		usersTable.name: c.Users, contactsTable.name: c.Contacts, campaignsTable.name: c.Campaigns,
		conversationsTable.name: c.Conversations, messagesTable.name: c.Messages, leadsTable.name: c.LeadsPipeline,
		campaignEventsTable.name: c.CampaignEvents, aiConfigTable.name: c.AIConfig, knowledgeTable.name: c.KnowledgeDocuments,
		settingsTable.name: c.SystemSettings,
	}[table.name]
}

// WriteTable prints the verification as a table, then every difference.
func (v *Verification) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tFILE\tTENANT\tMATCHING\tKEPT\tDIFFERENT\tMISSING\tNOT_IN_FILE\tV16_ONLY\tFILE_CHECKSUM\tTENANT_CHECKSUM\t")
	for _, t := range v.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", t.Table, t.FileRows, t.TenantRows, t.Matching, t.Kept,
			t.Different, t.Missing, t.NotInFile, t.V16Only, t.FileChecksum, t.TenantChecksum)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range v.Tables {
		for _, d := range t.Differences {
			fmt.Fprintf(w, "%s %s %s: %s\n", t.Table, d.LegacyID, d.Kind, describeColumns(d.Columns))
		}
	}
	return nil
}

// WriteJSONFile writes the verification to path.
func (v *Verification) WriteJSONFile(path string) error { return writeJSONFile(path, v) }
