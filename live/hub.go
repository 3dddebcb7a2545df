// Package live follows the database's live events on one connection per process and fans
// them out to subscribers by tenant. Triggers queue the events (sql/schema/00017 and
// 00033), so writes by any writer — the API, webhooks, workers, Supabase clients — are
// seen; every process's hub publishes the queue with NOTIFY (one of them at a time,
// every PublishEvery), which delivers them in one order to every process, numbered in
// that order: that is what makes resuming after a reconnect (Last-Event-ID) possible on
// any of them.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The NOTIFY channels the schema's triggers announce on.
const (
	eventsChannel  = "atende_events"
	tenantsChannel = "atende_tenants"
)

// Event is one change of a tenant's data, as the triggers describe it.
type Event struct {
	// ID numbers events across all tenants; it is the SSE event id.
	ID     int64           `json:"id"`
	Tenant uuid.UUID       `json:"tenant_id"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
}

// ErrTooManyStreams: the user or the tenant has as many streams open as allowed.
var ErrTooManyStreams = errors.New("too many event streams open")

// Config configures a Hub.
type Config struct {
	// Connect opens the listening connection: a session connection, not one through a
	// transaction-mode pooler, which cannot LISTEN (DATABASE_DIRECT_URL).
	Connect func(ctx context.Context) (*pgx.Conn, error)
	// Backlog is how many recent events are kept for resumption (default 10,000).
	Backlog int
	// Buffer is how many events a subscriber may fall behind before it is dropped and
	// told to refetch (default 256).
	Buffer int
	// PerUser and PerTenant limit open subscriptions (defaults 5 and 500).
	PerUser, PerTenant int
	// PublishEvery is how often the queued events are published (default 10 ms): the
	// delay an event may wait, and the idle query rate of each process.
	PublishEvery time.Duration
}

// Hub holds the subscriptions and the recent events.
type Hub struct {
	cfg   Config
	ready chan struct{}

	mu            sync.Mutex
	listening     bool
	tenantChanged []func(tenant uuid.UUID)
	subs          map[uuid.UUID]map[*Subscription]struct{}
	perUser       map[uuid.UUID]int
	recent        []Event // a ring of the last cfg.Backlog events, in arrival order
	next          int     // where the next event goes in recent
}

// Subscription receives one tenant's events.
type Subscription struct {
	hub    *Hub
	tenant uuid.UUID
	user   uuid.UUID
	// Events delivers the tenant's events as they commit.
	Events chan Event
	// Lost is closed when events may have been missed: the subscriber fell behind, or the
	// hub lost its connection. The subscriber must refetch what it shows.
	Lost chan struct{}
	once sync.Once
}

// NewHub returns a hub; Run makes it listen.
func NewHub(cfg Config) *Hub {
	if cfg.Backlog <= 0 {
		cfg.Backlog = 10_000
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	if cfg.PerUser <= 0 {
		cfg.PerUser = 5
	}
	if cfg.PerTenant <= 0 {
		cfg.PerTenant = 500
	}
	if cfg.PublishEvery <= 0 {
		cfg.PublishEvery = 10 * time.Millisecond
	}
	return &Hub{
		cfg: cfg, ready: make(chan struct{}),
		subs: map[uuid.UUID]map[*Subscription]struct{}{}, perUser: map[uuid.UUID]int{},
		recent: make([]Event, 0, cfg.Backlog),
	}
}

// OnTenantChange has fn called whenever a tenant's address, status or webhook secret
// changes (so that what every process cached about it is dropped), with uuid.Nil for
// "any tenant may have changed" after the listening connection was lost.
func (h *Hub) OnTenantChange(fn func(tenant uuid.UUID)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tenantChanged = append(h.tenantChanged, fn)
}

// Ready is closed once the hub listens for the first time.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Run listens and publishes until ctx ends, reconnecting after a lost connection (every
// subscriber is then told it may have missed events, and the backlog starts afresh).
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		select { // what is published before this process listens, it would not hear
		case <-h.ready:
			retry(ctx, "publishing", h.publishQueue)
		case <-ctx.Done():
		}
	})
	retry(ctx, "listening", func(ctx context.Context) error {
		err := h.listen(ctx)
		if ctx.Err() == nil {
			h.lose()
		}
		return err
	})
	wg.Wait()
	return nil
}

// retry runs work again after it fails, with a growing pause, until ctx ends.
func retry(ctx context.Context, what string, work func(context.Context) error) {
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 10*time.Second) {
		err := work(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.WarnContext(ctx, "live events: "+what+" connection lost; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// publishBatch is how many queued events one publishing transaction takes.
const publishBatch = 1000

// publishQueue moves the queued events to NOTIFY every PublishEvery, at once again while
// batches come full, on a connection of its own as service_role.
func (h *Hub) publishQueue(ctx context.Context) error {
	conn, err := h.cfg.Connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "set role service_role"); err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	ticker := time.NewTicker(h.cfg.PublishEvery)
	defer ticker.Stop()
	for {
		var published int
		if err := conn.QueryRow(ctx, "select private.publish_events($1)", publishBatch).Scan(&published); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		if published == publishBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

func (h *Hub) listen(ctx context.Context) error {
	conn, err := h.cfg.Connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, channel := range []string{eventsChannel, tenantsChannel} {
		if _, err := conn.Exec(ctx, "listen "+channel); err != nil {
			return fmt.Errorf("listen %s: %w", channel, err)
		}
	}
	h.mu.Lock()
	reconnected := h.listening
	if !h.listening {
		h.listening = true
		close(h.ready)
	}
	h.mu.Unlock()
	if reconnected {
		h.tenantChange(uuid.Nil) // changes announced while not listening were missed
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case eventsChannel:
			var e Event
			if err := json.Unmarshal([]byte(n.Payload), &e); err != nil || e.ID == 0 || e.Type == "" {
				slog.ErrorContext(ctx, "live events: malformed event", "payload", n.Payload, "error", err)
				continue
			}
			h.publish(e)
		case tenantsChannel:
			if tenant, err := uuid.Parse(n.Payload); err == nil {
				h.tenantChange(tenant)
			}
		}
	}
}

// tenantChange calls the OnTenantChange functions.
func (h *Hub) tenantChange(tenant uuid.UUID) {
	h.mu.Lock()
	callbacks := h.tenantChanged
	h.mu.Unlock()
	for _, fn := range callbacks {
		fn(tenant)
	}
}

// publish keeps e for resumption and hands it to the tenant's subscribers; one that
// cannot take it at once has fallen behind and is dropped.
func (h *Hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.recent) < h.cfg.Backlog {
		h.recent = append(h.recent, e)
	} else {
		h.recent[h.next] = e
	}
	h.next = (h.next + 1) % h.cfg.Backlog
	for s := range h.subs[e.Tenant] {
		select {
		case s.Events <- e:
		default:
			h.drop(s)
		}
	}
}

// Disconnect ends every subscription (at shutdown): their clients reconnect, to another
// process, and resume.
func (h *Hub) Disconnect() { h.lose() }

// lose tells every subscriber that events may have been missed.
func (h *Hub) lose() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for s := range subs {
			h.drop(s)
		}
	}
	h.recent, h.next = h.recent[:0], 0
}

// drop ends s, telling its subscriber to refetch; h.mu is held.
func (h *Hub) drop(s *Subscription) {
	s.once.Do(func() {
		close(s.Lost)
		delete(h.subs[s.tenant], s)
		if len(h.subs[s.tenant]) == 0 {
			delete(h.subs, s.tenant)
		}
		if h.perUser[s.user]--; h.perUser[s.user] == 0 {
			delete(h.perUser, s.user)
		}
	})
}

// Subscribe follows the tenant's events for user. With lastEventID (an earlier event's
// id, or ""), replay holds the tenant's events since that one, and resumed is false when
// that event is no longer known: the subscriber must refetch what it shows.
func (h *Hub) Subscribe(tenant, user uuid.UUID, lastEventID string) (sub *Subscription, replay []Event, resumed bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[user] >= h.cfg.PerUser || len(h.subs[tenant]) >= h.cfg.PerTenant {
		return nil, nil, false, ErrTooManyStreams
	}
	s := &Subscription{hub: h, tenant: tenant, user: user, Events: make(chan Event, h.cfg.Buffer), Lost: make(chan struct{})}
	if h.subs[tenant] == nil {
		h.subs[tenant] = map[*Subscription]struct{}{}
	}
	h.subs[tenant][s] = struct{}{}
	h.perUser[user]++
	if lastEventID == "" {
		return s, nil, true, nil
	}
	replay, resumed = h.since(tenant, lastEventID)
	return s, replay, resumed, nil
}

// since returns the tenant's events that arrived after the one with id; h.mu is held.
func (h *Hub) since(tenant uuid.UUID, id string) ([]Event, bool) {
	after, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	// The ring in arrival order: the oldest event is at h.next once it is full.
	ordered := append(append([]Event(nil), h.recent[h.next:]...), h.recent[:h.next]...)
	for i, e := range ordered {
		if e.ID != after {
			continue
		}
		var replay []Event
		for _, later := range ordered[i+1:] {
			if later.Tenant == tenant {
				replay = append(replay, later)
			}
		}
		return replay, true
	}
	return nil, false
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.drop(s)
}
