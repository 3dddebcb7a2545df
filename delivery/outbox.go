package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/atende/atende/whatsapp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Reply stores a member's (or the assistant's) reply in q's transaction and queues the
// job that sends it, in the same transaction: the message is sent if and only if the
// transaction commits. On WhatsApp the reply's media must be something WhatsApp can send
// (an *input.Error otherwise).
func (d *Delivery) Reply(ctx context.Context, q *db.Queries, p db.MessageCreateOutboundParams) (db.Message, error) {
	row, err := q.MessageCreateOutbound(ctx, p)
	message := db.Message(row) // the same columns, returned through a CTE
	if err != nil {
		return message, err
	}
	if message.Channel == db.ChannelWhatsapp {
		if _, err := whatsapp.ParseMedia(message.Media); err != nil {
			return message, &input.Error{Field: "media", Reason: err.Error()}
		}
	}
	// The caller is a member (authenticated), whom the job queue does not let in.
	err = db.AsServiceInTx(ctx, q, func(tx pgx.Tx) error {
		_, err := d.river.InsertTx(ctx, tx, SendArgs{TenantID: message.TenantID, MessageID: message.ID}, nil)
		return err
	})
	if err != nil {
		return message, fmt.Errorf("queue the reply: %w", err)
	}
	return message, nil
}

// Launch starts a campaign (db's CampaignLaunch: its audience's queued events) and queues
// the job that dispatches its messages, in q's transaction. Only a WhatsApp campaign with
// a message can be sent; a launch of another is refused (a conflict naming the field),
// and rolls back with the transaction.
func (d *Delivery) Launch(ctx context.Context, q *db.Queries, tenantID, id uuid.UUID) (db.CampaignLaunchRow, error) {
	launched, err := q.CampaignLaunch(ctx, db.CampaignLaunchParams{TenantID: tenantID, ID: id})
	if err != nil {
		return launched, err
	}
	switch {
	case launched.Channel != db.ChannelWhatsapp:
		return launched, cannotLaunch("channel", "only WhatsApp campaigns can be sent: this campaign's channel is %s", launched.Channel)
	case launched.MessageTemplate == nil || strings.TrimSpace(*launched.MessageTemplate) == "":
		return launched, cannotLaunch("message_template", "the campaign has no message_template to send")
	}
	err = db.AsServiceInTx(ctx, q, func(tx pgx.Tx) error {
		// Only a dispatched campaign has a dispatch to undo; skipping the no-op also keeps
		// a first launch on Citus, which refuses a transaction's second role on the same
		// shard, to the member's role there.
		if launched.DispatchedAt != nil {
			if err := q.CampaignRedispatch(ctx, db.CampaignRedispatchParams{TenantID: tenantID, ID: id}); err != nil {
				return err
			}
		}
		_, err := d.river.InsertTx(ctx, tx, DispatchArgs{TenantID: tenantID, CampaignID: id}, nil)
		return err
	})
	if err != nil {
		return launched, fmt.Errorf("queue the campaign: %w", err)
	}
	return launched, nil
}

// errCannotLaunch: the campaign cannot be sent as it is.
var errCannotLaunch = errors.New("campaign cannot be launched")

func cannotLaunch(field, format string, args ...any) error {
	return &db.Error{Kind: db.ErrConflict, Field: field, Reason: errCannotLaunch.Error() + ": " + fmt.Sprintf(format, args...), Err: errCannotLaunch}
}
