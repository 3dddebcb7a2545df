package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/atende/atende/db"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// dispatchWorker gives a campaign's recipients their messages, one batch per job: the
// messages, their send jobs, the next batch's job and this job's completion commit
// together, so a batch is dispatched once. A batch is two seconds of the phone number's
// rate, and the next one comes when half of it should have gone (a snoozed job is
// fetched up to a poll interval late: the queue must not run dry meanwhile). A campaign
// never floods its queue: another tenant's campaign launched meanwhile starts behind
// about two seconds of it.
type dispatchWorker struct {
	river.WorkerDefaults[DispatchArgs]
	d *Delivery
}

func (w *dispatchWorker) Work(ctx context.Context, job *river.Job[DispatchArgs]) error {
	args := job.Args
	// Paced by snoozing rather than by a scheduled job: River promotes scheduled jobs only
	// every few seconds, a short snooze comes due at its time.
	if wait := time.Until(args.NotBefore); wait > 0 {
		return river.JobSnooze(wait)
	}
	batch := int32(min(1000, max(1, 2*w.d.cfg.Rate)))
	return w.d.db.AsService(ctx, func(q *db.Queries) error {
		recipients, err := q.CampaignDispatchBatch(ctx, db.CampaignDispatchBatchParams{
			TenantID: args.TenantID, CampaignID: args.CampaignID, AfterContactID: args.After, BatchSize: batch,
		})
		if err != nil {
			return err
		}
		tx, err := db.Tx(q)
		if err != nil {
			return err
		}
		var jobs []river.InsertManyParams
		for _, r := range recipients {
			if r.MessageID != nil {
				jobs = append(jobs, river.InsertManyParams{
					Args:       SendArgs{TenantID: args.TenantID, MessageID: *r.MessageID, CampaignID: &args.CampaignID},
					InsertOpts: campaignSendOpts,
				})
			}
		}
		if int32(len(recipients)) == batch {
			next := args
			next.After = recipients[len(recipients)-1].ContactID
			next.NotBefore = time.Now().Add(time.Duration(float64(batch) / w.d.cfg.Rate / 2 * float64(time.Second)))
			jobs = append(jobs, river.InsertManyParams{Args: next})
		} else if err := w.d.dispatched(ctx, q, tx, args); err != nil {
			return err
		}
		if len(jobs) > 0 {
			if _, err := w.d.river.InsertManyTx(ctx, tx, jobs); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

// dispatched marks the campaign's recipients all served and queues the job that
// completes it; nothing when the campaign stopped running.
func (d *Delivery) dispatched(ctx context.Context, q *db.Queries, tx pgx.Tx, args DispatchArgs) error {
	running, err := q.CampaignMarkDispatched(ctx, db.CampaignMarkDispatchedParams{TenantID: args.TenantID, ID: args.CampaignID})
	if err != nil || running == 0 {
		return err
	}
	_, err = d.river.InsertTx(ctx, tx, FinishArgs{TenantID: args.TenantID, CampaignID: args.CampaignID}, nil)
	return err
}

// finishWorker completes a dispatched campaign when none of its messages is queued, and
// looks again every FinishPoll until then.
type finishWorker struct {
	river.WorkerDefaults[FinishArgs]
	d *Delivery
}

func (w *finishWorker) Work(ctx context.Context, job *river.Job[FinishArgs]) error {
	var status db.CampaignStatus
	err := w.d.db.AsService(ctx, func(q *db.Queries) (err error) {
		status, err = q.CampaignCompleteIfDone(ctx, db.CampaignCompleteIfDoneParams{TenantID: job.Args.TenantID, ID: job.Args.CampaignID})
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil // the campaign was deleted
	case err != nil:
		return err
	case status == db.CampaignStatusRunning:
		return river.JobSnooze(w.d.cfg.FinishPoll)
	}
	return nil
}
