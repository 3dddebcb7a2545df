package legacy

import (
	"crypto/sha1"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The row-level rules: what each legacy row becomes, which rows are merged into others,
// which are rejected, and how references follow them. They touch no database: their
// inputs are the file, the tenant and the accounts that already exist. Each table's rules
// are in plan_<table>.go; the messages are planned as they stream in
// (plan_conversations.go), and predict.go guesses ahead what they make of their
// conversations.

// LegacyUUID is the id a legacy row gets in the tenant: a name-based (version 5) UUID in
// the tenant's namespace of "<legacy table>:<legacy id>". The same file imported into the
// same tenant always yields the same ids, which makes a re-run a no-op.
func LegacyUUID(tenantID uuid.UUID, table string, legacyID int64) uuid.UUID {
	return uuid.NewSHA1(tenantID, []byte(table+":"+strconv.FormatInt(legacyID, 10)))
}

// account is an auth user that already exists with an email the file also has.
type account struct {
	id       uuid.UUID
	tenantID uuid.NullUUID // the profile's tenant
}

// planEnv is what the rules need besides the file.
type planEnv struct {
	tenantID uuid.UUID
	loc      *time.Location // the zone of naive legacy timestamps
	region   string         // the phone region of numbers without a country code
	// now stands in for a missing timestamp: the first import's time, so that a sync
	// plans such a row as that import wrote it.
	now      time.Time
	accounts map[string]account
	// messages is how many messages the file has: the messages' rules size their maps
	// for them once, rather than as a million arrive.
	messages int
}

// plan is what the rules make of a file, and all that the writers (the loader and the
// sync) see of them: the rows to write for every table but the messages, the messages'
// rules, which plan each message as it streams from the file, and the report. Once the
// messages are planned (messages.finish), the conversations hold their final values.
type plan struct {
	report        *Report
	users         []*userRow
	contacts      []*contactRow
	campaigns     []*campaignRow
	conversations []*conversationRow
	messages      *messagePlanner
	leads         []*leadRow
	events        []*campaignEventRow
	aiConfig      *aiConfigRow
	knowledge     []*knowledgeRow
	settings      []*settingRow
}

// planner applies the rules table by table, parents first, into out. Each table's rules
// record where its legacy ids now point (refs), so that children follow merges and drop
// references to rejected rows.
type planner struct {
	env                                          planEnv
	out                                          *plan
	users, contacts, campaigns, conversationRefs refs
	ids                                          idMaker
}

// newPlan applies the rules to every table of data. The messages, which data does not
// hold, are planned next, one by one (plan.messages).
func newPlan(data legacyData, env planEnv, file string) *plan {
	p := &planner{
		env:              env,
		out:              &plan{report: newReport(file)},
		users:            newRefs(usersTable.name),
		contacts:         newRefs(contactsTable.name),
		campaigns:        newRefs(campaignsTable.name),
		conversationRefs: newRefs(conversationsTable.name),
		ids:              idMaker{tenantID: env.tenantID},
	}
	p.planUsers(data[usersTable.name])
	p.planContacts(data[contactsTable.name])
	p.planCampaigns(data[campaignsTable.name])
	p.planConversations(data[conversationsTable.name])
	p.out.messages = p.messagePlanner()
	// Nothing below depends on the messages.
	p.planLeads(data[leadsTable.name])
	p.planCampaignEvents(data[campaignEventsTable.name])
	p.planAIConfig(data[aiConfigTable.name])
	p.planKnowledge(data[knowledgeTable.name])
	p.planSettings(data[settingsTable.name])
	return p.out
}

func (p *planner) table(t legacyTable, rows []row) *TableReport {
	tr := p.out.report.Table(t.name)
	tr.Read = len(rows)
	return tr
}

func (p *planner) id(table legacyTable, legacyID int64) uuid.UUID {
	return p.ids.id(table.name, legacyID)
}

// idMaker computes LegacyUUID without allocating: it runs a million times.
type idMaker struct {
	tenantID uuid.UUID
	buf      []byte
}

func (m *idMaker) id(table string, legacyID int64) uuid.UUID {
	m.buf = append(append(append(m.buf[:0], m.tenantID[:]...), table...), ':')
	m.buf = strconv.AppendInt(m.buf, legacyID, 10)
	sum := sha1.Sum(m.buf)
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = (id[6] & 0x0f) | 0x50 // version 5
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}

// target is where a legacy id now points: a row id, or the reason there is none.
type target struct {
	id       uuid.UUID
	rejected string
}

// refs maps the legacy ids of one table to their targets. A merged row maps to the
// row it was merged into, so references to it follow.
type refs struct {
	table string
	ids   map[int64]target
}

func newRefs(table string) refs { return refs{table: table, ids: map[int64]target{}} }

// optional resolves a reference whose parent the new schema lets be empty: a dangling or
// rejected parent clears it, noted on the row.
func (rs refs) optional(tr *TableReport, r row, c column) *uuid.UUID {
	id, reason := rs.resolve(c.name, r.cell(c))
	if reason != "" {
		tr.change(r, "%s cleared: %s", c.name, reason)
		return nil
	}
	return id
}

// required resolves a reference the new row cannot do without; reason says why there
// is none.
func (rs refs) required(r row, c column) (uuid.UUID, string) {
	id, reason := rs.resolve(c.name, r.cell(c))
	if reason == "" && id == nil {
		reason = c.name + " is empty"
	}
	if id == nil {
		return uuid.Nil, reason
	}
	return *id, ""
}

func (rs refs) resolve(column string, cell value) (*uuid.UUID, string) {
	legacyID, ok, err := parseRef(cell)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("%s %v", column, err)
	case !ok:
		return nil, ""
	}
	t, found := rs.ids[legacyID]
	switch {
	case !found:
		return nil, fmt.Sprintf("%s %d: %s %d does not exist", column, legacyID, rs.table, legacyID)
	case t.rejected != "":
		return nil, fmt.Sprintf("%s %d: %s %d was rejected (%s)", column, legacyID, rs.table, legacyID, t.rejected)
	}
	return &t.id, ""
}

// rejectRef rejects r and records that references to it have no target.
func (p *planner) rejectRef(tr *TableReport, rs refs, r row, reason string) {
	tr.reject(r, reason)
	rs.ids[r.id] = target{rejected: reason}
}

// keep counts r as imported, noting any text that was cleaned on the way in.
func keep(tr *TableReport, r row) {
	tr.Imported++
	for _, column := range r.cleaned {
		tr.change(r, "%s: NUL bytes or invalid UTF-8 removed", column)
	}
}

// times parses the timestamp cells of r in columns, in order; err names the first bad
// one.
func (p *planner) times(r row, columns ...column) ([]*time.Time, error) {
	out := make([]*time.Time, len(columns))
	for i, c := range columns {
		t, ok, err := parseTime(r.cell(c), p.env.loc)
		if err != nil {
			return nil, fmt.Errorf("%s %w", c.name, err)
		}
		if ok {
			out[i] = &t
		}
	}
	return out, nil
}

// orNow returns the first non-nil time, else the import's time with a note on r.
func (p *planner) orNow(tr *TableReport, r row, column string, times ...*time.Time) time.Time {
	for _, t := range times {
		if t != nil {
			return *t
		}
	}
	tr.change(r, "%s is empty: set to the import time", column)
	return p.env.now
}

// cut limits a text column to limit characters, noting the cut.
func cut(tr *TableReport, r row, column string, s string, limit int) string {
	out, wasCut := cutText(s, limit)
	if wasCut {
		tr.change(r, "%s cut to %d characters (was %d)", column, limit, len([]rune(s)))
	}
	return out
}

func cutOpt(tr *TableReport, r row, column string, s *string, limit int) *string {
	if s == nil {
		return nil
	}
	out := cut(tr, r, column, *s, limit)
	return &out
}

func optTrimmed(v value) *string {
	if s := v.trimmed(); s != "" {
		return &s
	}
	return nil
}

func compareOptTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}
