package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

type (
	// conversationRow is a legacy conversation as public.conversations has it. Its
	// last_message_at, unread_count, creation time and status depend on its messages:
	// they are final once every message is planned (messagePlanner.finish).
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
		updatedAt      time.Time // the last message's time, as the import writes it
		// tally counts the messages; its lastMessageAt is the legacy value (else the
		// creation time) until a message comes.
		tally
		// written is what is written before the messages are planned (see
		// writtenConversation).
		written writtenConversation
	}
	// writtenConversation is a conversation as it is written before its messages are
	// planned: the values the messages decide (last_message_at, unread_count, the
	// creation time, and which of the conversations of one contact and channel stays
	// open) are predicted by a quick first pass over the messages (predict.go), and
	// completed after them where the rules made them differ.
	writtenConversation struct {
		status        string
		lastMessageAt time.Time
		unreadCount   int32
		createdAt     time.Time
	}
	// messageRow is a legacy message as public.messages has it.
	messageRow struct {
		legacyID       int64
		id             uuid.UUID
		conversationID uuid.UUID
		channel        string
		direction      string
		senderType     string
		senderUserID   *uuid.UUID
		content        *string
		media          json.RawMessage
		status         string
		externalID     *string
		createdAt      time.Time
	}
	// delivery is a message that has an external_id, as later copies of the same
	// delivery need it: they are merged into it.
	delivery struct {
		legacyID   int64
		id         uuid.UUID
		status     string
		hasContent bool
		hasMedia   bool
		// fix is set once a later copy changed the message after it was planned.
		fix *messageFix
	}
	// messageFix is what the later copies of a delivery changed in a message planned
	// (and possibly written) before them.
	messageFix struct {
		legacyID int64
		id       uuid.UUID
		status   string
		content  *string
		media    json.RawMessage
	}
)

var (
	conversationContactID      = conversationsTable.col("contact_id")
	conversationChannel        = conversationsTable.col("channel")
	conversationStatus         = conversationsTable.col("status")
	conversationAssignedUserID = conversationsTable.col("assigned_user_id")
	conversationAIEnabled      = conversationsTable.col("ai_enabled")
	conversationLastMessageAt  = conversationsTable.col("last_message_at")
	conversationCreatedAt      = conversationsTable.col("created_at")

	messageConversationID = messagesTable.col("conversation_id")
	messageDirection      = messagesTable.col("direction")
	messageSenderType     = messagesTable.col("sender_type")
	messageSenderUserID   = messagesTable.col("sender_user_id")
	messageContent        = messagesTable.col("content")
	messageMediaURL       = messagesTable.col("media_url")
	messageStatus         = messagesTable.col("status")
	messageExternalID     = messagesTable.col("external_id")
	messageCreatedAt      = messagesTable.col("created_at")
)

// planConversations maps the conversation's own columns; what the messages decide waits
// for them (messagePlanner.finish).
func (p *planner) planConversations(rows []row) {
	tr := p.table(conversationsTable, rows)
	for _, r := range rows {
		channel, err := conversationChannels.lookup(r.cell(conversationChannel), "whatsapp")
		if err != nil {
			p.rejectRef(tr, p.conversationRefs, r, err.Error())
			continue
		}
		status, err := conversationStatuses.lookup(r.cell(conversationStatus), "open")
		if err != nil {
			p.rejectRef(tr, p.conversationRefs, r, err.Error())
			continue
		}
		aiEnabled, ok, err := parseBool(r.cell(conversationAIEnabled))
		if err != nil {
			p.rejectRef(tr, p.conversationRefs, r, "ai_enabled "+err.Error())
			continue
		}
		times, err := p.times(r, conversationCreatedAt)
		if err != nil {
			p.rejectRef(tr, p.conversationRefs, r, err.Error())
			continue
		}
		// last_message_at is derived data, recomputed from the messages: a bad value
		// is only a fallback lost, not a reason to reject the conversation.
		lastMessageAt, _, lastErr := parseTime(r.cell(conversationLastMessageAt), p.env.loc)
		if lastErr != nil {
			tr.change(r, "last_message_at %v: ignored", lastErr)
		}
		keep(tr, r)
		cv := &conversationRow{
			r: r, id: p.id(conversationsTable, r.id), channel: channel, status: status, aiEnabled: aiEnabled || !ok,
			contactID:      p.contacts.optional(tr, r, conversationContactID),
			assignedUserID: p.users.optional(tr, r, conversationAssignedUserID),
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
		p.conversationRefs.ids[r.id] = target{id: cv.id}
	}
}

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
// last outbound one are unread (an inbound message adds one, a reply resets). It also
// keeps the first message's time: a conversation cannot start after it.
type tally struct {
	messages       int
	firstMessageAt time.Time
	lastMessageAt  time.Time
	lastOutbound   messageOrder
	// unread are the inbound messages after lastOutbound so far.
	unread []messageOrder
}

func (t *tally) add(at time.Time, legacyID int64, direction string) {
	if t.messages == 0 || at.After(t.lastMessageAt) {
		t.lastMessageAt = at
	}
	if t.messages == 0 || at.Before(t.firstMessageAt) {
		t.firstMessageAt = at
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

// messagePlanner applies the rules to the messages, one by one as they stream from the
// file in id order, so that the rules (and the report) are the same as if they were all
// in memory. What a message changes in rows planned before it (a later copy of the same
// delivery, the tallies of its conversation) is collected as it goes.
type messagePlanner struct {
	tr            *TableReport
	conversations *TableReport
	loc           *time.Location
	ids           idMaker
	users, refs   refs // refs: the conversations'
	all           []*conversationRow
	byLegacyID    map[int64]*conversationRow
	byExternalID  map[deliveryKey]delivery
	fixes         []*messageFix
}

type deliveryKey struct{ channel, externalID string }

// messagePlanner prepares the messages' rules, once the conversations are planned.
func (p *planner) messagePlanner() *messagePlanner {
	mp := &messagePlanner{
		tr:            p.out.report.Table(messagesTable.name),
		conversations: p.out.report.Table(conversationsTable.name),
		loc:           p.env.loc,
		ids:           idMaker{tenantID: p.env.tenantID},
		users:         p.users,
		refs:          p.conversationRefs,
		all:           p.out.conversations,
		byLegacyID:    make(map[int64]*conversationRow, len(p.out.conversations)),
		byExternalID:  make(map[deliveryKey]delivery, p.env.messages),
	}
	for _, cv := range p.out.conversations {
		mp.byLegacyID[cv.r.id] = cv
	}
	return mp
}

// plan applies the rules to the next message (they come in id order) and, when it is
// to be written, fills m and returns true. A message without its conversation is
// rejected; a provider message delivered twice (same external_id on the same channel) is
// merged into the first, whose status advances to the furthest of the copies.
func (mp *messagePlanner) plan(r row, m *messageRow) bool {
	tr := mp.tr
	tr.Read++
	cv, reason := mp.mapMessage(r, tr, m)
	if cv == nil {
		tr.reject(r, reason)
		return false
	}
	var key deliveryKey
	if m.externalID != nil {
		key = deliveryKey{cv.channel, *m.externalID}
		if first, dup := mp.byExternalID[key]; dup {
			tr.merge(r, strconv.FormatInt(first.legacyID, 10), fmt.Sprintf("same external_id %q on %s as message %d", *m.externalID, cv.channel, first.legacyID))
			if mp.absorb(&first, m.status, m.content, m.media) {
				mp.byExternalID[key] = first
			}
			return false
		}
		mp.byExternalID[key] = delivery{legacyID: r.id, id: m.id, status: m.status, hasContent: m.content != nil, hasMedia: m.media != nil}
	}
	keep(tr, r)
	cv.add(m.createdAt, m.legacyID, m.direction)
	return true
}

// replan maps a message planned before, read again from the file, to what plan made of
// it: without a note, a merge or a tally.
func (mp *messagePlanner) replan(r row) (messageRow, bool) {
	var m messageRow
	cv, _ := mp.mapMessage(r, &TableReport{}, &m)
	return m, cv != nil
}

// mapMessage maps r's cells to m, noting on tr what a rule changed, and returns its
// conversation; none, with the reason, when the message is rejected.
func (mp *messagePlanner) mapMessage(r row, tr *TableReport, m *messageRow) (*conversationRow, string) {
	var cv *conversationRow
	if legacyID, ok, err := parseRef(r.cell(messageConversationID)); err == nil && ok {
		cv = mp.byLegacyID[legacyID]
	}
	if cv == nil {
		_, reason := mp.refs.required(r, messageConversationID)
		return nil, reason
	}
	direction, err := messageDirections.lookup(r.cell(messageDirection), "")
	if err != nil {
		return nil, err.Error()
	}
	senderType, err := senderTypes.lookup(r.cell(messageSenderType), "")
	if err != nil {
		return nil, err.Error()
	}
	// The backend stores a received message as delivered; an outbound one without
	// a status had left V1.5, so it was at least sent.
	defaultStatus := "sent"
	if direction == "inbound" {
		defaultStatus = "delivered"
	}
	status, err := messageStatuses.lookup(r.cell(messageStatus), defaultStatus)
	if err != nil {
		return nil, err.Error()
	}
	createdAt, hasCreated, err := parseTime(r.cell(messageCreatedAt), mp.loc)
	if err != nil {
		return nil, "created_at " + err.Error()
	}
	externalID := optTrimmed(r.cell(messageExternalID))
	if externalID != nil && utf8.RuneCountInString(*externalID) > 255 {
		tr.change(r, "external_id longer than 255 characters: dropped (%q...)", (*externalID)[:40])
		externalID = nil
	}
	*m = messageRow{
		legacyID: r.id, id: mp.ids.id(messagesTable.name, r.id), conversationID: cv.id, channel: cv.channel,
		direction: direction, senderType: senderType, status: status, externalID: externalID,
		senderUserID: mp.users.optional(tr, r, messageSenderUserID),
		content:      r.cell(messageContent).optText(),
		media:        mediaOf(r.cell(messageMediaURL)),
		createdAt:    createdAt,
	}
	if !hasCreated {
		tr.change(r, "created_at is empty: set to its conversation's creation time")
		m.createdAt = cv.createdAt
	}
	return cv, ""
}

// absorb merges a later copy of the same provider message into the message d, which
// was planned already: what the copy changes is collected in a messageFix. changed
// says d changed.
func (mp *messagePlanner) absorb(d *delivery, status string, content *string, media json.RawMessage) (changed bool) {
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
		d.fix = &messageFix{legacyID: d.legacyID, id: d.id}
		mp.fixes = append(mp.fixes, d.fix)
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

// apply gives m what later copies of its delivery changed.
func (f *messageFix) apply(m *messageRow) {
	m.status = f.status
	if f.content != nil {
		m.content = f.content
	}
	if f.media != nil {
		m.media = f.media
	}
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

// finish makes each conversation agree with its messages, once they are all planned:
// last_message_at is the newest message's time (the legacy value, else the creation
// time, when it has none), unread_count the inbound messages after the last outbound
// one, and the creation time no later than the first message (or, without messages,
// than last_message_at). Then at most one conversation per contact and channel stays
// open or pending, the new schema's rule: the most recently active keeps its status, the
// others are imported closed.
func (mp *messagePlanner) finish() {
	tr := mp.conversations
	for _, cv := range mp.all {
		cv.unreadCount, cv.unread, cv.updatedAt = int32(len(cv.unread)), nil, cv.lastMessageAt
		if start := cv.start(); start.Before(cv.createdAt) {
			tr.change(cv.r, "created_at %s is after its %s (%s): set to it", formatTime(cv.createdAt), cv.startName(), formatTime(start))
			cv.createdAt = start
		}
	}
	oneOpenPerContact(mp.all, func(cv *conversationRow) time.Time { return cv.lastMessageAt },
		func(cv, open *conversationRow) {
			tr.change(cv.r, "status %s changed to closed: conversation %d of the same contact on %s is more recent (one open conversation per contact and channel)", cv.status, open.r.id, cv.channel)
			cv.status = "closed"
		})
}

// start is the earliest a conversation can have started: its first message, or without
// messages its last_message_at.
func (t tally) start() time.Time {
	if t.messages > 0 {
		return t.firstMessageAt
	}
	return t.lastMessageAt
}

func (t tally) startName() string {
	if t.messages > 0 {
		return "first message"
	}
	return "last_message_at"
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999Z07:00") }

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

// activeKey is a contact and a channel: the new schema allows one conversation that is
// not closed per activeKey.
type activeKey struct {
	contactID uuid.UUID
	channel   string
}

// completed says whether cv was written as it ends.
func (cv *conversationRow) completed() bool {
	w := cv.written
	return cv.status == w.status && cv.lastMessageAt.Equal(w.lastMessageAt) && cv.unreadCount == w.unreadCount && cv.createdAt.Equal(w.createdAt)
}
