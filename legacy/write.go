package legacy

import (
	"context"
	"fmt"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// writer writes a plan into the tenant, inside the import's transaction. A table the
// tenant has no rows in, and no fingerprints of, is a first import: its rows are copied
// straight in. Otherwise each planned row is compared with the fingerprint an earlier run
// left (fingerprint.go): a row without one is inserted; a row that hashes as V1.5 gave it
// last time is unchanged, and not read from the tenant; a row that does not changed in
// V1.5, and is read once: when V1.6 still has it as the import wrote it, a sync rewrites
// it, else V1.6's values are kept and the row reported as a conflict. Fingerprints no
// planned row claims are rows V1.5 deleted.
type writer struct {
	rows   *tenantRows
	copier *copier
	tenant pgtype.UUID
	report *Report
	// sync applies the rows changed in V1.5; deletes removes those it deleted.
	sync, deletes bool
	old, next     fingerprints
	counts        db.LegacyTenantRowCountsRow
	// diffs are the tables written so far, in order: rows V1.5 deleted are removed in the
	// reverse order, children before parents.
	diffs []*tableDiff
	m, m2 mapped
}

// has says whether the tenant has rows in table's target already.
func (w *writer) has(table legacyTable) bool {
	c := w.counts
	n := map[string]int64{
		usersTable.name: c.Users, contactsTable.name: c.Contacts, campaignsTable.name: c.Campaigns,
		conversationsTable.name: c.Conversations, messagesTable.name: c.Messages, leadsTable.name: c.LeadsPipeline,
		campaignEventsTable.name: c.CampaignEvents, aiConfigTable.name: c.AIConfig, knowledgeTable.name: c.KnowledgeDocuments,
		settingsTable.name: c.SystemSettings,
	}[table.name]
	return n > 0
}

// firstImport says whether table is written as a first import: straight in.
func (w *writer) firstImport(table legacyTable) bool {
	return len(w.old[table.name]) == 0 && !w.has(table)
}

// tableWrite is one table's planned rows and how the rows the tenant has no fingerprint
// of go in.
type tableWrite[R plannedRow] struct {
	table legacyTable
	rows  []R
	// copy, when set, COPYs rows: straight in on a first import, else through staging.
	copy func(rows []R) copyTable
	// insert, for the tables COPY does not write, writes rows and returns the keys it
	// wrote.
	insert func(ctx context.Context, rows []R) (map[rowKey]bool, error)
	// ownKept rejects a row the tenant has already with other values, saying why (the
	// tenant's own AI configuration or setting is kept); empty: a conflict.
	ownKept string
}

// writeTable writes one table that the rules planned whole (all but the messages and the
// conversations).
func writeTable[R plannedRow](ctx context.Context, w *writer, t tableWrite[R]) error {
	d := w.diff(t.table)
	var fresh []R
	var cands []candidate
	prints := make(map[rowKey]rowPrint, len(t.rows))
	planned := make([]rowKey, len(t.rows))
	for i, r := range t.rows {
		key := r.key()
		p := w.m.of(r, false).print()
		prints[key], planned[i] = p, key
		switch e, found, unchanged := d.classify(key, p); {
		case !found:
			fresh = append(fresh, r)
		case unchanged:
			d.unchanged(e)
		default:
			cands = append(cands, candidate{row: r, print: p, old: e})
		}
	}
	d.goneFrom(planned)

	if len(fresh) > 0 {
		written, err := t.write(ctx, w, fresh)
		if err != nil {
			return err
		}
		for _, r := range fresh {
			if written[r.key()] {
				d.inserted(r.key(), prints[r.key()])
			} else {
				cands = append(cands, candidate{row: r, print: prints[r.key()], fresh: true})
			}
		}
	}
	res, err := d.resolve(ctx, cands, t.ownKept)
	if err != nil {
		return err
	}
	return d.apply(ctx, res)
}

// write writes the fresh rows, returning the keys written.
func (t tableWrite[R]) write(ctx context.Context, w *writer, rows []R) (map[rowKey]bool, error) {
	if t.copy == nil {
		return t.insert(ctx, rows)
	}
	written := make(map[rowKey]bool, len(rows))
	ct := t.copy(rows)
	if w.firstImport(t.table) {
		if err := w.copier.copyDirect(ctx, ct); err != nil {
			return nil, err
		}
		for _, r := range rows {
			written[r.key()] = true
		}
		return written, nil
	}
	inserted, err := w.copier.copyStaged(ctx, ct)
	if err != nil {
		return nil, err
	}
	ids := make(map[uuid.UUID]bool, len(inserted))
	for _, id := range inserted {
		ids[id] = true
	}
	for _, r := range rows {
		written[r.key()] = ids[w.rows.rowID(t.table, r.key())]
	}
	return written, nil
}

// copying is the write of rows that COPY writes into target.
func copying[R interface {
	plannedRow
	copyValues(pgtype.UUID) []any
}](w *writer, table legacyTable, target string, columns []string, rows []R) tableWrite[R] {
	return tableWrite[R]{table: table, rows: rows, copy: func(rows []R) copyTable {
		return copyTable{legacy: table.name, target: target, columns: columns, count: len(rows),
			row: func(i int) []any { return rows[i].copyValues(w.tenant) }}
	}}
}

// settleAll settles the rows V1.5 deleted, children before parents, and leaves every
// table's fingerprints.
func (w *writer) settleAll(ctx context.Context) error {
	for i := len(w.diffs) - 1; i >= 0; i-- {
		if err := w.diffs[i].settleGone(ctx); err != nil {
			return err
		}
	}
	for _, d := range w.diffs {
		d.finish()
	}
	return nil
}

// write writes pl into the tenant, parents before children; the rows V1.5 deleted are
// settled last, children first.
func (w *writer) write(ctx context.Context, pl *plan, file *legacyFile, predicted *prediction) error {
	var conversations *conversationRun
	var aiConfig []*aiConfigRow
	if pl.aiConfig != nil {
		aiConfig = append(aiConfig, pl.aiConfig)
	}
	for _, step := range []func() error{
		func() error {
			return writeTable(ctx, w, tableWrite[*userRow]{table: usersTable, rows: pl.users, insert: w.insertUsers})
		},
		func() error {
			return writeTable(ctx, w, copying(w, contactsTable, "public.contacts", contactColumns, pl.contacts))
		},
		func() (err error) {
			conversations, err = w.conversationsBefore(ctx, pl, predicted)
			return err
		},
		func() error { return w.writeMessages(ctx, pl, file, conversations) },
		func() error { return w.acceptInvitations(ctx, pl.users) },
		func() error {
			return writeTable(ctx, w, copying(w, campaignsTable, "public.campaigns", campaignColumns, pl.campaigns))
		},
		func() error {
			return writeTable(ctx, w, copying(w, campaignEventsTable, "public.campaign_events", campaignEventColumns, pl.events))
		},
		func() error {
			return writeTable(ctx, w, copying(w, leadsTable, "public.leads_pipeline", leadColumns, pl.leads))
		},
		func() error {
			return writeTable(ctx, w, tableWrite[*aiConfigRow]{table: aiConfigTable, rows: aiConfig, insert: w.insertAIConfig,
				ownKept: "the tenant already has its own AI configuration: kept"})
		},
		func() error {
			return writeTable(ctx, w, copying(w, knowledgeTable, "public.knowledge_documents", knowledgeColumns, pl.knowledge))
		},
		func() error {
			return writeTable(ctx, w, tableWrite[*settingRow]{table: settingsTable, rows: pl.settings, insert: w.insertSettings,
				ownKept: "the tenant already has this setting with another value: kept"})
		},
		func() error { return w.settleAll(ctx) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// acceptInvitations records the pending invitations of imported emails as accepted by
// the imported users: they could never be accepted now (the account exists).
func (w *writer) acceptInvitations(ctx context.Context, users []*userRow) error {
	ids := make([]uuid.UUID, len(users))
	for i, u := range users {
		ids[i] = u.id
	}
	if err := w.rows.q.LegacyInvitationsAccept(ctx, db.LegacyInvitationsAcceptParams{TenantID: w.rows.id, UserIds: ids}); err != nil {
		return fmt.Errorf("accept invitations: %w", err)
	}
	return nil
}

// insertUsers writes new users as auth users (userCopies).
func (w *writer) insertUsers(ctx context.Context, users []*userRow) (map[rowKey]bool, error) {
	copies := userCopies(w.rows.id, users)
	ids, err := w.copier.copyStaged(ctx, copies[0])
	if err != nil {
		return nil, err
	}
	if _, err := w.copier.copyStaged(ctx, copies[1]); err != nil {
		return nil, err
	}
	inserted := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		inserted[id] = true
	}
	written := make(map[rowKey]bool, len(users))
	for _, u := range users {
		written[u.key()] = inserted[u.id]
	}
	return written, nil
}

// insertAIConfig writes the legacy configuration where the tenant's is the untouched
// default.
func (w *writer) insertAIConfig(ctx context.Context, rows []*aiConfigRow) (map[rowKey]bool, error) {
	cfg := rows[0]
	n, err := w.rows.q.LegacyAIConfigImport(ctx, db.LegacyAIConfigImportParams{TenantID: w.rows.id, Enabled: cfg.enabled,
		Model: cfg.model, SystemPrompt: cfg.systemPrompt, Temperature: cfg.temperature, BusinessHours: cfg.businessHours,
		UpdatedAt: cfg.updatedAt})
	if err != nil {
		return nil, fmt.Errorf("write ai_config: %w", err)
	}
	return map[rowKey]bool{aiConfigKey: n > 0}, nil
}

// insertSettings writes the legacy settings the tenant does not have, or has as the
// untouched defaults it was created with.
func (w *writer) insertSettings(ctx context.Context, rows []*settingRow) (map[rowKey]bool, error) {
	doc, err := records(rows)
	if err != nil {
		return nil, err
	}
	fileKeys := make([]string, len(rows))
	for i, r := range rows {
		fileKeys[i] = r.key().name
	}
	if err := w.rows.q.LegacySettingsDropUntouchedDefaults(ctx, db.LegacySettingsDropUntouchedDefaultsParams{TenantID: w.rows.id, Keys: fileKeys}); err != nil {
		return nil, fmt.Errorf("replace untouched default settings: %w", err)
	}
	keys, err := w.rows.q.LegacySettingsImport(ctx, db.LegacySettingsImportParams{TenantID: w.rows.id, Rows: doc})
	if err != nil {
		return nil, fmt.Errorf("write system_settings: %w", err)
	}
	written := make(map[rowKey]bool, len(keys))
	for _, k := range keys {
		written[rowKey{name: k}] = true
	}
	return written, nil
}
