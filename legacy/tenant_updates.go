package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// The rows a sync writes, as the JSON records the Legacy…Update queries read with
// jsonb_to_recordset. Times are given as PostgreSQL keeps them (to the microsecond, as
// pgx sends them to COPY), so that a row updated and a row copied are alike.

type (
	contactRecord struct {
		ID           uuid.UUID       `json:"id"`
		Name         *string         `json:"name"`
		Phone        *string         `json:"phone"`
		Email        *string         `json:"email"`
		Tags         []string        `json:"tags"`
		CustomFields json.RawMessage `json:"custom_fields"`
		CreatedAt    time.Time       `json:"created_at"`
		UpdatedAt    time.Time       `json:"updated_at"`
	}
	conversationRecord struct {
		ID             uuid.UUID  `json:"id"`
		ContactID      *uuid.UUID `json:"contact_id"`
		Channel        string     `json:"channel"`
		Status         string     `json:"status"`
		AssignedUserID *uuid.UUID `json:"assigned_user_id"`
		AIEnabled      bool       `json:"ai_enabled"`
		LastMessageAt  time.Time  `json:"last_message_at"`
		UnreadCount    int32      `json:"unread_count"`
		CreatedAt      time.Time  `json:"created_at"`
		UpdatedAt      time.Time  `json:"updated_at"`
	}
	// followRecord is what a sync's messages make of a conversation V1.6 changed.
	followRecord struct {
		ID            uuid.UUID `json:"id"`
		LastMessageAt time.Time `json:"last_message_at"`
		UnreadCount   int32     `json:"unread_count"`
	}
	messageRecord struct {
		ID             uuid.UUID       `json:"id"`
		ConversationID uuid.UUID       `json:"conversation_id"`
		Channel        string          `json:"channel"`
		Direction      string          `json:"direction"`
		SenderType     string          `json:"sender_type"`
		SenderUserID   *uuid.UUID      `json:"sender_user_id"`
		Content        *string         `json:"content"`
		Media          json.RawMessage `json:"media,omitempty"` // left out for NULL
		Status         string          `json:"status"`
		ExternalID     *string         `json:"external_id"`
		CreatedAt      time.Time       `json:"created_at"`
	}
	// deliveryRecord is what later copies of a delivery changed in a message.
	deliveryRecord struct {
		ID      uuid.UUID       `json:"id"`
		Status  string          `json:"status"`
		Content *string         `json:"content"`
		Media   json.RawMessage `json:"media,omitempty"`
	}
	leadRecord struct {
		ID          uuid.UUID      `json:"id"`
		ContactID   *uuid.UUID     `json:"contact_id"`
		Stage       string         `json:"stage"`
		Value       pgtype.Numeric `json:"value"`
		OwnerUserID *uuid.UUID     `json:"owner_user_id"`
		Position    int32          `json:"position"`
		Notes       *string        `json:"notes"`
		CreatedAt   time.Time      `json:"created_at"`
		UpdatedAt   time.Time      `json:"updated_at"`
	}
	campaignEventRecord struct {
		ID         uuid.UUID       `json:"id"`
		CampaignID uuid.UUID       `json:"campaign_id"`
		ContactID  uuid.UUID       `json:"contact_id"`
		EventType  string          `json:"event_type"`
		OccurredAt time.Time       `json:"occurred_at"`
		Metadata   json.RawMessage `json:"metadata"`
	}
	knowledgeRecord struct {
		ID        uuid.UUID `json:"id"`
		Title     string    `json:"title"`
		Content   string    `json:"content"`
		SourceURL *string   `json:"source_url"`
		Tags      []string  `json:"tags"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	settingRecord struct {
		Key       string    `json:"key"`
		Value     string    `json:"value"` // the JSON text: a JSON null here would be SQL NULL
		UpdatedAt time.Time `json:"updated_at"`
	}
)

func (c *contactRow) record() any {
	return contactRecord{c.id, c.name, c.phone, c.email, c.tags, c.customFields, pgTime(c.createdAt), pgTime(c.updatedAt)}
}

func (cv *conversationRow) record() any {
	return conversationRecord{cv.id, cv.contactID, cv.channel, cv.status, cv.assignedUserID, cv.aiEnabled,
		pgTime(cv.lastMessageAt), cv.unreadCount, pgTime(cv.createdAt), pgTime(cv.updatedAt)}
}

func (msg *messageRow) record() any {
	return messageRecord{msg.id, msg.conversationID, msg.channel, msg.direction, msg.senderType, msg.senderUserID,
		msg.content, msg.media, msg.status, msg.externalID, pgTime(msg.createdAt)}
}

func (l *leadRow) record() any {
	return leadRecord{l.id, l.contactID, l.stage, l.value, l.ownerUserID, l.position, l.notes, pgTime(l.createdAt), pgTime(l.updatedAt)}
}

func (e *campaignEventRow) record() any {
	return campaignEventRecord{e.id, e.campaignID, e.contactID, e.eventType, pgTime(e.occurredAt), e.metadata}
}

func (d *knowledgeRow) record() any {
	return knowledgeRecord{d.id, d.title, d.content, d.sourceURL, d.tags, pgTime(d.createdAt), pgTime(d.updatedAt)}
}

func (s *settingRow) record() any { return settingRecord{s.name, string(s.value), pgTime(s.updatedAt)} }

// records encodes rows' records as one JSON array.
func records[R interface{ record() any }](rows []R) ([]byte, error) {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	doc, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode rows: %w", err)
	}
	return doc, nil
}

// update writes rows of table (plannedRows of its type) over the tenant's.
func (t *tenantRows) update(ctx context.Context, table legacyTable, rows []plannedRow) error {
	if len(rows) == 0 {
		return nil
	}
	var err error
	switch table.name {
	case usersTable.name:
		err = t.updateUsers(ctx, rowsOf[*userRow](rows))
	case contactsTable.name:
		err = updateWith(ctx, rowsOf[*contactRow](rows), func(doc []byte) error {
			return t.q.LegacyContactsUpdate(ctx, db.LegacyContactsUpdateParams{Rows: doc, TenantID: t.id})
		})
	case campaignsTable.name:
		err = t.updateCampaigns(ctx, rowsOf[*campaignRow](rows))
	case conversationsTable.name:
		err = t.updateConversations(ctx, rowsOf[*conversationRow](rows))
	case messagesTable.name:
		err = updateWith(ctx, rowsOf[*messageRow](rows), func(doc []byte) error {
			return t.q.LegacyMessagesUpdate(ctx, db.LegacyMessagesUpdateParams{Rows: doc, TenantID: t.id})
		})
	case leadsTable.name:
		err = updateWith(ctx, rowsOf[*leadRow](rows), func(doc []byte) error {
			return t.q.LegacyLeadsUpdate(ctx, db.LegacyLeadsUpdateParams{Rows: doc, TenantID: t.id})
		})
	case campaignEventsTable.name:
		err = updateWith(ctx, rowsOf[*campaignEventRow](rows), func(doc []byte) error {
			return t.q.LegacyCampaignEventsUpdate(ctx, db.LegacyCampaignEventsUpdateParams{Rows: doc, TenantID: t.id})
		})
	case aiConfigTable.name:
		cfg := rows[0].(*aiConfigRow)
		err = t.q.LegacyAIConfigUpdate(ctx, db.LegacyAIConfigUpdateParams{Enabled: cfg.enabled, Model: cfg.model,
			SystemPrompt: cfg.systemPrompt, Temperature: cfg.temperature, BusinessHours: cfg.businessHours,
			UpdatedAt: cfg.updatedAt, TenantID: t.id})
	case knowledgeTable.name:
		err = updateWith(ctx, rowsOf[*knowledgeRow](rows), func(doc []byte) error {
			return t.q.LegacyKnowledgeUpdate(ctx, db.LegacyKnowledgeUpdateParams{Rows: doc, TenantID: t.id})
		})
	case settingsTable.name:
		err = updateWith(ctx, rowsOf[*settingRow](rows), func(doc []byte) error {
			return t.q.LegacySettingsUpdate(ctx, db.LegacySettingsUpdateParams{Rows: doc, TenantID: t.id})
		})
	default:
		err = errors.New("not a table the import writes")
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", table.name, err)
	}
	return nil
}

func rowsOf[R plannedRow](rows []plannedRow) []R {
	out := make([]R, len(rows))
	for i, r := range rows {
		out[i] = r.(R)
	}
	return out
}

func updateWith[R interface{ record() any }](ctx context.Context, rows []R, query func([]byte) error) error {
	doc, err := records(rows)
	if err != nil {
		return err
	}
	return query(doc)
}

// updateConversations writes conversations, those that close first, so that one contact
// and channel never has two that are not closed.
func (t *tenantRows) updateConversations(ctx context.Context, convs []*conversationRow) error {
	var closing, others []*conversationRow
	for _, cv := range convs {
		if cv.status == "closed" {
			closing = append(closing, cv)
		} else {
			others = append(others, cv)
		}
	}
	for _, group := range [][]*conversationRow{closing, others} {
		if len(group) == 0 {
			continue
		}
		err := updateWith(ctx, group, func(doc []byte) error {
			return t.q.LegacyConversationsUpdate(ctx, db.LegacyConversationsUpdateParams{Rows: doc, TenantID: t.id})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// updateCampaigns writes campaigns as the lifecycle trigger lets them change
// (private.enforce_campaign_lifecycle): their channel, message, audience and schedule
// only while a draft or scheduled (else the tenant's stay), their status along draft or
// scheduled → running → completed or cancelled (V1.5's draft → completed goes through
// running), started_at and completed_at before the status moves, so that the trigger,
// which stamps them only when empty, keeps V1.5's. What the lifecycle refuses stays as
// the tenant has it; the caller reads the rows back and reports it.
func (t *tenantRows) updateCampaigns(ctx context.Context, campaigns []*campaignRow) error {
	current, err := t.read(ctx, campaignsTable, keysOf(campaigns))
	if err != nil {
		return err
	}
	var m, n mapped
	for _, c := range campaigns {
		now, ok := current[c.key()].(*campaignRow)
		if !ok {
			continue // V1.6 deleted it meanwhile
		}
		// The columns the lifecycle lets change now, at the status the campaign has.
		next := *c
		next.status = now.status
		if !campaignEditable(now.status) {
			next.channel, next.messageTemplate, next.audienceFilter, next.scheduledAt = now.channel, now.messageTemplate, now.audienceFilter, now.scheduledAt
		}
		// An update of a completed campaign stamps an empty completed_at: none is made
		// when nothing it may change did.
		if m.of(&next, false).print() != n.of(now, false).print() {
			err := t.q.LegacyCampaignUpdate(ctx, db.LegacyCampaignUpdateParams{Name: next.name, Channel: db.Channel(next.channel),
				MessageTemplate: next.messageTemplate, AudienceFilter: next.audienceFilter, ScheduledAt: next.scheduledAt,
				StartedAt: next.startedAt, CompletedAt: next.completedAt, CreatedAt: next.createdAt, UpdatedAt: next.updatedAt,
				TenantID: t.id, ID: c.id})
			if err != nil {
				return err
			}
		}
		for _, status := range campaignPath(now.status, c.status) {
			if err := t.q.LegacyCampaignSetStatus(ctx, db.LegacyCampaignSetStatusParams{Status: db.CampaignStatus(status), TenantID: t.id, ID: c.id}); err != nil {
				return err
			}
		}
	}
	return nil
}

// campaignEditable says whether a campaign's content may change.
func campaignEditable(status string) bool { return status == "draft" || status == "scheduled" }

// campaignPath is the statuses a campaign goes through from one to another, as the
// lifecycle allows; none when it does not.
func campaignPath(from, to string) []string {
	switch {
	case from == to:
		return nil
	case campaignEditable(from) && to != "completed":
		return []string{to}
	case campaignEditable(from):
		return []string{"running", "completed"}
	case from == "running" && (to == "completed" || to == "cancelled"):
		return []string{to}
	}
	return nil
}

func keysOf[R plannedRow](rows []R) []rowKey {
	keys := make([]rowKey, len(rows))
	for i, r := range rows {
		keys[i] = r.key()
	}
	return keys
}

// follow writes what a sync's messages made of conversations V1.6 changed.
func (t *tenantRows) follow(ctx context.Context, rows []followRecord) error {
	if len(rows) == 0 {
		return nil
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode rows: %w", err)
	}
	if err := t.q.LegacyConversationsFollow(ctx, db.LegacyConversationsFollowParams{Rows: doc, TenantID: t.id}); err != nil {
		return fmt.Errorf("update conversations: %w", err)
	}
	return nil
}

// mergeDeliveries writes what later copies of a delivery changed in messages written
// before them.
func (t *tenantRows) mergeDeliveries(ctx context.Context, fixes []*messageFix) error {
	if len(fixes) == 0 {
		return nil
	}
	rows := make([]deliveryRecord, len(fixes))
	for i, f := range fixes {
		rows[i] = deliveryRecord{f.id, f.status, f.content, f.media}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode rows: %w", err)
	}
	if err := t.q.LegacyMessagesMergeDeliveries(ctx, db.LegacyMessagesMergeDeliveriesParams{Rows: doc, TenantID: t.id}); err != nil {
		return fmt.Errorf("merge repeated deliveries into public.messages: %w", err)
	}
	return nil
}
