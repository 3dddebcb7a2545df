package legacy

import (
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// What each planned row is in its V1.6 table: its key, its mapped values (the columns
// the import writes, in a fixed order: the fingerprint and the reports read them), and
// the values COPY sends.

// plannedRow is a row the rules planned.
type plannedRow interface {
	mappedRow
	key() rowKey
}

func (u *userRow) key() rowKey { return rowKey{id: u.legacyID} }

func (u *userRow) values(m *mapped) {
	m.str("email", u.email)
	m.str("encrypted_password", u.passwordHash)
	m.optStr("full_name", u.fullName)
	m.str("role", u.role)
	m.optTime("banned_until", u.bannedUntil)
	m.time("created_at", u.createdAt)
}

func (c *contactRow) key() rowKey { return rowKey{id: c.legacyID} }

func (c *contactRow) values(m *mapped) {
	m.optStr("name", c.name)
	m.optStr("phone", c.phone)
	m.optStr("email", c.email)
	m.strs("tags", c.tags)
	m.json("custom_fields", c.customFields)
	m.time("created_at", c.createdAt)
	m.time("updated_at", c.updatedAt)
}

var contactColumns = []string{"tenant_id", "id", "name", "phone", "email", "tags", "custom_fields", "created_at", "updated_at"}

func (c *contactRow) copyValues(tenant pgtype.UUID) []any {
	return []any{tenant, pgUUID(c.id), optText(c.name), optText(c.phone), optText(c.email), c.tags, c.customFields, c.createdAt, c.updatedAt}
}

func (c *campaignRow) key() rowKey { return rowKey{id: c.legacyID} }

func (c *campaignRow) values(m *mapped) {
	m.str("name", c.name)
	m.str("channel", c.channel)
	m.str("status", c.status)
	m.optStr("message_template", c.messageTemplate)
	m.json("audience_filter", c.audienceFilter)
	m.optTime("scheduled_at", c.scheduledAt)
	m.optTime("started_at", c.startedAt)
	m.optTime("completed_at", c.completedAt)
	m.time("created_at", c.createdAt)
	m.time("updated_at", c.updatedAt)
}

var campaignColumns = []string{"tenant_id", "id", "name", "channel", "status", "message_template", "audience_filter",
	"scheduled_at", "started_at", "completed_at", "created_at", "updated_at"}

func (c *campaignRow) copyValues(tenant pgtype.UUID) []any {
	return []any{tenant, pgUUID(c.id), c.name, c.channel, c.status, optText(c.messageTemplate), c.audienceFilter,
		c.scheduledAt, c.startedAt, c.completedAt, c.createdAt, c.updatedAt}
}

func (e *campaignEventRow) key() rowKey { return rowKey{id: e.legacyID} }

func (e *campaignEventRow) values(m *mapped) {
	m.id("campaign_id", e.campaignID)
	m.id("contact_id", e.contactID)
	m.str("event_type", e.eventType)
	m.time("occurred_at", e.occurredAt)
	m.json("metadata", e.metadata)
}

var campaignEventColumns = []string{"tenant_id", "id", "campaign_id", "contact_id", "event_type", "occurred_at", "metadata"}

func (e *campaignEventRow) copyValues(tenant pgtype.UUID) []any {
	return []any{tenant, pgUUID(e.id), pgUUID(e.campaignID), pgUUID(e.contactID), e.eventType, e.occurredAt, e.metadata}
}

func (cv *conversationRow) key() rowKey { return rowKey{id: cv.r.id} }

// values are the conversation as it ends (messagePlanner.finish): its updated_at is its
// last message's time, as the import writes it.
func (cv *conversationRow) values(m *mapped) {
	m.optID("contact_id", cv.contactID)
	m.str("channel", cv.channel)
	m.str("status", cv.status)
	m.optID("assigned_user_id", cv.assignedUserID)
	m.boolean("ai_enabled", cv.aiEnabled)
	m.time("last_message_at", cv.lastMessageAt)
	m.integer("unread_count", int64(cv.unreadCount))
	m.time("created_at", cv.createdAt)
	m.time("updated_at", cv.updatedAt)
}

var conversationColumns = []string{"tenant_id", "id", "contact_id", "channel", "status", "assigned_user_id", "ai_enabled",
	"last_message_at", "unread_count", "created_at", "updated_at"}

// copyValues are the conversation as it is written before its messages (written).
func (cv *conversationRow) copyValues(tenant pgtype.UUID) []any {
	w := cv.written
	return []any{tenant, pgUUID(cv.id), optUUID(cv.contactID), cv.channel, w.status, optUUID(cv.assignedUserID), cv.aiEnabled,
		w.lastMessageAt, w.unreadCount, w.createdAt, w.lastMessageAt}
}

func (m *messageRow) key() rowKey { return rowKey{id: m.legacyID} }

// values: the status is outside the record, since both V1.5 and V1.6 move it, forward
// only (a sync merges them: LegacyMessagesUpdate).
func (msg *messageRow) values(m *mapped) {
	m.id("conversation_id", msg.conversationID)
	m.str("channel", msg.channel)
	m.str("direction", msg.direction)
	m.str("sender_type", msg.senderType)
	m.optID("sender_user_id", msg.senderUserID)
	m.optStr("content", msg.content)
	m.json("media", msg.media)
	m.optStr("external_id", msg.externalID)
	m.time("created_at", msg.createdAt)
	m.outsideRecord()
	m.str("status", msg.status)
}

var messageColumns = []string{"tenant_id", "id", "conversation_id", "channel", "direction", "sender_type", "sender_user_id",
	"content", "media", "status", "external_id", "created_at"}

// appendCopyValues appends the message's COPY values to values: it runs a million times,
// into one slice.
func (msg *messageRow) appendCopyValues(values []any, tenant pgtype.UUID) []any {
	return append(values, tenant, pgUUID(msg.id), pgUUID(msg.conversationID), msg.channel, msg.direction, msg.senderType,
		optUUID(msg.senderUserID), optText(msg.content), jsonOrNull(msg.media), msg.status, optText(msg.externalID), msg.createdAt)
}

func (l *leadRow) key() rowKey { return rowKey{id: l.legacyID} }

func (l *leadRow) values(m *mapped) {
	m.optID("contact_id", l.contactID)
	m.str("stage", l.stage)
	m.numeric("value", l.value)
	m.optID("owner_user_id", l.ownerUserID)
	m.integer("position", int64(l.position))
	m.optStr("notes", l.notes)
	m.time("created_at", l.createdAt)
	m.time("updated_at", l.updatedAt)
}

var leadColumns = []string{"tenant_id", "id", "contact_id", "stage", "value", "owner_user_id", "position", "notes", "created_at", "updated_at"}

func (l *leadRow) copyValues(tenant pgtype.UUID) []any {
	return []any{tenant, pgUUID(l.id), optUUID(l.contactID), l.stage, l.value, optUUID(l.ownerUserID), l.position, optText(l.notes), l.createdAt, l.updatedAt}
}

// aiConfigKey is the key of the tenant's one AI configuration, whichever legacy row it
// came from.
var aiConfigKey = rowKey{name: "ai_config"}

func (c *aiConfigRow) key() rowKey { return aiConfigKey }

func (c *aiConfigRow) values(m *mapped) {
	m.boolean("enabled", c.enabled)
	m.str("model", c.model)
	m.str("system_prompt", c.systemPrompt)
	m.real("temperature", c.temperature)
	m.json("business_hours", c.businessHours)
	m.time("updated_at", c.updatedAt)
}

func (d *knowledgeRow) key() rowKey { return rowKey{id: d.legacyID} }

func (d *knowledgeRow) values(m *mapped) {
	m.str("title", d.title)
	m.str("content", d.content)
	m.optStr("source_url", d.sourceURL)
	m.strs("tags", d.tags)
	m.time("created_at", d.createdAt)
	m.time("updated_at", d.updatedAt)
}

var knowledgeColumns = []string{"tenant_id", "id", "title", "content", "source_url", "tags", "created_at", "updated_at"}

func (d *knowledgeRow) copyValues(tenant pgtype.UUID) []any {
	return []any{tenant, pgUUID(d.id), d.title, d.content, optText(d.sourceURL), d.tags, d.createdAt, d.updatedAt}
}

func (s *settingRow) key() rowKey { return rowKey{name: s.name} }

func (s *settingRow) values(m *mapped) {
	m.json("value", s.value)
	m.time("updated_at", s.updatedAt)
}

// pgUUID, optUUID and optText hand pgx the types it encodes without reflection, which
// counts at a million rows.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func optUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgUUID(*id)
}

func optText(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

// jsonOrNull passes a JSON document to pgx, or SQL NULL for none.
func jsonOrNull(doc json.RawMessage) any {
	if doc == nil {
		return nil
	}
	return doc
}
