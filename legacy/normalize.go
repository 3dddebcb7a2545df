package legacy

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// This file holds the row-level rules: what each legacy row becomes, which rows are
// merged into others, which are rejected, and how references follow them. It touches no
// database: its inputs are the file, the tenant and the accounts that already exist.

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
	now      time.Time      // the import's time: the fallback for missing timestamps
	accounts map[string]account
}

// The rows to write, in the new schema's terms.
type (
	userRow struct {
		id           uuid.UUID
		identityID   uuid.UUID
		email        string
		passwordHash string
		fullName     *string
		role         string
		bannedUntil  *time.Time
		createdAt    time.Time
	}
	contactRow struct {
		legacyID     int64
		hasCreated   bool
		id           uuid.UUID
		name, email  *string
		phone        *string
		tags         []string
		customFields json.RawMessage
		createdAt    time.Time
		updatedAt    time.Time
	}
	conversationRow struct {
		r              row
		id             uuid.UUID
		contactID      *uuid.UUID
		channel        string
		status         string
		assignedUserID *uuid.UUID
		aiEnabled      bool
		unreadCount    int32
		createdAt      time.Time
		// tally counts the messages; its lastMessageAt is the legacy value (else the
		// creation time) until a message comes.
		tally
		// written is what is written before the messages are planned (see
		// writtenConversation); inserted says this import inserted the row.
		written  writtenConversation
		inserted bool
	}
	messageRow struct {
		legacyID     int64
		id           uuid.UUID
		conversation *conversationRow
		direction    string
		senderType   string
		senderUserID *uuid.UUID
		content      *string
		media        json.RawMessage
		status       string
		externalID   *string
		createdAt    time.Time
	}
	// writtenConversation is a conversation as it is written before its messages are
	// planned: the values the messages decide (last_message_at, unread_count, and which
	// of the conversations of one contact and channel stays open) are predicted by a
	// quick first pass over the messages (predictTallies), and completed after them
	// where the rules made them differ (completeConversations).
	writtenConversation struct {
		status        string
		lastMessageAt time.Time
		unreadCount   int32
	}
	// delivery is a message that has an external_id, as later copies of the same
	// delivery need it: they are merged into it.
	delivery struct {
		legacyID   int64
		id         uuid.UUID
		status     string
		hasContent bool
		hasMedia   bool
		// fix is set once a later copy changed the message after it was written.
		fix *messageFix
	}
	// messageFix is what the later copies of a delivery changed in the message, applied
	// once every message is written.
	messageFix struct {
		id      uuid.UUID
		status  string
		content *string
		media   json.RawMessage
	}
	leadRow struct {
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
	campaignRow struct {
		id                                  uuid.UUID
		name                                string
		channel, status                     string
		messageTemplate                     *string
		audienceFilter                      json.RawMessage
		scheduledAt, startedAt, completedAt *time.Time
		createdAt                           time.Time
	}
	campaignEventRow struct {
		legacyID   int64
		id         uuid.UUID
		campaignID uuid.UUID
		contactID  uuid.UUID
		eventType  string
		occurredAt time.Time
		metadata   json.RawMessage
	}
	aiConfigRow struct {
		r             row
		enabled       bool
		model         string
		systemPrompt  string
		temperature   float32
		businessHours json.RawMessage
		updatedAt     time.Time
	}
	knowledgeRow struct {
		id        uuid.UUID
		title     string
		content   string
		sourceURL *string
		tags      []string
		createdAt time.Time
		updatedAt time.Time
	}
	settingRow struct {
		r         row
		key       string
		value     json.RawMessage
		updatedAt time.Time
	}
)

// messageOrder orders messages as the inbox does: by time, then legacy id.
type messageOrder struct {
	at time.Time
	id int64
}

func (a messageOrder) after(b messageOrder) bool {
	return a.at.After(b.at) || (a.at.Equal(b.at) && a.id > b.id)
}

// tally counts the messages of one conversation, in any order, as the backend does:
// last_message_at is the newest message's time, and the inbound messages after the
// last outbound one are unread (an inbound message adds one, a reply resets).
type tally struct {
	messages      int
	lastMessageAt time.Time
	lastOutbound  messageOrder
	// unread are the inbound messages after lastOutbound so far.
	unread []messageOrder
}

func (t *tally) add(at time.Time, legacyID int64, direction string) {
	if t.messages == 0 || at.After(t.lastMessageAt) {
		t.lastMessageAt = at
	}
	t.messages++
	order := messageOrder{at, legacyID}
	switch {
	case direction == "outbound" && order.after(t.lastOutbound):
		t.lastOutbound = order
		t.unread = slices.DeleteFunc(t.unread, func(u messageOrder) bool { return !u.after(order) })
	case direction == "inbound" && order.after(t.lastOutbound):
		t.unread = append(t.unread, order)
	}
}

// plan is the outcome of the rules: rows to write and the report. The messages are
// not in it: they are planned one by one as they are read (planner.planMessage), and
// what they change in rows written before them is collected in messageFixes and, by
// finishConversations, in the conversations.
type plan struct {
	report        *Report
	users         []userRow
	contacts      []*contactRow
	conversations []*conversationRow
	messageFixes  []*messageFix
	leads         []leadRow
	campaigns     []campaignRow
	events        []*campaignEventRow
	aiConfig      *aiConfigRow
	knowledge     []knowledgeRow
	settings      []settingRow
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
func (rs refs) optional(tr *TableReport, r row, column string, cell value) *uuid.UUID {
	id, reason := rs.resolve(column, cell)
	if reason != "" {
		tr.change(r, "%s cleared: %s", column, reason)
		return nil
	}
	return id
}

// required resolves a reference the new row cannot do without; reason says why there
// is none.
func (rs refs) required(column string, cell value) (uuid.UUID, string) {
	id, reason := rs.resolve(column, cell)
	if reason == "" && id == nil {
		reason = column + " is empty"
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

// planner applies the rules table by table, parents first.
type planner struct {
	env                                  planEnv
	out                                  *plan
	users, contacts, campaigns, convRefs refs
	ids                                  idMaker
	// The messages' state: their report, their conversations by id, and the
	// deliveries by channel and external_id.
	messages     *TableReport
	convByID     map[uuid.UUID]*conversationRow
	convByLegacy map[int64]*conversationRow
	byExternalID map[deliveryKey]delivery
}

type deliveryKey struct{ channel, externalID string }

// newPlan applies the rules to every table of data. The messages, which data does not
// hold, are planned next, one by one (planMessage), and finishConversations completes
// the plan after them.
func newPlan(data legacyData, env planEnv, file string) *planner {
	p := &planner{
		env:       env,
		out:       &plan{report: newReport(file)},
		users:     newRefs("users"),
		contacts:  newRefs("contacts"),
		campaigns: newRefs("campaigns"),
		convRefs:  newRefs("conversations"),
		ids:       idMaker{tenantID: env.tenantID},
	}
	p.planUsers(data[usersTable.name])
	p.planContacts(data[contactsTable.name])
	p.planCampaigns(data[campaignsTable.name])
	p.planConversations(data[conversationsTable.name])
	p.startMessages()
	// Nothing below depends on the messages.
	p.planLeads(data[leadsTable.name])
	p.planCampaignEvents(data[campaignEventsTable.name])
	p.planAIConfig(data[aiConfigTable.name])
	p.planKnowledge(data[knowledgeTable.name])
	p.planSettings(data[settingsTable.name])
	return p
}

func (p *planner) table(t legacyTable, rows []row) *TableReport {
	tr := p.out.report.Table(t.name)
	tr.Read = len(rows)
	return tr
}

func (p *planner) id(table string, legacyID int64) uuid.UUID {
	return p.ids.id(table, legacyID)
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

// keep counts r as imported, noting any text that was cleaned on the way in.
func keep(tr *TableReport, r row) {
	tr.Imported++
	for _, column := range r.cleaned {
		tr.change(r, "%s: NUL bytes or invalid UTF-8 removed", column)
	}
}

// times parses the timestamp cells of r in order; err names the first bad one.
func (p *planner) times(r row, columns []string, cells ...value) ([]*time.Time, error) {
	out := make([]*time.Time, len(cells))
	for i, c := range cells {
		t, ok, err := parseTime(c, p.env.loc)
		if err != nil {
			return nil, fmt.Errorf("%s %w", columns[i], err)
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

// planUsers: emails are lower-cased and validated; accounts that differ only in the case
// of their email are merged (an active account beats an inactive one, then the oldest
// wins); an email that already has an auth account is merged into it when that account
// belongs to the tenant and rejected otherwise.
func (p *planner) planUsers(rows []row) {
	tr := p.table(usersTable, rows)
	type candidate struct {
		r        row
		email    string
		fullName *string
		role     string
		active   bool
		created  *time.Time
	}
	groups := map[string][]*candidate{}
	var emails []string
	for _, r := range rows {
		c := r.cells
		email, err := input.Email("email", c[1].Text)
		if err != nil {
			p.rejectRef(tr, p.users, r, fmt.Sprintf("email %q is not an address", c[1].Text))
			continue
		}
		role, err := userRoles.lookup(c[4], "agent")
		if err != nil {
			p.rejectRef(tr, p.users, r, err.Error())
			continue
		}
		active, ok, err := parseBool(c[5])
		if err != nil {
			p.rejectRef(tr, p.users, r, "is_active "+err.Error())
			continue
		}
		times, err := p.times(r, []string{"created_at"}, c[6])
		if err != nil {
			p.rejectRef(tr, p.users, r, err.Error())
			continue
		}
		if _, seen := groups[email]; !seen {
			emails = append(emails, email)
		}
		var fullName *string
		if name := c[3].trimmed(); name != "" {
			fullName = &name
		}
		groups[email] = append(groups[email], &candidate{r: r, email: email, fullName: fullName, role: role, active: active || !ok, created: times[0]})
	}

	for _, email := range emails {
		group := groups[email]
		// Active first, then the oldest (unknown creation last), then the lowest id.
		slices.SortStableFunc(group, func(a, b *candidate) int {
			if a.active != b.active {
				if a.active {
					return -1
				}
				return 1
			}
			if c := compareOptTimes(a.created, b.created); c != 0 {
				return c
			}
			return cmp.Compare(a.r.id, b.r.id)
		})
		survivor := group[0]
		id := p.id("users", survivor.r.id)
		if acct, exists := p.env.accounts[email]; exists && acct.id != id {
			for _, c := range group {
				if acct.tenantID.Valid && acct.tenantID.UUID == p.env.tenantID {
					tr.merge(c.r, acct.id.String(), "an account with this email already exists in the tenant (its password is kept)")
					p.users.ids[c.r.id] = target{id: acct.id}
				} else {
					p.rejectRef(tr, p.users, c.r, "an account with this email already exists outside this tenant")
				}
			}
			continue
		}

		keep(tr, survivor.r)
		p.users.ids[survivor.r.id] = target{id: id}
		u := userRow{id: id, identityID: p.id("identities", survivor.r.id), email: email, role: survivor.role, fullName: survivor.fullName}
		for _, other := range group[1:] {
			tr.merge(other.r, survivor.r.legacyID(), fmt.Sprintf("same email as user %d once lower-cased (%q)", survivor.r.id, other.r.cells[1].Text))
			p.users.ids[other.r.id] = target{id: id}
			if u.fullName == nil {
				u.fullName = other.fullName
			}
		}
		u.passwordHash = survivor.r.cells[2].trimmed()
		if !isBcrypt(u.passwordHash) {
			tr.change(survivor.r, "hashed_password is not a bcrypt hash: the user must reset the password")
			u.passwordHash = ""
		}
		if u.fullName != nil && len([]rune(*u.fullName)) > 200 {
			tr.change(survivor.r, "full_name longer than 200 characters: the profile keeps 200, the auth metadata keeps it whole")
		}
		if !survivor.active {
			banned := bannedForever
			u.bannedUntil = &banned
		}
		u.createdAt = p.orNow(tr, survivor.r, "created_at", survivor.created)
		p.out.users = append(p.out.users, u)
	}
}

// bannedForever is the banned_until of an inactive legacy user. A far date rather than
// 'infinity', which Supabase Auth (Go) cannot read.
var bannedForever = time.Date(2999, time.December, 31, 23, 59, 59, 0, time.UTC)

// rejectRef rejects r and records that references to it have no target.
func (p *planner) rejectRef(tr *TableReport, rs refs, r row, reason string) {
	tr.reject(r, reason)
	rs.ids[r.id] = target{rejected: reason}
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

// planContacts: phones become E.164; contacts whose phones collide once normalised are
// merged (the oldest wins, its empty fields filled from the others, tags and custom
// fields united); a phone that is not a valid number is kept in
// custom_fields.legacy_phone.
func (p *planner) planContacts(rows []row) {
	tr := p.table(contactsTable, rows)
	byPhone := map[string][]*contactRow{}
	var all []*contactRow
	rowOf := map[int64]row{}
	phones := normalizePhones(rows, p.env.region)
	for i, r := range rows {
		c := r.cells
		times, err := p.times(r, []string{"created_at", "updated_at"}, c[6], c[7])
		if err != nil {
			p.rejectRef(tr, p.contacts, r, err.Error())
			continue
		}
		ct := &contactRow{legacyID: r.id, id: p.id("contacts", r.id), hasCreated: times[0] != nil}
		ct.name = cutOpt(tr, r, "name", c[1].optText(), 500)
		ct.email = cutOpt(tr, r, "email", optTrimmed(c[3]), 320)
		ct.tags = parseTags(c[4])
		var note string
		ct.customFields, note = parseObject(c[5], "legacy_custom_fields")
		if note != "" {
			tr.change(r, "%s", note)
		}
		if raw := c[2].trimmed(); raw != "" {
			if e164 := phones[i]; e164 != "" {
				ct.phone = &e164
				byPhone[e164] = append(byPhone[e164], ct)
			} else {
				ct.customFields = withField(ct.customFields, "legacy_phone", raw)
				tr.change(r, "phone %q is not a valid number: kept in custom_fields.legacy_phone", raw)
			}
		}
		ct.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		ct.updatedAt = ct.createdAt
		if times[1] != nil {
			ct.updatedAt = *times[1]
		}
		all = append(all, ct)
		rowOf[r.id] = r
	}

	merged := map[int64]*contactRow{} // merged contact -> its survivor
	for _, ct := range all {
		if ct.phone == nil || len(byPhone[*ct.phone]) < 2 {
			continue
		}
		group := byPhone[*ct.phone]
		delete(byPhone, *ct.phone) // each group once
		slices.SortStableFunc(group, func(a, b *contactRow) int {
			if a.hasCreated != b.hasCreated {
				if a.hasCreated {
					return -1
				}
				return 1
			}
			if c := a.createdAt.Compare(b.createdAt); c != 0 {
				return c
			}
			return cmp.Compare(a.legacyID, b.legacyID)
		})
		survivor := group[0]
		for _, other := range group[1:] {
			merged[other.legacyID] = survivor
			tr.merge(rowOf[other.legacyID], strconv.FormatInt(survivor.legacyID, 10),
				fmt.Sprintf("same phone %s as contact %d once normalised (was %q)", *survivor.phone, survivor.legacyID, rowOf[other.legacyID].cells[2].trimmed()))
			survivor.fill(other)
		}
	}
	for _, ct := range all {
		if survivor := merged[ct.legacyID]; survivor != nil {
			p.contacts.ids[ct.legacyID] = target{id: survivor.id}
			continue
		}
		keep(tr, rowOf[ct.legacyID])
		p.out.contacts = append(p.out.contacts, ct)
		p.contacts.ids[ct.legacyID] = target{id: ct.id}
	}
}

// normalizePhones normalises the phone of each contact row ("" when it has none or it
// is not a valid number), on two goroutines: libphonenumber is most of the time the
// rules take before the first row can be written.
func normalizePhones(rows []row, region string) []string {
	phones := make([]string, len(rows))
	var wg sync.WaitGroup
	for half := range 2 {
		wg.Go(func() {
			for i := half; i < len(rows); i += 2 {
				if raw := rows[i].cells[2].trimmed(); raw != "" {
					phones[i], _ = input.Phone("phone", raw, region)
				}
			}
		})
	}
	wg.Wait()
	return phones
}

// fill completes the survivor of a merge from another contact of the group.
func (c *contactRow) fill(other *contactRow) {
	if c.name == nil {
		c.name = other.name
	}
	if c.email == nil {
		c.email = other.email
	}
	for _, tag := range other.tags {
		if !slices.Contains(c.tags, tag) {
			c.tags = append(c.tags, tag)
		}
	}
	c.customFields = mergeObjects(c.customFields, other.customFields)
	if other.updatedAt.After(c.updatedAt) {
		c.updatedAt = other.updatedAt
	}
}

func optTrimmed(v value) *string {
	if s := v.trimmed(); s != "" {
		return &s
	}
	return nil
}

// planCampaigns maps channel and status words; an empty name becomes "Campanha <id>".
func (p *planner) planCampaigns(rows []row) {
	tr := p.table(campaignsTable, rows)
	for _, r := range rows {
		c := r.cells
		channel, err := campaignChannels.lookup(c[2], "whatsapp")
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		status, err := campaignStatuses.lookup(c[3], "draft")
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		times, err := p.times(r, []string{"scheduled_at", "started_at", "completed_at", "created_at"}, c[6], c[7], c[8], c[9])
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		keep(tr, r)
		name := c[1].trimmed()
		if name == "" {
			name = fmt.Sprintf("Campanha %d", r.id)
			tr.change(r, "name is empty: named %q", name)
		}
		filter, note := parseObject(c[5], "legacy_audience_filter")
		if note != "" {
			tr.change(r, "%s", note)
		}
		cr := campaignRow{
			id: p.id("campaigns", r.id), name: cut(tr, r, "name", name, 200), channel: channel, status: status,
			messageTemplate: c[4].optText(), audienceFilter: filter,
			scheduledAt: times[0], startedAt: times[1], completedAt: times[2],
		}
		cr.createdAt = p.orNow(tr, r, "created_at", times[3], times[0])
		p.out.campaigns = append(p.out.campaigns, cr)
		p.campaigns.ids[r.id] = target{id: cr.id}
	}
}

// planConversations maps the conversation's own columns; last_message_at, unread_count
// and the one-open-conversation rule wait for the messages (finishConversations).
func (p *planner) planConversations(rows []row) {
	tr := p.table(conversationsTable, rows)
	for _, r := range rows {
		c := r.cells
		channel, err := conversationChannels.lookup(c[2], "whatsapp")
		if err != nil {
			p.rejectRef(tr, p.convRefs, r, err.Error())
			continue
		}
		status, err := conversationStatuses.lookup(c[3], "open")
		if err != nil {
			p.rejectRef(tr, p.convRefs, r, err.Error())
			continue
		}
		aiEnabled, ok, err := parseBool(c[5])
		if err != nil {
			p.rejectRef(tr, p.convRefs, r, "ai_enabled "+err.Error())
			continue
		}
		times, err := p.times(r, []string{"created_at"}, c[7])
		if err != nil {
			p.rejectRef(tr, p.convRefs, r, err.Error())
			continue
		}
		// last_message_at is derived data, recomputed from the messages: a bad value
		// is only a fallback lost, not a reason to reject the conversation.
		lastMessageAt, _, lastErr := parseTime(c[6], p.env.loc)
		if lastErr != nil {
			tr.change(r, "last_message_at %v: ignored", lastErr)
		}
		keep(tr, r)
		cv := &conversationRow{
			r: r, id: p.id("conversations", r.id), channel: channel, status: status, aiEnabled: aiEnabled || !ok,
			contactID:      p.contacts.optional(tr, r, "contact_id", c[1]),
			assignedUserID: p.users.optional(tr, r, "assigned_user_id", c[4]),
		}
		var lastPtr *time.Time
		if !lastMessageAt.IsZero() {
			lastPtr = &lastMessageAt
		}
		cv.createdAt = p.orNow(tr, r, "created_at", times[0], lastPtr)
		cv.lastMessageAt = cv.createdAt
		if lastPtr != nil {
			cv.lastMessageAt = *lastPtr
		}
		p.out.conversations = append(p.out.conversations, cv)
		p.convRefs.ids[r.id] = target{id: cv.id}
	}
}

// activeKey is a contact and a channel: the new schema allows one conversation that is
// not closed per activeKey.
type activeKey struct {
	contactID uuid.UUID
	channel   string
}

// startMessages prepares planMessage.
func (p *planner) startMessages() {
	p.messages = p.out.report.Table(messagesTable.name)
	p.convByID = make(map[uuid.UUID]*conversationRow, len(p.out.conversations))
	p.convByLegacy = make(map[int64]*conversationRow, len(p.out.conversations))
	p.byExternalID = map[deliveryKey]delivery{}
	for _, cv := range p.out.conversations {
		p.convByID[cv.id] = cv
		p.convByLegacy[cv.r.id] = cv
	}
}

// predictConversations decides how the conversations are written before their
// messages are planned: with the last_message_at and unread_count that predicted (the
// tallies of predictTallies, by legacy conversation id) gives them, and closed when
// another conversation of the same contact and channel is predicted to stay open.
func (p *planner) predictConversations(predicted map[int64]*tally) {
	for _, cv := range p.out.conversations {
		cv.written = writtenConversation{status: cv.status, lastMessageAt: cv.lastMessageAt}
		if t := predicted[cv.r.id]; t != nil && t.messages > 0 {
			cv.written.lastMessageAt, cv.written.unreadCount = t.lastMessageAt, int32(len(t.unread))
		}
	}
	oneOpenPerContact(p.out.conversations, func(cv *conversationRow) time.Time { return cv.written.lastMessageAt },
		func(cv, _ *conversationRow) { cv.written.status = "closed" })
}

// predictTallies reads the messages' conversation, direction and time (and nothing
// else: a quick pass over the file) and tallies them by legacy conversation id as the
// rules will, except that it rejects and merges no message. It runs while the other
// tables are read, planned and written, so that the conversations, which are written
// before their messages, are written as they will most likely end.
func predictTallies(ctx context.Context, file *legacyFile, loc *time.Location) (map[int64]*tally, error) {
	tallies := map[int64]*tally{}
	err := file.scan(ctx, messageTimesTable, func(batch []row) error {
		for _, r := range batch {
			conversation, ok, err := parseRef(r.cells[1])
			if err != nil || !ok {
				continue
			}
			direction, err := messageDirections.lookup(r.cells[2], "")
			if err != nil {
				continue
			}
			at, ok, err := parseTime(r.cells[3], loc)
			if err != nil || !ok {
				continue
			}
			t := tallies[conversation]
			if t == nil {
				t = &tally{}
				tallies[conversation] = t
			}
			t.add(at, r.id, direction)
		}
		return nil
	})
	return tallies, err
}

// planMessage applies the rules to the next message (they come in id order) and, when
// it is to be written, fills m and returns true. A message without its conversation is
// rejected; a provider message delivered twice (same external_id on the same channel) is
// merged into the first, whose status advances to the furthest of the copies.
func (p *planner) planMessage(r row, m *messageRow) bool {
	tr := p.messages
	tr.Read++
	c := r.cells
	var cv *conversationRow
	if legacyID, ok, err := parseRef(c[1]); err == nil && ok {
		cv = p.convByLegacy[legacyID]
	}
	if cv == nil {
		_, reason := p.convRefs.required("conversation_id", c[1])
		tr.reject(r, reason)
		return false
	}
	direction, err := messageDirections.lookup(c[2], "")
	if err != nil {
		tr.reject(r, err.Error())
		return false
	}
	senderType, err := senderTypes.lookup(c[3], "")
	if err != nil {
		tr.reject(r, err.Error())
		return false
	}
	// The backend stores a received message as delivered; an outbound one without
	// a status had left V1.5, so it was at least sent.
	defaultStatus := "sent"
	if direction == "inbound" {
		defaultStatus = "delivered"
	}
	status, err := messageStatuses.lookup(c[7], defaultStatus)
	if err != nil {
		tr.reject(r, err.Error())
		return false
	}
	createdAt, hasCreated, err := parseTime(c[9], p.env.loc)
	if err != nil {
		tr.reject(r, "created_at "+err.Error())
		return false
	}
	externalID := optTrimmed(c[8])
	if externalID != nil && utf8.RuneCountInString(*externalID) > 255 {
		tr.change(r, "external_id longer than 255 characters: dropped (%q...)", (*externalID)[:40])
		externalID = nil
	}
	var key deliveryKey
	if externalID != nil {
		key = deliveryKey{cv.channel, *externalID}
		if first, dup := p.byExternalID[key]; dup {
			tr.merge(r, strconv.FormatInt(first.legacyID, 10), fmt.Sprintf("same external_id %q on %s as message %d", *externalID, cv.channel, first.legacyID))
			if p.absorb(&first, status, c[5].optText(), mediaOf(c[6])) {
				p.byExternalID[key] = first
			}
			return false
		}
	}
	keep(tr, r)
	*m = messageRow{
		legacyID: r.id, id: p.id("messages", r.id), conversation: cv,
		direction: direction, senderType: senderType, status: status, externalID: externalID,
		senderUserID: p.users.optional(tr, r, "sender_user_id", c[4]),
		content:      c[5].optText(),
		media:        mediaOf(c[6]),
		createdAt:    createdAt,
	}
	if !hasCreated {
		tr.change(r, "created_at is empty: set to its conversation's creation time")
		m.createdAt = cv.createdAt
	}
	if externalID != nil {
		p.byExternalID[key] = delivery{legacyID: r.id, id: m.id, status: status, hasContent: m.content != nil, hasMedia: m.media != nil}
	}
	cv.add(m.createdAt, m.legacyID, m.direction)
	return true
}

// absorb merges a later copy of the same provider message into the message d, which
// was written already: what the copy changes is collected in a messageFix. changed
// says d changed.
func (p *planner) absorb(d *delivery, status string, content *string, media json.RawMessage) (changed bool) {
	var fix messageFix
	if statusAdvances(d.status, status) {
		d.status, changed = status, true
	}
	if !d.hasContent && content != nil {
		d.hasContent, fix.content, changed = true, content, true
	}
	if !d.hasMedia && media != nil {
		d.hasMedia, fix.media, changed = true, media, true
	}
	if !changed {
		return false
	}
	if d.fix == nil {
		d.fix = &messageFix{id: d.id}
		p.out.messageFixes = append(p.out.messageFixes, d.fix)
	}
	d.fix.status = d.status
	if fix.content != nil {
		d.fix.content = fix.content
	}
	if fix.media != nil {
		d.fix.media = fix.media
	}
	return true
}

// mediaOf turns media_url into the media column: a JSON object or array as it is, any
// other text as {"url": text}, empty as NULL.
func mediaOf(v value) json.RawMessage {
	if v.blank() {
		return nil
	}
	s := v.trimmed()
	if json.Valid([]byte(s)) && (s[0] == '{' || s[0] == '[') {
		return compactJSON(s)
	}
	obj, _ := json.Marshal(map[string]string{"url": s})
	return obj
}

// finishConversations makes each conversation agree with its messages, once they are
// all planned: last_message_at is the newest message's time (the legacy value, else the
// creation time, when it has none) and unread_count the inbound messages after the last
// outbound one. Then at most one conversation per contact and channel stays open or
// pending, the new schema's rule: the most recently active keeps its status, the others
// are imported closed.
func (p *planner) finishConversations() {
	tr := p.out.report.Table(conversationsTable.name)
	for _, cv := range p.out.conversations {
		cv.unreadCount, cv.unread = int32(len(cv.unread)), nil
	}
	oneOpenPerContact(p.out.conversations, func(cv *conversationRow) time.Time { return cv.lastMessageAt },
		func(cv, open *conversationRow) {
			tr.change(cv.r, "status %s changed to closed: conversation %d of the same contact on %s is more recent (one open conversation per contact and channel)", cv.status, open.r.id, cv.channel)
			cv.status = "closed"
		})
}

// oneOpenPerContact applies the rule of one conversation not closed per contact and
// channel to convs (by their status): among those of one contact and channel, the one
// with the latest last (then the highest id) stays open, and closeOne is called for
// the others, in order.
func oneOpenPerContact(convs []*conversationRow, last func(*conversationRow) time.Time, closeOne func(cv, open *conversationRow)) {
	active := map[activeKey][]*conversationRow{}
	var keys []activeKey
	for _, cv := range convs {
		if cv.contactID == nil || cv.status == "closed" {
			continue
		}
		key := activeKey{*cv.contactID, cv.channel}
		if _, seen := active[key]; !seen {
			keys = append(keys, key)
		}
		active[key] = append(active[key], cv)
	}
	for _, key := range keys {
		group := active[key]
		slices.SortStableFunc(group, func(a, b *conversationRow) int {
			if c := last(b).Compare(last(a)); c != 0 {
				return c
			}
			return cmp.Compare(b.r.id, a.r.id)
		})
		for _, cv := range group[1:] {
			closeOne(cv, group[0])
		}
	}
}

// completed says whether cv was written as it ends.
func (cv *conversationRow) completed() bool {
	return cv.status == cv.written.status && cv.lastMessageAt.Equal(cv.written.lastMessageAt) && cv.unreadCount == cv.written.unreadCount
}

// planLeads: a lead keeps its row when its contact or owner is gone, the reference
// cleared; a negative position becomes 0.
func (p *planner) planLeads(rows []row) {
	tr := p.table(leadsTable, rows)
	for _, r := range rows {
		c := r.cells
		stage, err := leadStages.lookup(c[2], "new")
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		amount, err := parseMoney(c[3])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		position := int64(0)
		if !c[5].blank() {
			if position, err = strconv.ParseInt(c[5].trimmed(), 10, 32); err != nil {
				tr.reject(r, fmt.Sprintf("position %q is not an integer", c[5].Text))
				continue
			}
		}
		times, err := p.times(r, []string{"created_at", "updated_at"}, c[7], c[8])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		keep(tr, r)
		if position < 0 {
			tr.change(r, "position %d is negative: set to 0", position)
			position = 0
		}
		lead := leadRow{
			id: p.id("leads_pipeline", r.id), stage: stage, value: amount, position: int32(position), notes: c[6].optText(),
			contactID:   p.contacts.optional(tr, r, "contact_id", c[1]),
			ownerUserID: p.users.optional(tr, r, "owner_id", c[4]),
		}
		lead.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		lead.updatedAt = lead.createdAt
		if times[1] != nil {
			lead.updatedAt = *times[1]
		}
		p.out.leads = append(p.out.leads, lead)
	}
}

// planCampaignEvents: an event needs its campaign and its contact; events that repeat
// (campaign, contact, event_type), also after contacts were merged, are merged into the
// earliest.
func (p *planner) planCampaignEvents(rows []row) {
	tr := p.table(campaignEventsTable, rows)
	startOf := map[uuid.UUID]time.Time{}
	for _, cr := range p.out.campaigns {
		startOf[cr.id] = cr.createdAt
		if cr.startedAt != nil {
			startOf[cr.id] = *cr.startedAt
		}
	}
	var events []*campaignEventRow
	rowOf := map[int64]row{}
	for _, r := range rows {
		c := r.cells
		campaignID, reason := p.campaigns.required("campaign_id", c[1])
		if reason != "" {
			tr.reject(r, reason)
			continue
		}
		contactID, reason := p.contacts.required("contact_id", c[2])
		if reason != "" {
			tr.reject(r, reason)
			continue
		}
		eventType, err := campaignEventTypes.lookup(c[3], "")
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		times, err := p.times(r, []string{"occurred_at"}, c[4])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		ev := &campaignEventRow{legacyID: r.id, id: p.id("campaign_events", r.id), campaignID: campaignID, contactID: contactID, eventType: eventType}
		if times[0] != nil {
			ev.occurredAt = *times[0]
		} else {
			ev.occurredAt = startOf[campaignID]
			tr.change(r, "occurred_at is empty: set to the campaign's start")
		}
		var note string
		ev.metadata, note = parseObject(c[5], "legacy_metadata")
		if note != "" {
			tr.change(r, "%s", note)
		}
		events = append(events, ev)
		rowOf[r.id] = r
	}

	// Earliest first, so that the first event of each key survives.
	slices.SortStableFunc(events, func(a, b *campaignEventRow) int {
		if c := a.occurredAt.Compare(b.occurredAt); c != 0 {
			return c
		}
		return cmp.Compare(a.legacyID, b.legacyID)
	})
	first := map[string]*campaignEventRow{}
	for _, ev := range events {
		key := ev.campaignID.String() + ev.contactID.String() + ev.eventType
		if survivor, dup := first[key]; dup {
			tr.merge(rowOf[ev.legacyID], strconv.FormatInt(survivor.legacyID, 10),
				fmt.Sprintf("same campaign, contact and event_type %s as event %d", ev.eventType, survivor.legacyID))
			survivor.metadata = mergeObjects(survivor.metadata, ev.metadata)
			continue
		}
		first[key] = ev
		keep(tr, rowOf[ev.legacyID])
		p.out.events = append(p.out.events, ev)
	}
}

// planAIConfig: the tenant has one AI configuration; when the file has several rows the
// most recently updated one is kept.
func (p *planner) planAIConfig(rows []row) {
	tr := p.table(aiConfigTable, rows)
	var candidates []*aiConfigRow
	for _, r := range rows {
		c := r.cells
		enabled, ok, err := parseBool(c[1])
		if err != nil {
			tr.reject(r, "enabled "+err.Error())
			continue
		}
		times, err := p.times(r, []string{"updated_at"}, c[6])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		temperature := 0.3
		if !c[4].blank() {
			if temperature, err = strconv.ParseFloat(c[4].trimmed(), 64); err != nil {
				tr.reject(r, fmt.Sprintf("temperature %q is not a number", c[4].Text))
				continue
			}
		}
		cfg := &aiConfigRow{r: r, enabled: enabled || !ok, model: c[2].trimmed(), systemPrompt: c[3].Text, temperature: float32(temperature)}
		cfg.updatedAt = p.env.now
		if times[0] != nil {
			cfg.updatedAt = *times[0]
		}
		candidates = append(candidates, cfg)
	}
	slices.SortStableFunc(candidates, func(a, b *aiConfigRow) int {
		if c := b.updatedAt.Compare(a.updatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.r.id, a.r.id)
	})
	for i, cfg := range candidates {
		if i > 0 {
			tr.reject(cfg.r, fmt.Sprintf("superseded by ai_config %d, the most recently updated (one configuration per tenant)", candidates[0].r.id))
			continue
		}
		keep(tr, cfg.r)
		if cfg.model == "" {
			cfg.model = "default"
		}
		cfg.model = cut(tr, cfg.r, "model", cfg.model, 100)
		if cfg.temperature < 0 || cfg.temperature > 2 {
			clamped := min(max(cfg.temperature, 0), 2)
			tr.change(cfg.r, "temperature %g is outside 0..2: set to %g", cfg.temperature, clamped)
			cfg.temperature = clamped
		}
		var note string
		cfg.businessHours, note = parseObject(cfg.r.cells[5], "legacy_business_hours")
		if note != "" {
			tr.change(cfg.r, "%s", note)
		}
		if cfg.r.cells[6].blank() {
			tr.change(cfg.r, "updated_at is empty: set to the import time")
		}
		p.out.aiConfig = cfg
	}
}

// planKnowledge: an empty title becomes "Documento <id>"; content is kept whole.
func (p *planner) planKnowledge(rows []row) {
	tr := p.table(knowledgeTable, rows)
	for _, r := range rows {
		c := r.cells
		times, err := p.times(r, []string{"created_at", "updated_at"}, c[5], c[6])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		keep(tr, r)
		title := c[1].trimmed()
		if title == "" {
			title = fmt.Sprintf("Documento %d", r.id)
			tr.change(r, "title is empty: titled %q", title)
		}
		doc := knowledgeRow{
			id: p.id("knowledge_documents", r.id), title: cut(tr, r, "title", title, 500), content: c[2].Text,
			sourceURL: cutOpt(tr, r, "source_url", optTrimmed(c[3]), 2048), tags: parseTags(c[4]),
		}
		doc.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		doc.updatedAt = doc.createdAt
		if times[1] != nil {
			doc.updatedAt = *times[1]
		}
		p.out.knowledge = append(p.out.knowledge, doc)
	}
}

// planSettings: keys are lower-cased and characters the new key format refuses become
// '_'; a key that still does not fit, or that collides with an earlier one, is rejected.
func (p *planner) planSettings(rows []row) {
	tr := p.table(settingsTable, rows)
	seen := map[string]string{}
	for _, r := range rows {
		key := settingKey(r.key)
		if !validSettingKey(key) {
			tr.reject(r, fmt.Sprintf("key %q cannot be made a settings key (a-z, 0-9, '_', '.', '-', at most 100)", r.key))
			continue
		}
		if earlier, dup := seen[key]; dup {
			tr.reject(r, fmt.Sprintf("key %q becomes %q, as key %q already does", r.key, key, earlier))
			continue
		}
		times, err := p.times(r, []string{"updated_at"}, r.cells[2])
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		seen[key] = r.key
		keep(tr, r)
		if key != r.key {
			tr.change(r, "key renamed to %q", key)
		}
		val, note := parseJSONValue(r.cells[1])
		if note != "" {
			tr.change(r, "%s", note)
		}
		p.out.settings = append(p.out.settings, settingRow{r: r, key: key, value: val, updatedAt: p.orNow(tr, r, "updated_at", times[0])})
	}
}

func settingKey(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '_'
	}, strings.ToLower(strings.TrimSpace(key)))
}

func validSettingKey(key string) bool {
	if key == "" || len(key) > 100 {
		return false
	}
	first := key[0]
	return (first >= 'a' && first <= 'z') || (first >= '0' && first <= '9')
}
