package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// inboundDelivery is what a channel provider's webhook reports for one inbound message.
type inboundDelivery struct {
	phone, externalID, content string
	sentAt                     time.Time
}

// receiveInbound stores a delivery from a WhatsApp number as the inbound webhook does.
func receiveInbound(ctx context.Context, d *dbtest.Database, tenantID uuid.UUID, delivery inboundDelivery) (db.MessageStoreInboundRow, error) {
	return d.App.StoreInbound(ctx, db.MessageStoreInboundParams{
		TenantID: tenantID, Channel: db.ChannelWhatsapp, Sender: delivery.phone,
		Content: &delivery.content, ExternalID: delivery.externalID, SentAt: delivery.sentAt,
	})
}

// providerTime is the timestamp a provider reports for a message sent ago earlier,
// truncated to the microseconds PostgreSQL stores.
func providerTime(ago time.Duration) time.Time {
	return time.Now().Add(-ago).Truncate(time.Microsecond)
}

func getConversation(t *testing.T, d *dbtest.Database, tenantID, id uuid.UUID) db.Conversation {
	t.Helper()
	var conversation db.Conversation
	runAsService(t, d, func(q *db.Queries) error {
		var err error
		conversation, err = q.ConversationGet(t.Context(), db.ConversationGetParams{TenantID: tenantID, ID: id})
		return err
	})
	return conversation
}

// countRows counts, as a superuser, the rows a query selects.
func countRows(t *testing.T, d *dbtest.Database, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Admin.QueryRow(t.Context(), "select count(*) from ("+query+") counted", args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

func TestInboundDuplicateDeliveriesStoreOneMessage(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	// A new contact, so that contact, conversation and message are all created under
	// contention. The provider's timestamp precedes the webhook, as it always does.
	delivery := inboundDelivery{phone: "+5521988887777", externalID: "wamid.HBgN001", content: "Oi, quero marcar", sentAt: providerTime(30 * time.Second)}

	const deliveries = 50
	start := make(chan struct{})
	results := make(chan db.MessageStoreInboundRow, deliveries)
	var wg sync.WaitGroup
	for range deliveries {
		wg.Go(func() {
			<-start // all deliveries race for the same rows
			out, err := receiveInbound(t.Context(), d, tn.ID, delivery)
			if err != nil {
				t.Errorf("delivery failed: %v", err)
			}
			results <- out
		})
	}
	close(start)
	wg.Wait()
	close(results)

	// One delivery stores the message; every other one is answered with what it stored.
	var stored []uuid.UUID
	messages, contacts, conversations := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	for r := range results {
		if !r.Duplicate {
			stored = append(stored, r.MessageID)
		}
		messages[r.MessageID], contacts[r.ContactID], conversations[r.ConversationID] = true, true, true
	}
	if len(stored) != 1 {
		t.Fatalf("%d deliveries stored a message, want exactly 1 (the rest are duplicates)", len(stored))
	}
	if len(messages) != 1 || len(contacts) != 1 || len(conversations) != 1 {
		t.Fatalf("deliveries answered %d messages, %d contacts and %d conversations, want 1 of each", len(messages), len(contacts), len(conversations))
	}

	var message db.Message
	runAsService(t, d, func(q *db.Queries) error {
		var err error
		message, err = q.MessageGetByExternalID(t.Context(), db.MessageGetByExternalIDParams{TenantID: tn.ID, Channel: db.ChannelWhatsapp, ExternalID: delivery.externalID})
		return err
	})
	if message.ID != stored[0] || message.Direction != db.MessageDirectionInbound || message.Status != db.MessageStatusDelivered ||
		!message.CreatedAt.Equal(delivery.sentAt) || *message.Content != delivery.content {
		t.Errorf("stored message = %+v, want %s, inbound, delivered, sent at %v", message, stored[0], delivery.sentAt)
	}
	if n := countRows(t, d, "select from messages where tenant_id = $1 and external_id = $2", tn.ID, delivery.externalID); n != 1 {
		t.Errorf("%d messages with the external id, want 1", n)
	}
	if n := countRows(t, d, "select from contacts where tenant_id = $1 and phone = $2", tn.ID, delivery.phone); n != 1 {
		t.Errorf("%d contacts with the phone, want 1", n)
	}
	var contactID uuid.UUID
	for id := range contacts {
		contactID = id
	}
	if n := countRows(t, d, "select from conversations where tenant_id = $1 and contact_id = $2", tn.ID, contactID); n != 1 {
		t.Errorf("%d conversations for the contact, want 1", n)
	}
	conversation := getConversation(t, d, tn.ID, message.ConversationID)
	if conversation.UnreadCount != 1 {
		t.Errorf("unread_count = %d, want 1: only the stored delivery counts", conversation.UnreadCount)
	}
	if !conversation.LastMessageAt.Equal(delivery.sentAt) {
		t.Errorf("last_message_at = %v, want the message's time %v", conversation.LastMessageAt, delivery.sentAt)
	}
}

func TestInboundMessageBumpsConversation(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	const phone = "+5521977776666"
	receive := func(externalID string, sentAt time.Time) db.MessageStoreInboundRow {
		t.Helper()
		out, err := receiveInbound(t.Context(), d, tn.ID, inboundDelivery{phone: phone, externalID: externalID, content: externalID, sentAt: sentAt})
		if err != nil {
			t.Fatalf("deliver %s: %v", externalID, err)
		}
		return out
	}
	redeliver := func(externalID string, sentAt time.Time, want db.MessageStoreInboundRow) {
		t.Helper()
		out, err := receiveInbound(t.Context(), d, tn.ID, inboundDelivery{phone: phone, externalID: externalID, content: externalID, sentAt: sentAt})
		want.Duplicate = true
		if err != nil || out != want {
			t.Fatalf("redeliver %s: %+v, %v; want %+v", externalID, out, err, want)
		}
	}

	first := providerTime(10 * time.Minute)
	opened := receive("wamid.1", first)
	later := providerTime(5 * time.Minute)
	second := receive("wamid.2", later)
	if second.ConversationID != opened.ConversationID || second.ContactID != opened.ContactID || second.Duplicate {
		t.Fatalf("second message: %+v, want a new message in conversation %s", second, opened.ConversationID)
	}
	// A message the provider delivers late counts as unread but does not move the
	// conversation back in the inbox.
	receive("wamid.0", providerTime(20*time.Minute))
	redeliver("wamid.2", later, second)

	conversation := getConversation(t, d, tn.ID, opened.ConversationID)
	if conversation.UnreadCount != 3 || !conversation.LastMessageAt.Equal(later) {
		t.Errorf("conversation unread %d, last message at %v; want 3 and %v", conversation.UnreadCount, conversation.LastMessageAt, later)
	}

	// A closed conversation stays closed: the next message opens a new one.
	runAsService(t, d, func(q *db.Queries) error {
		_, err := q.ConversationUpdate(t.Context(), db.ConversationUpdateParams{TenantID: tn.ID, ID: opened.ConversationID, Status: new(db.ConversationStatusClosed)})
		return err
	})
	reopened := receive("wamid.3", providerTime(time.Minute))
	if reopened.ConversationID == opened.ConversationID || reopened.ContactID != opened.ContactID {
		t.Errorf("message after closing went to conversation %s of contact %s; want a new conversation of contact %s",
			reopened.ConversationID, reopened.ContactID, opened.ContactID)
	}
}

func TestMessageCreateOutbound(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	// Two unread messages for the agent to answer.
	for _, id := range []string{"wamid.in1", "wamid.in2"} {
		if _, err := receiveInbound(t.Context(), d, tn.ID, inboundDelivery{phone: "+5511987654321", externalID: id, content: id, sentAt: providerTime(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if c := getConversation(t, d, tn.ID, tn.ConversationID); c.UnreadCount != 2 {
		t.Fatalf("unread_count before the reply = %d, want 2", c.UnreadCount)
	}

	var reply db.MessageCreateOutboundRow
	err := d.App.AsCaller(t.Context(), tn.AgentClaims(), func(q *db.Queries) error {
		var err error
		reply, err = q.MessageCreateOutbound(t.Context(), db.MessageCreateOutboundParams{
			TenantID: tn.ID, ConversationID: tn.ConversationID, SenderType: db.SenderTypeUser,
			SenderUserID: &tn.AgentID, Content: new("Posso ajudar?"),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Status != db.MessageStatusQueued || reply.Direction != db.MessageDirectionOutbound || reply.Channel != db.ChannelWhatsapp ||
		reply.ConversationID != tn.ConversationID || reply.SenderUserID == nil || *reply.SenderUserID != tn.AgentID ||
		*reply.Content != "Posso ajudar?" || reply.ExternalID != nil {
		t.Errorf("reply = %+v, want a queued outbound whatsapp message from the agent", reply)
	}
	conversation := getConversation(t, d, tn.ID, tn.ConversationID)
	if conversation.UnreadCount != 0 || !conversation.LastMessageAt.Equal(reply.CreatedAt) {
		t.Errorf("conversation after the reply: unread %d, last message at %v; want 0 and the reply's %v",
			conversation.UnreadCount, conversation.LastMessageAt, reply.CreatedAt)
	}

	tests := []struct {
		name           string
		conversationID uuid.UUID
	}{
		{"unknown conversation", uuid.New()},
		{"another tenant's conversation", other.ConversationID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countRows(t, d, "select from messages")
			otherBefore := getConversation(t, d, other.ID, other.ConversationID)
			// The statement's own result is checked inside a transaction that commits, so
			// that nothing it wrote could be hidden by a rollback.
			runAsService(t, d, func(q *db.Queries) error {
				_, err := q.MessageCreateOutbound(t.Context(), db.MessageCreateOutboundParams{
					TenantID: tn.ID, ConversationID: tt.conversationID, SenderType: db.SenderTypeAi, Content: new("Olá"),
				})
				if !errors.Is(err, db.ErrNotFound) {
					t.Errorf("err = %v, want ErrNotFound", err)
				}
				return nil
			})
			if after := countRows(t, d, "select from messages"); after != before {
				t.Errorf("messages went from %d to %d", before, after)
			}
			if otherAfter := getConversation(t, d, other.ID, other.ConversationID); !otherAfter.UpdatedAt.Equal(otherBefore.UpdatedAt) {
				t.Errorf("another tenant's conversation changed: %+v -> %+v", otherBefore, otherAfter)
			}
		})
	}
}

// allowedStatusMoves lists, for each delivery status, the statuses it may move to:
// forward along queued, sent, delivered, read, and to failed only before delivery.
var allowedStatusMoves = map[db.MessageStatus][]db.MessageStatus{
	db.MessageStatusQueued:    {db.MessageStatusSent, db.MessageStatusDelivered, db.MessageStatusRead, db.MessageStatusFailed},
	db.MessageStatusSent:      {db.MessageStatusDelivered, db.MessageStatusRead, db.MessageStatusFailed},
	db.MessageStatusDelivered: {db.MessageStatusRead},
}

// insertMessageWithStatus stores, as a superuser, an outbound message in the tenant's
// seeded conversation with the provider id and status given.
func insertMessageWithStatus(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, externalID string, status db.MessageStatus) {
	t.Helper()
	_, err := d.Admin.Exec(t.Context(), `
		insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, status, external_id)
		values ($1, $2, 'whatsapp', 'outbound', 'ai', 'Lembrete', $3, $4)`,
		tn.ID, tn.ConversationID, status, externalID)
	if err != nil {
		t.Fatalf("insert message %s with status %s: %v", externalID, status, err)
	}
}

// messageStatus reads, as a superuser, the status of the tenant's whatsapp message.
func messageStatus(t *testing.T, d *dbtest.Database, tenantID uuid.UUID, externalID string) db.MessageStatus {
	t.Helper()
	var status db.MessageStatus
	if err := d.Admin.QueryRow(t.Context(), "select status from messages where tenant_id = $1 and channel = 'whatsapp' and external_id = $2", tenantID, externalID).Scan(&status); err != nil {
		t.Fatalf("status of %s: %v", externalID, err)
	}
	return status
}

// advanceStatus reports a provider status for the message, as the status webhook does.
func advanceStatus(ctx context.Context, d *dbtest.Database, tenantID uuid.UUID, channel db.Channel, externalID string, status db.MessageStatus) (db.Message, error) {
	var message db.Message
	err := d.App.AsService(ctx, func(q *db.Queries) error {
		var err error
		message, err = q.MessageAdvanceStatus(ctx, db.MessageAdvanceStatusParams{TenantID: tenantID, Channel: channel, ExternalID: externalID, Status: status})
		return err
	})
	return message, err
}

func TestMessageStatusNeverMovesBackwards(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	for _, from := range db.AllMessageStatusValues() {
		for _, to := range db.AllMessageStatusValues() {
			allowed := slices.Contains(allowedStatusMoves[from], to)
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				t.Parallel()
				// Through the status webhook's query: a move it may not make is a no-op.
				externalID := fmt.Sprintf("wamid.query.%s.%s", from, to)
				insertMessageWithStatus(t, d, tn, externalID, from)
				message, err := advanceStatus(t.Context(), d, tn.ID, db.ChannelWhatsapp, externalID, to)
				switch {
				case allowed && (err != nil || message.Status != to):
					t.Errorf("MessageAdvanceStatus: status %s, err %v; want %s", message.Status, err, to)
				case !allowed && !errors.Is(err, db.ErrNotFound):
					t.Errorf("MessageAdvanceStatus: err = %v, want ErrNotFound", err)
				}
				want := from
				if allowed {
					want = to
				}
				if got := messageStatus(t, d, tn.ID, externalID); got != want {
					t.Errorf("stored status after MessageAdvanceStatus = %s, want %s", got, want)
				}

				// Through any other writer, even a superuser: the trigger refuses the move.
				externalID = fmt.Sprintf("wamid.update.%s.%s", from, to)
				insertMessageWithStatus(t, d, tn, externalID, from)
				_, err = d.Admin.Exec(t.Context(), "update messages set status = $3 where tenant_id = $1 and external_id = $2", tn.ID, externalID, to)
				if allowed || from == to {
					if err != nil {
						t.Errorf("direct update: %v", err)
					}
					return
				}
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "23514" || pgErr.ConstraintName != "messages_status_monotonic" {
					t.Errorf("direct update: err = %v, want check_violation of messages_status_monotonic", err)
				}
				// A conflict with the message's state, not a bad value.
				if !errors.Is(db.MapError(err), db.ErrConflict) {
					t.Errorf("MapError(%v) is not ErrConflict", err)
				}
				if got := messageStatus(t, d, tn.ID, externalID); got != from {
					t.Errorf("stored status after the refused update = %s, want %s", got, from)
				}
			})
		}
	}
}

func TestMessageAdvanceStatusLifecycle(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	const externalID = "wamid.lifecycle"
	// The same provider id in another tenant, and on another channel of this tenant,
	// are other messages and must not move.
	insertMessageWithStatus(t, d, tn, externalID, db.MessageStatusQueued)
	insertMessageWithStatus(t, d, other, externalID, db.MessageStatusQueued)
	var instagramID uuid.UUID
	if err := d.Admin.QueryRow(t.Context(), `
		with conversation as (
			insert into conversations (tenant_id, contact_id, channel) values ($1, $2, 'instagram') returning id
		)
		insert into messages (tenant_id, conversation_id, channel, direction, sender_type, status, external_id)
		select $1, id, 'instagram', 'outbound', 'user', 'queued', $3 from conversation
		returning id`, tn.ID, tn.ContactID, externalID).Scan(&instagramID); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		report db.MessageStatus
		moves  bool
	}{
		{db.MessageStatusSent, true},
		{db.MessageStatusDelivered, true},
		{db.MessageStatusDelivered, false}, // repeated report
		{db.MessageStatusRead, true},
		{db.MessageStatusSent, false}, // late report
		{db.MessageStatusDelivered, false},
		{db.MessageStatusFailed, false},
	}
	for _, step := range steps {
		before := messageStatus(t, d, tn.ID, externalID)
		message, err := advanceStatus(t.Context(), d, tn.ID, db.ChannelWhatsapp, externalID, step.report)
		switch {
		case step.moves && (err != nil || message.Status != step.report || message.Channel != db.ChannelWhatsapp || message.TenantID != tn.ID):
			t.Fatalf("report %s after %s: message %+v, err %v", step.report, before, message, err)
		case !step.moves && !errors.Is(err, db.ErrNotFound):
			t.Fatalf("report %s after %s: err = %v, want ErrNotFound", step.report, before, err)
		}
	}
	if got := messageStatus(t, d, tn.ID, externalID); got != db.MessageStatusRead {
		t.Errorf("final status = %s, want read", got)
	}
	if got := messageStatus(t, d, other.ID, externalID); got != db.MessageStatusQueued {
		t.Errorf("another tenant's message with the same provider id = %s, want queued", got)
	}
	var instagramStatus db.MessageStatus
	if err := d.Admin.QueryRow(t.Context(), "select status from messages where tenant_id = $1 and id = $2", tn.ID, instagramID).Scan(&instagramStatus); err != nil || instagramStatus != db.MessageStatusQueued {
		t.Errorf("instagram message with the same provider id = %s (err %v), want queued", instagramStatus, err)
	}
}
