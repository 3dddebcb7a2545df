package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// setExternalID records the provider's id of a message in one service-role transaction,
// as a sender does once the provider accepted the message.
func setExternalID(ctx context.Context, d *dbtest.Database, tenantID, messageID uuid.UUID, externalID string) (db.Message, error) {
	var message db.Message
	err := d.App.AsService(ctx, func(q *db.Queries) error {
		var err error
		message, err = q.MessageSetExternalID(ctx, db.MessageSetExternalIDParams{TenantID: tenantID, ID: messageID, ExternalID: externalID})
		return err
	})
	return message, err
}

// queueReply stores an outbound message from the tenant's agent, as the API does, and
// returns it: queued and without a provider id.
func queueReply(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, content string) db.Message {
	t.Helper()
	var reply db.MessageCreateOutboundRow
	runAsService(t, d, func(q *db.Queries) error {
		var err error
		reply, err = q.MessageCreateOutbound(t.Context(), db.MessageCreateOutboundParams{
			TenantID: tn.ID, ConversationID: tn.ConversationID, SenderType: db.SenderTypeUser, SenderUserID: &tn.AgentID, Content: &content,
		})
		return err
	})
	return db.Message(reply)
}

func TestMessageSetExternalID(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	reply := queueReply(t, d, tn, "Confirmado para amanhã")

	sent, err := setExternalID(t.Context(), d, tn.ID, reply.ID, "wamid.out.1")
	if err != nil {
		t.Fatal(err)
	}
	if sent.ID != reply.ID || sent.ExternalID == nil || *sent.ExternalID != "wamid.out.1" || sent.Status != db.MessageStatusQueued {
		t.Fatalf("after setting the provider id: %+v", sent)
	}
	// The status webhook now finds the message by the provider's id.
	if advanced, err := advanceStatus(t.Context(), d, tn.ID, db.ChannelWhatsapp, "wamid.out.1", db.MessageStatusSent); err != nil || advanced.ID != reply.ID {
		t.Fatalf("status report for the recorded id: message %+v, err %v", advanced, err)
	}

	t.Run("a message keeps its first provider id", func(t *testing.T) {
		if _, err := setExternalID(t.Context(), d, tn.ID, reply.ID, "wamid.out.other"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("second id: err = %v, want ErrNotFound", err)
		}
		if n := countRows(t, d, "select from messages where tenant_id = $1 and id = $2 and external_id = 'wamid.out.1'", tn.ID, reply.ID); n != 1 {
			t.Errorf("the message lost its first provider id")
		}
	})

	t.Run("a provider id is unique per channel", func(t *testing.T) {
		second := queueReply(t, d, tn, "Mais alguma coisa?")
		if _, err := setExternalID(t.Context(), d, tn.ID, second.ID, "wamid.out.1"); !errors.Is(err, db.ErrConflict) {
			t.Errorf("reused id: err = %v, want ErrConflict", err)
		}
	})

	t.Run("unknown and foreign messages", func(t *testing.T) {
		foreign := queueReply(t, d, other, "Olá")
		for name, id := range map[string]uuid.UUID{"unknown": uuid.New(), "another tenant's": foreign.ID} {
			if _, err := setExternalID(t.Context(), d, tn.ID, id, "wamid.out.foreign"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%s message: err = %v, want ErrNotFound", name, err)
			}
		}
		if n := countRows(t, d, "select from messages where external_id = 'wamid.out.foreign'"); n != 0 {
			t.Errorf("%d messages got the id, want none", n)
		}
	})

	t.Run("only the service role records provider ids", func(t *testing.T) {
		third := queueReply(t, d, tn, "Até logo")
		err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), func(q *db.Queries) error {
			_, err := q.MessageSetExternalID(t.Context(), db.MessageSetExternalIDParams{TenantID: tn.ID, ID: third.ID, ExternalID: "wamid.out.owner"})
			return err
		})
		if !errors.Is(err, db.ErrPermission) {
			t.Errorf("as the owner: err = %v, want ErrPermission", err)
		}
	})
}
