package legacy

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// A table's run compares its planned rows with the fingerprints an earlier run left, and
// settles each row: unchanged, new, rewritten where V1.6 left it as written, a conflict
// V1.6 wins, or deleted in V1.5.

// tableDiff is one table's run: its planned rows against the fingerprints an earlier run
// left, what became of them (the report) and the fingerprints this run leaves.
type tableDiff struct {
	w       *writer
	table   legacyTable
	tr      *TableReport
	old     []entry
	entries []entry
	// gone are the fingerprints of rows no longer planned: V1.5 deleted them.
	gone []entry
}

func (w *writer) diff(table legacyTable) *tableDiff {
	d := &tableDiff{w: w, table: table, tr: w.report.Table(table.name), old: w.old[table.name]}
	w.diffs = append(w.diffs, d)
	return d
}

// candidate is a planned row the fingerprints alone do not settle.
type candidate struct {
	row   plannedRow
	print rowPrint
	// old is its fingerprint; none (fresh) when the row was in the tenant already
	// without one.
	old   entry
	fresh bool
}

// classify compares a planned row's print with its fingerprint: the entry and whether
// it is new (none), unchanged or changed in V1.5.
func (d *tableDiff) classify(key rowKey, p rowPrint) (e entry, found, unchanged bool) {
	e, found = find(d.old, key)
	return e, found, found && e.seen == p.all
}

func (d *tableDiff) unchanged(e entry) {
	d.tr.Unchanged++
	d.entries = append(d.entries, e)
}

func (d *tableDiff) inserted(key rowKey, p rowPrint) {
	d.tr.New++
	d.entries = append(d.entries, entry{key: key, seen: p.all, written: p.record})
}

// legacyRowOf is a planned row that keeps its legacy row, to name it in the report.
type legacyRowOf interface{ legacyRow() row }

func (s *settingRow) legacyRow() row  { return s.r }
func (c *aiConfigRow) legacyRow() row { return c.r }

// resolution is what resolve decided: the rows to rewrite (with the tenant's rows they
// replace), and the conflicts' rows in the tenant.
type resolution struct {
	updates   []candidate
	before    map[rowKey]mappedRow
	conflicts map[rowKey]mappedRow
}

// resolve reads the candidates from the tenant, once, and settles them. A fresh row the
// tenant has with the same values is adopted as unchanged (an import that left no
// fingerprints); with others, ownKept (when set) rejects it, else it is a conflict. A
// row changed in V1.5 is to be rewritten when V1.6 has it as written (a sync; otherwise
// it is pending), else it is a conflict.
func (d *tableDiff) resolve(ctx context.Context, cands []candidate, ownKept string) (resolution, error) {
	res := resolution{conflicts: map[rowKey]mappedRow{}}
	if len(cands) == 0 {
		return res, nil
	}
	keys := make([]rowKey, len(cands))
	for i, c := range cands {
		keys[i] = c.row.key()
	}
	current, err := d.w.rows.read(ctx, d.table, keys)
	if err != nil {
		return res, err
	}
	res.before = current
	for _, c := range cands {
		key := c.row.key()
		now, there := current[key]
		var nowPrint rowPrint
		if there {
			nowPrint = d.w.m.of(now, false).print()
		}
		switch {
		case c.fresh && there && nowPrint.all == c.print.all:
			d.tr.Unchanged++
			d.entries = append(d.entries, entry{key: key, seen: c.print.all, written: c.print.record})
		case c.fresh && ownKept != "":
			d.tr.rejectImported(c.row.(legacyRowOf).legacyRow(), ownKept)
		case c.fresh:
			d.tr.conflict(key, "in the tenant already, with other values (an import that left no fingerprints, or V1.6 changed it): V1.6's kept", d.columns(c.row, now))
			d.entries = append(d.entries, entry{key: key, seen: c.print.all, kept: nowPrint.all, hasKept: true})
			res.conflicts[key] = now
		case !there:
			d.tr.conflict(key, "changed in V1.5, deleted in V1.6: not restored", d.columns(c.row, nil))
			d.entries = append(d.entries, entry{key: key, seen: c.print.all, written: c.old.written, hasKept: true})
		case nowPrint.record != c.old.written:
			d.tr.conflict(key, "changed in V1.5 and in V1.6: V1.6's kept", d.columns(c.row, now))
			d.entries = append(d.entries, entry{key: key, seen: c.print.all, written: c.old.written, kept: nowPrint.all, hasKept: true})
			res.conflicts[key] = now
		case !d.w.sync:
			d.tr.pending(key, "changed in V1.5: "+d.changedColumns(c.row, now)+" (not applied without --sync)")
			d.entries = append(d.entries, c.old)
		default:
			res.updates = append(res.updates, c)
		}
	}
	return res, nil
}

// apply rewrites the rows res decided to.
func (d *tableDiff) apply(ctx context.Context, res resolution) error {
	if len(res.updates) == 0 {
		return nil
	}
	rows := make([]plannedRow, len(res.updates))
	for i, c := range res.updates {
		rows[i] = c.row
	}
	if err := d.w.rows.update(ctx, d.table, rows); err != nil {
		return err
	}
	return d.readBack(ctx, res.updates, res.before)
}

// readBack reads rewritten rows back: what the database did not take (a status that
// would move backwards, a campaign's content once it runs) stays as V1.6 has it, said in
// the row's note; a row it took nothing of is a conflict V1.6 won.
func (d *tableDiff) readBack(ctx context.Context, updates []candidate, before map[rowKey]mappedRow) error {
	if len(updates) == 0 {
		return nil
	}
	after, err := d.afterUpdate(ctx, updates, before)
	if err != nil {
		return err
	}
	for _, c := range updates {
		key := c.row.key()
		now, there := after[key]
		if !there {
			return fmt.Errorf("update %s %s: the row is gone", d.table.name, key)
		}
		p := d.w.m.of(now, false).print()
		e := entry{key: key, seen: c.print.all, written: p.record}
		applied, refused := p.all != d.w.m2.of(before[key], false).print().all, p.all != c.print.all
		if refused {
			e.kept, e.hasKept = p.all, true
		}
		d.entries = append(d.entries, e)
		switch {
		case !applied:
			d.tr.conflict(key, "changed in V1.5, not applied ("+refusal(d.table)+"): V1.6's kept", d.columns(c.row, now))
		case refused:
			d.tr.updated(key, d.changedColumns(now, before[key])+"; not applied: "+describeColumns(d.columns(c.row, now))+" ("+refusal(d.table)+")")
		default:
			d.tr.updated(key, d.changedColumns(now, before[key]))
		}
	}
	return nil
}

// afterUpdate is the rewritten rows as the tenant now has them: read back, but for the
// messages, where ten thousand rows are common and LegacyMessagesUpdate's one rule is
// known: a status that would move backwards stays.
func (d *tableDiff) afterUpdate(ctx context.Context, updates []candidate, before map[rowKey]mappedRow) (map[rowKey]mappedRow, error) {
	if d.table.name != messagesTable.name {
		keys := make([]rowKey, len(updates))
		for i, c := range updates {
			keys[i] = c.row.key()
		}
		return d.w.rows.read(ctx, d.table, keys)
	}
	after := make(map[rowKey]mappedRow, len(updates))
	for _, c := range updates {
		m := *c.row.(*messageRow)
		if now := before[m.key()].(*messageRow); !statusAdvances(now.status, m.status) {
			m.status = now.status
		}
		after[m.key()] = &m
	}
	return after, nil
}

// refusal says why the database may not take a V1.5 change of table's rows.
func refusal(table legacyTable) string {
	switch table.name {
	case messagesTable.name:
		return "statuses only move forward"
	case conversationsTable.name:
		return "another conversation of the contact on this channel is open in V1.6: one open conversation per contact and channel"
	case campaignsTable.name:
		return "the campaign lifecycle: a campaign's content is fixed once it runs, and its status moves only forward"
	}
	return "the database kept the tenant's value"
}

// columns lists the columns where planned and the tenant's row (nil: none) differ.
func (d *tableDiff) columns(planned, tenant mappedRow) []ColumnConflict {
	file := d.w.m.of(planned, true).columns
	var have []ColumnValue
	if tenant != nil {
		have = d.w.m2.of(tenant, true).columns
	}
	var out []ColumnConflict
	for i, c := range file {
		var v16 *string
		if i < len(have) {
			v16 = have[i].Value
		}
		if tenant == nil || !equalValues(c.Value, v16) {
			out = append(out, ColumnConflict{Column: c.Column, V15: c.Value, V16: v16})
		}
	}
	return out
}

// changedColumns names the columns where planned and the tenant's row differ.
func (d *tableDiff) changedColumns(planned, tenant mappedRow) string {
	var names []string
	for _, c := range d.columns(planned, tenant) {
		names = append(names, c.Column)
	}
	return strings.Join(names, ", ")
}

func equalValues(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// goneFrom records the fingerprints of old that planned (sorted) does not claim.
func (d *tableDiff) goneFrom(planned []rowKey) {
	slices.SortFunc(planned, compareKeys)
	for _, e := range d.old {
		if _, claimed := slices.BinarySearchFunc(planned, e.key, compareKeys); !claimed {
			d.gone = append(d.gone, e)
		}
	}
}

// settleGone reports the rows V1.5 deleted and, with --sync-deletes, removes those V1.6
// left as the import wrote them and nothing in the tenant depends on.
func (d *tableDiff) settleGone(ctx context.Context) error {
	if len(d.gone) == 0 {
		return nil
	}
	removable := d.table.name != usersTable.name && d.table.name != aiConfigTable.name
	if !d.w.deletes || !removable {
		reason := "not in the file: kept (--sync --sync-deletes removes it)"
		switch {
		case !removable:
			reason = "not in the file: kept (an import never removes " + d.table.name + ")"
		case d.w.sync:
			reason = "not in the file: kept (--sync-deletes removes it)"
		}
		for _, e := range d.gone {
			d.tr.deleted(e.key, reason)
			d.entries = append(d.entries, e)
		}
		return nil
	}
	keys := make([]rowKey, len(d.gone))
	for i, e := range d.gone {
		keys[i] = e.key
	}
	current, err := d.w.rows.read(ctx, d.table, keys)
	if err != nil {
		return err
	}
	var candidates []entry
	for _, e := range d.gone {
		now, there := current[e.key]
		switch {
		case !there:
			d.tr.deleted(e.key, "not in the file, and deleted in V1.6 already")
		case d.w.m.of(now, false).print().record != e.written:
			d.tr.deleted(e.key, "not in the file, but changed in V1.6: kept")
			d.entries = append(d.entries, e)
		default:
			candidates = append(candidates, e)
		}
	}
	candidateKeys := make([]rowKey, len(candidates))
	for i, e := range candidates {
		candidateKeys[i] = e.key
	}
	removed, err := d.w.rows.remove(ctx, d.table, candidateKeys)
	if err != nil {
		return err
	}
	for _, e := range candidates {
		if slices.Contains(removed, e.key) {
			d.tr.Removed++
			d.tr.deleted(e.key, "not in the file: removed")
			continue
		}
		d.tr.deleted(e.key, "not in the file, but rows of the tenant depend on it: kept")
		d.entries = append(d.entries, e)
	}
	return nil
}

// finish leaves the table's fingerprints for the next run, in key order. The entries
// come mostly in order (the messages' as they stream): the rest is sorted and merged in,
// rather than a million entries sorted again.
func (d *tableDiff) finish() {
	byKey := func(a, b entry) int { return compareKeys(a.key, b.key) }
	sorted := 1
	for sorted < len(d.entries) && byKey(d.entries[sorted-1], d.entries[sorted]) <= 0 {
		sorted++
	}
	if sorted >= len(d.entries) {
		d.w.next[d.table.name] = d.entries
		return
	}
	head, tail := d.entries[:sorted], slices.Clone(d.entries[sorted:])
	slices.SortFunc(tail, byKey)
	merged := make([]entry, 0, len(d.entries))
	for len(head) > 0 && len(tail) > 0 {
		if byKey(head[0], tail[0]) <= 0 {
			merged, head = append(merged, head[0]), head[1:]
		} else {
			merged, tail = append(merged, tail[0]), tail[1:]
		}
	}
	d.w.next[d.table.name] = append(append(merged, head...), tail...)
}
