// Package delivery sends messages out: the jobs (River, in the application's own
// PostgreSQL) that send replies and campaigns through the WhatsApp Cloud API, inserted in
// the same transaction as the messages they send, and the workers that run them.
//
// Job kinds and queues:
//
//	message_send       one outbound message; queue "replies" for members' replies,
//	                   "campaigns" for a campaign's messages
//	campaign_dispatch  gives the next batch of a launched campaign's recipients (two
//	                   seconds of the number's rate) their messages and send jobs, then
//	                   queues the next batch (queue "campaigns")
//	campaign_finish    completes a dispatched campaign once none of its messages is queued
//	                   (queue "campaigns")
//
// Replies and campaigns have their own queues and workers, so a campaign's backlog never
// stands in front of a reply; and each phone number's sends take tokens from one bucket
// in PostgreSQL (private.take_send_token), where campaign sends leave tokens for replies.
package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/whatsapp"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// The queues: replies are worked apart from campaigns.
const (
	QueueReplies   = "replies"
	QueueCampaigns = "campaigns"
)

// Config is how messages are delivered.
type Config struct {
	// Graph is the WhatsApp Cloud API client.
	Graph *whatsapp.Client
	// Rate is the sends per second allowed per phone number, for every process together
	// (WHATSAPP_RATE_LIMIT, default 80: Meta's default throughput).
	Rate float64
	// Work runs the workers; without it the Delivery only inserts jobs (an API process
	// whose jobs another process works).
	Work bool
	// PollOnly fetches jobs by polling instead of LISTEN/NOTIFY: for a connection through
	// a transaction-mode pooler (JOBS_POLL_ONLY).
	PollOnly bool
	// ReplyWorkers and CampaignWorkers bound the jobs worked at once per process (20, 10:
	// they share the process's pool with the API).
	ReplyWorkers, CampaignWorkers int
	// MaxAttempts bounds the attempts of a send that keeps failing for a reason that may
	// pass, before the message is failed (8).
	MaxAttempts int
	// RetryBase is the wait before the second attempt; each retry doubles it, with
	// jitter, up to RetryMax (1 s, 10 min).
	RetryBase, RetryMax time.Duration
	// FinishPoll is how often a dispatched campaign checks whether its sends have ended (1 s).
	FinishPoll time.Duration
	// FetchPollInterval is how often the workers look for jobs that no notification
	// announced: retries and scheduled batches come due (River's default, 1 s). The
	// pause between fetches is at most as long.
	FetchPollInterval time.Duration
	// Logger receives River's logs (slog's default when nil).
	Logger *slog.Logger
	// TestOnly starts River without its production jitter, for tests.
	TestOnly bool
}

func (c *Config) defaults() {
	if c.Graph == nil {
		c.Graph = whatsapp.NewClient("", 30*time.Second)
	}
	c.Rate = cmpOr(c.Rate, 80)
	c.ReplyWorkers = cmpOr(c.ReplyWorkers, 20)
	c.CampaignWorkers = cmpOr(c.CampaignWorkers, 10)
	c.MaxAttempts = cmpOr(c.MaxAttempts, 8)
	c.RetryBase = cmpOr(c.RetryBase, time.Second)
	c.RetryMax = cmpOr(c.RetryMax, 10*time.Minute)
	c.FinishPoll = cmpOr(c.FinishPoll, time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func cmpOr[T int | float64 | time.Duration](v, fallback T) T {
	if v <= 0 {
		return fallback
	}
	return v
}

// burst is how many sends a phone number's bucket holds: a quarter of a second of its
// rate, at least 2, so that a campaign can keep one token back and still send.
func (c *Config) burst() float64 { return max(2, c.Rate/4) }

// campaignKeep is how many tokens a campaign send leaves in the bucket, for replies.
func (c *Config) campaignKeep() float64 { return float64(int(c.burst() / 2)) }

// fetchCooldown is the shortest pause between two fetches of a queue.
const fetchCooldown = 20 * time.Millisecond

// Delivery inserts delivery jobs and, when configured to, works them.
type Delivery struct {
	db    db.DB
	cfg   Config
	river *river.Client[pgx.Tx]
}

// New prepares delivery on the database; Start runs the workers (with Config.Work).
func New(database db.DB, cfg Config) (*Delivery, error) {
	cfg.defaults()
	d := &Delivery{db: database, cfg: cfg}
	config := &river.Config{
		Schema:               db.JobSchema,
		PollOnly:             cfg.PollOnly,
		Logger:               cfg.Logger,
		TestOnly:             cfg.TestOnly,
		MaxAttempts:          cfg.MaxAttempts,
		JobTimeout:           2 * time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
		RetryPolicy:          &backoff{base: cfg.RetryBase, max: cfg.RetryMax},
		FetchPollInterval:    cfg.FetchPollInterval,
	}
	// A queue fetches at most its free workers' worth of jobs per cooldown: River's 100 ms
	// would cap a queue of 50 workers at 500 sends a second. River refuses a cooldown
	// longer than the poll.
	config.FetchCooldown = fetchCooldown
	if cfg.FetchPollInterval > 0 {
		config.FetchCooldown = min(fetchCooldown, cfg.FetchPollInterval)
	}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &sendWorker{d: d})
		river.AddWorker(workers, &dispatchWorker{d: d})
		river.AddWorker(workers, &finishWorker{d: d})
		config.Workers = workers
		config.Queues = map[string]river.QueueConfig{
			QueueReplies:   {MaxWorkers: cfg.ReplyWorkers},
			QueueCampaigns: {MaxWorkers: cfg.CampaignWorkers},
		}
	}
	client, err := river.NewClient(riverpgxv5.New(database.Pool), config)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	d.river = client
	return d, nil
}

// River is the job queue's client: for tests that wait on its events.
func (d *Delivery) River() *river.Client[pgx.Tx] { return d.river }

// Start runs the workers until Stop.
func (d *Delivery) Start(ctx context.Context) error {
	if err := d.river.Start(ctx); err != nil {
		return fmt.Errorf("start the job workers: %w", err)
	}
	return nil
}

// Stop lets the running jobs finish until ctx ends, then cancels them: a send already
// made is recorded all the same (see sendWorker), and a job cut short is retried.
func (d *Delivery) Stop(ctx context.Context) error {
	err := d.river.Stop(ctx)
	if err == nil {
		return nil
	}
	cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cancelErr := d.river.StopAndCancel(cancelCtx); cancelErr != nil {
		return fmt.Errorf("stop the job workers: %w", cancelErr)
	}
	return nil
}

// backoff retries a job after base, doubled at each attempt up to max, drawn at random
// from the upper half of that (jitter: the retries of a provider outage spread out).
type backoff struct{ base, max time.Duration }

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	wait := b.max
	if shift := job.Attempt - 1; shift < 30 {
		wait = min(b.max, b.base<<max(shift, 0))
	}
	return time.Now().Add(wait/2 + rand.N(wait/2+1))
}
