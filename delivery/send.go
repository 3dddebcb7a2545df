package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/whatsapp"
	"github.com/riverqueue/river"
)

// sendTimeout bounds one request to the provider; recordTimeout the transaction that
// records its outcome.
const (
	sendTimeout   = 30 * time.Second
	recordTimeout = 10 * time.Second
)

// sendWorker sends one message. The message row is the truth: a job finding its message
// no longer queued (sent by an earlier attempt, failed, gone) does nothing, so a repeated
// job never sends twice what the provider acknowledged and the job's completion needs no
// transaction of its own.
type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	d *Delivery
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	args := job.Args
	var m db.MessageSendPrepareRow
	err := w.d.db.AsService(ctx, func(q *db.Queries) (err error) {
		m, err = q.MessageSendPrepare(ctx, db.MessageSendPrepareParams{TenantID: args.TenantID, ID: args.MessageID})
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil // deleted since
	case err != nil:
		return err
	case m.Status != db.MessageStatusQueued || m.ExternalID != nil:
		return nil
	case args.CampaignID != nil && (m.CampaignStatus == nil || *m.CampaignStatus == db.CampaignStatusCancelled):
		return w.d.db.AsService(ctx, func(q *db.Queries) error {
			_, err := q.MessageDiscardUnsent(ctx, db.MessageDiscardUnsentParams{TenantID: args.TenantID, ID: args.MessageID})
			return err
		})
	}
	account, message, reason := outgoing(m)
	if reason != "" {
		return w.fail(ctx, args, reason)
	}
	keep := 0.0
	if args.CampaignID != nil {
		keep = w.d.cfg.campaignKeep()
	}
	if err := w.d.takeToken(ctx, args, account.PhoneNumberID, keep); err != nil {
		return err
	}

	// Once the request is made, its outcome is recorded even if the worker is stopping:
	// an acknowledged send must become "sent", or a later attempt would send it again.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	wamid, err := w.d.cfg.Graph.Send(sendCtx, account, message)
	cancel()
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var graphErr *whatsapp.Error
	switch {
	case err == nil:
		return w.d.db.AsService(recordCtx, func(q *db.Queries) error {
			_, err := q.MessageMarkSent(recordCtx, db.MessageMarkSentParams{TenantID: args.TenantID, ID: args.MessageID, ExternalID: wamid})
			if errors.Is(err, db.ErrNotFound) {
				return nil // failed or deleted meanwhile: nothing to record
			}
			return err
		})
	case whatsapp.IsFinal(err):
		return w.fail(recordCtx, args, err.Error())
	case job.Attempt >= job.MaxAttempts:
		return w.fail(recordCtx, args, fmt.Sprintf("gave up after %d attempts: %v", job.Attempt, err))
	case errors.As(err, &graphErr) && graphErr.RetryAfter > 0:
		// The provider said when: wait that long, without spending an attempt.
		return river.JobSnooze(graphErr.RetryAfter)
	default:
		return err
	}
}

// outgoing is the account to send from and the message to send, or why the message
// cannot be sent at all.
func outgoing(m db.MessageSendPrepareRow) (whatsapp.Account, whatsapp.Message, string) {
	if m.Channel != db.ChannelWhatsapp {
		return whatsapp.Account{}, whatsapp.Message{}, fmt.Sprintf("sending on %s is not supported: only WhatsApp has a sender", m.Channel)
	}
	if m.PhoneNumberID == nil || m.AccessToken == nil {
		return whatsapp.Account{}, whatsapp.Message{}, "WhatsApp is not connected: an admin connects it with PUT /api/v1/channels/whatsapp"
	}
	if m.ContactPhone == nil {
		return whatsapp.Account{}, whatsapp.Message{}, "the contact has no phone number"
	}
	media, err := whatsapp.ParseMedia(m.Media)
	if err != nil {
		return whatsapp.Account{}, whatsapp.Message{}, err.Error()
	}
	message := whatsapp.Message{To: *m.ContactPhone, Media: media}
	if m.Content != nil {
		message.Text = *m.Content
	}
	return whatsapp.Account{PhoneNumberID: *m.PhoneNumberID, AccessToken: *m.AccessToken}, message, ""
}

// fail records that the message will not be sent, and why.
func (w *sendWorker) fail(ctx context.Context, args SendArgs, reason string) error {
	return w.d.db.AsService(ctx, func(q *db.Queries) error {
		_, err := q.MessageMarkFailed(ctx, db.MessageMarkFailedParams{TenantID: args.TenantID, ID: args.MessageID, StatusReason: reason})
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		return err
	})
}

// takeToken waits until the phone number's bucket gives a token, leaving keep tokens in
// it. A worker stopped while it waits gives the job back at once, no attempt spent.
func (d *Delivery) takeToken(ctx context.Context, args SendArgs, phoneNumberID string, keep float64) error {
	for {
		var wait float64
		err := d.db.AsService(ctx, func(q *db.Queries) (err error) {
			wait, err = q.SendTokenTake(ctx, db.SendTokenTakeParams{
				TenantID: args.TenantID, PhoneNumberID: phoneNumberID, Rate: d.cfg.Rate, Burst: d.cfg.burst(), Keep: keep,
			})
			return err
		})
		if ctx.Err() != nil {
			return river.JobSnooze(0)
		}
		if err != nil {
			return err
		}
		if wait <= 0 {
			return nil
		}
		pause := time.Duration(wait * float64(time.Second))
		if keep > 0 {
			// Campaign sends waiting on one number would all come back at once and queue
			// on its bucket's lock, before the replies: spread them over a burst's time.
			pause += rand.N(time.Duration(d.cfg.burst() / d.cfg.Rate * float64(time.Second)))
		}
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return river.JobSnooze(0)
		case <-timer.C:
		}
	}
}
