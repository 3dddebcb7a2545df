package legacy

import (
	"context"
	"errors"
	"fmt"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// tenantRows reads and writes the tenant's rows inside the import's transaction: the
// rows a run compares with the file, and the updates and deletes a sync makes.
type tenantRows struct {
	tx  pgx.Tx
	q   *db.Queries
	id  uuid.UUID
	ids idMaker
	// fetched counts the rows read (but for the fingerprints): a run reads only the rows
	// that changed in V1.5.
	fetched int
}

func newTenantRows(tx pgx.Tx, tenantID uuid.UUID) *tenantRows {
	return &tenantRows{tx: tx, q: db.New(tx), id: tenantID, ids: idMaker{tenantID: tenantID}}
}

// rowID is the id in the tenant of table's row key.
func (t *tenantRows) rowID(table legacyTable, key rowKey) uuid.UUID {
	return t.ids.id(table.name, key.id)
}

// readBatch is how many rows one read asks for.
const readBatch = 10_000

// idsParams are the parameters of every Legacy…ByID and Legacy…Delete query, as sqlc
// writes them: the tenant, and the rows' ids.
type idsParams = struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	Ids      []uuid.UUID `json:"ids"`
}

// byIDs adapts such a query to the tenant's rows of ids.
func byIDs[P ~idsParams, R any](t *tenantRows, query func(context.Context, P) ([]R, error)) func(context.Context, []uuid.UUID) ([]R, error) {
	return func(ctx context.Context, ids []uuid.UUID) ([]R, error) {
		return query(ctx, P{TenantID: t.id, Ids: ids})
	}
}

// read returns the tenant's rows of table's keys, by key; a key the tenant has no row of
// is absent.
func (t *tenantRows) read(ctx context.Context, table legacyTable, keys []rowKey) (map[rowKey]mappedRow, error) {
	switch table.name {
	case usersTable.name:
		return readByID(ctx, t, table, keys, func(ctx context.Context, ids []uuid.UUID) ([]userRow, error) {
			return usersByID(ctx, t.tx, t.id, ids)
		}, func(u userRow) uuid.UUID { return u.id }, func(u userRow) mappedRow { return &u })
	case contactsTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyContactsByID), func(r db.LegacyContactsByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyContactsByIDRow) mappedRow {
				return &contactRow{id: r.ID, name: r.Name, phone: r.Phone, email: r.Email, tags: r.Tags, customFields: r.CustomFields,
					createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
			})
	case campaignsTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyCampaignsByID), func(r db.LegacyCampaignsByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyCampaignsByIDRow) mappedRow {
				return &campaignRow{id: r.ID, name: r.Name, channel: string(r.Channel), status: string(r.Status), messageTemplate: r.MessageTemplate,
					audienceFilter: r.AudienceFilter, scheduledAt: r.ScheduledAt, startedAt: r.StartedAt, completedAt: r.CompletedAt,
					createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
			})
	case conversationsTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyConversationsByID), func(r db.LegacyConversationsByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyConversationsByIDRow) mappedRow {
				cv := &conversationRow{id: r.ID, contactID: r.ContactID, channel: string(r.Channel), status: string(r.Status),
					assignedUserID: r.AssignedUserID, aiEnabled: r.AiEnabled, unreadCount: r.UnreadCount, createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
				cv.lastMessageAt = r.LastMessageAt
				return cv
			})
	case messagesTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyMessagesByID), func(r db.LegacyMessagesByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyMessagesByIDRow) mappedRow {
				return &messageRow{id: r.ID, conversationID: r.ConversationID, channel: string(r.Channel), direction: string(r.Direction),
					senderType: string(r.SenderType), senderUserID: r.SenderUserID, content: r.Content, media: r.Media,
					status: string(r.Status), externalID: r.ExternalID, createdAt: r.CreatedAt}
			})
	case leadsTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyLeadsByID), func(r db.LegacyLeadsByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyLeadsByIDRow) mappedRow {
				return &leadRow{id: r.ID, contactID: r.ContactID, stage: string(r.Stage), value: r.Value, ownerUserID: r.OwnerUserID,
					position: r.Position, notes: r.Notes, createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
			})
	case campaignEventsTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyCampaignEventsByID), func(r db.LegacyCampaignEventsByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyCampaignEventsByIDRow) mappedRow {
				return &campaignEventRow{id: r.ID, campaignID: r.CampaignID, contactID: r.ContactID, eventType: string(r.EventType),
					occurredAt: r.OccurredAt, metadata: r.Metadata}
			})
	case knowledgeTable.name:
		return readByID(ctx, t, table, keys, byIDs(t, t.q.LegacyKnowledgeByID), func(r db.LegacyKnowledgeByIDRow) uuid.UUID { return r.ID },
			func(r db.LegacyKnowledgeByIDRow) mappedRow {
				return &knowledgeRow{id: r.ID, title: r.Title, content: r.Content, sourceURL: r.SourceUrl, tags: r.Tags,
					createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
			})
	case aiConfigTable.name:
		cfg, err := t.q.LegacyAIConfigGet(ctx, t.id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return map[rowKey]mappedRow{}, nil
		case err != nil:
			return nil, fmt.Errorf("read ai_config: %w", err)
		}
		t.fetched++
		return map[rowKey]mappedRow{aiConfigKey: &aiConfigRow{enabled: cfg.Enabled, model: cfg.Model, systemPrompt: cfg.SystemPrompt,
			temperature: cfg.Temperature, businessHours: cfg.BusinessHours, updatedAt: cfg.UpdatedAt}}, nil
	case settingsTable.name:
		settings, err := t.q.LegacySettingsByKey(ctx, db.LegacySettingsByKeyParams{TenantID: t.id, Keys: names(keys)})
		if err != nil {
			return nil, fmt.Errorf("read system_settings: %w", err)
		}
		t.fetched += len(settings)
		out := make(map[rowKey]mappedRow, len(settings))
		for _, s := range settings {
			out[rowKey{name: s.Key}] = &settingRow{name: s.Key, value: s.Value, updatedAt: s.UpdatedAt}
		}
		return out, nil
	}
	return nil, fmt.Errorf("read %s: not a table the import writes", table.name)
}

// names are the keys' names: the settings' keys.
func names(keys []rowKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

// readByID reads the rows of keys through query, by their ids, readBatch at a time.
func readByID[R any](ctx context.Context, t *tenantRows, table legacyTable, keys []rowKey,
	query func(context.Context, []uuid.UUID) ([]R, error), idOf func(R) uuid.UUID, row func(R) mappedRow) (map[rowKey]mappedRow, error) {
	out := make(map[rowKey]mappedRow, len(keys))
	keyOf := make(map[uuid.UUID]rowKey, min(len(keys), readBatch))
	for start := 0; start < len(keys); start += readBatch {
		clear(keyOf)
		batch := keys[start:min(len(keys), start+readBatch)]
		ids := make([]uuid.UUID, len(batch))
		for i, k := range batch {
			ids[i] = t.rowID(table, k)
			keyOf[ids[i]] = k
		}
		rows, err := query(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table.name, err)
		}
		for _, r := range rows {
			out[keyOf[idOf(r)]] = row(r)
		}
		t.fetched += len(rows)
	}
	return out, nil
}

// remove deletes the rows of keys, as far as nothing in the tenant depends on them, and
// returns those it deleted. Users and the AI configuration are never removed.
func (t *tenantRows) remove(ctx context.Context, table legacyTable, keys []rowKey) ([]rowKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if table.name == settingsTable.name {
		removed, err := t.q.LegacySettingsDelete(ctx, db.LegacySettingsDeleteParams{TenantID: t.id, Keys: names(keys)})
		if err != nil {
			return nil, fmt.Errorf("delete from system_settings: %w", err)
		}
		out := make([]rowKey, len(removed))
		for i, name := range removed {
			out[i] = rowKey{name: name}
		}
		return out, nil
	}
	query, ok := map[string]func(context.Context, []uuid.UUID) ([]uuid.UUID, error){
		contactsTable.name:       byIDs(t, t.q.LegacyContactsDelete),
		campaignsTable.name:      byIDs(t, t.q.LegacyCampaignsDelete),
		conversationsTable.name:  byIDs(t, t.q.LegacyConversationsDelete),
		messagesTable.name:       byIDs(t, t.q.LegacyMessagesDelete),
		leadsTable.name:          byIDs(t, t.q.LegacyLeadsDelete),
		campaignEventsTable.name: byIDs(t, t.q.LegacyCampaignEventsDelete),
		knowledgeTable.name:      byIDs(t, t.q.LegacyKnowledgeDelete),
	}[table.name]
	if !ok {
		return nil, nil
	}
	keyOf := make(map[uuid.UUID]rowKey, len(keys))
	ids := make([]uuid.UUID, len(keys))
	for i, k := range keys {
		ids[i] = t.rowID(table, k)
		keyOf[ids[i]] = k
	}
	removed, err := query(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("delete from %s: %w", table.name, err)
	}
	out := make([]rowKey, len(removed))
	for i, id := range removed {
		out[i] = keyOf[id]
	}
	return out, nil
}
