package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/atende/atende/live"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// eventStreamPath is the route of the event stream, which the request deadline spares.
const eventStreamPath = "/api/v1/events"

func (s *Server) eventRoutes(g *echo.Group) {
	g.GET("/events", s.streamEvents)
	g.POST("/events/ticket", s.createStreamTicket)
}

const (
	// heartbeatEvery keeps idle streams open through proxies and tells a dead client.
	heartbeatEvery = 15 * time.Second
	// recheckEvery is how often a stream checks that its caller may still read the
	// tenant (removed from it, banned, the tenant suspended).
	recheckEvery = time.Minute
)

// streamTicket is a single-use credential for GET /api/v1/events?ticket=, for browsers'
// EventSource, which cannot send an Authorization header.
type streamTicket struct {
	Ticket    uuid.UUID `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) createStreamTicket(c echo.Context) error {
	ctx := c.Request().Context()
	host, err := s.hosts.resolve(ctx, siteHost(c))
	if err != nil {
		return err
	}
	id, err := s.authenticate(c)
	if err != nil {
		return err
	}
	m, err := s.streamMember(ctx, host, id)
	if err != nil {
		return err
	}
	var ticket db.StreamTicketCreateRow
	err = s.db.AsService(ctx, func(q *db.Queries) (err error) {
		ticket, err = q.StreamTicketCreate(ctx, db.StreamTicketCreateParams{TenantID: m.TenantID, UserID: m.UserID, Claims: id.Claims})
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, streamTicket{Ticket: ticket.ID, ExpiresAt: ticket.ExpiresAt})
}

// streamCaller authenticates a stream request: the bearer token, or a ticket (used up).
func (s *Server) streamCaller(ctx context.Context, c echo.Context) (auth.Identity, error) {
	raw := c.QueryParam("ticket")
	if raw == "" {
		return s.authenticate(c)
	}
	invalid := problem(http.StatusUnauthorized, "the ticket is unknown, used or expired: get a new one with POST /api/v1/events/ticket")
	ticketID, err := uuid.Parse(raw)
	if err != nil {
		return auth.Identity{}, invalid
	}
	var ticket db.StreamTicketUseRow
	err = s.db.AsService(ctx, func(q *db.Queries) (err error) {
		ticket, err = q.StreamTicketUse(ctx, ticketID)
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		return auth.Identity{}, invalid
	}
	if err != nil {
		return auth.Identity{}, err
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(ticket.Claims, &claims); err != nil {
		return auth.Identity{}, fmt.Errorf("stream ticket claims: %w", err)
	}
	return auth.Identity{UserID: ticket.UserID, Claims: ticket.Claims, ExpiresAt: time.Unix(claims.Exp, 0)}, nil
}

// streamEvents is GET /api/v1/events: the caller's tenant's live events as Server-Sent
// Events. Each event's id is its number (send it back as Last-Event-ID to resume); the
// event named "reset" says that events may have been missed, so the client refetches
// what it shows; "expired" ends the stream when the access token expires. A comment line
// is sent every 15 seconds.
func (s *Server) streamEvents(c echo.Context) error {
	if s.cfg.Events == nil {
		return problem(http.StatusServiceUnavailable, "live events are not available on this server")
	}
	// The stream outlives the request deadline (see Server.deadline); the database work
	// before and during it does not.
	ctx := c.Request().Context()
	setup, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	id, err := s.streamCaller(setup, c)
	if err != nil {
		return err
	}
	host, err := s.hosts.resolve(setup, siteHost(c))
	if err != nil {
		return err
	}
	m, err := s.streamMember(setup, host, id)
	if err != nil {
		return err
	}
	// A browser reconnecting by itself sends the header; one that opens a new stream (a
	// new ticket) cannot, and passes ?last_event_id=.
	lastEventID := c.Request().Header.Get("Last-Event-ID")
	if lastEventID == "" {
		lastEventID = c.QueryParam("last_event_id")
	}
	sub, replay, resumed, err := s.cfg.Events.Subscribe(m.TenantID, m.UserID, lastEventID)
	if errors.Is(err, live.ErrTooManyStreams) {
		return retryLater(http.StatusTooManyRequests, 30*time.Second, "too many event streams are open for you or your tenant: close one")
	}
	if err != nil {
		return err
	}
	defer sub.Close()

	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	out := newEventWriter(w)
	out.retry(3 * time.Second)
	if !resumed {
		out.named("reset", "{}")
	}
	for _, e := range replay {
		out.event(e)
	}
	if err := out.flush(); err != nil {
		return nil // the client went away
	}

	expiry := time.NewTimer(time.Until(id.ExpiresAt))
	defer expiry.Stop()
	heartbeat := time.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	recheck := time.NewTicker(recheckEvery)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-sub.Events:
			out.event(e)
		case <-sub.Lost:
			out.named("reset", "{}")
			out.flush()
			return nil
		case <-expiry.C:
			out.named("expired", "{}")
			out.flush()
			return nil
		case <-heartbeat.C:
			out.comment("heartbeat")
		case <-recheck.C:
			check, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
			_, err := s.streamMember(check, host, id)
			cancel()
			if err != nil {
				out.named("forbidden", "{}")
				out.flush()
				return nil
			}
		}
		if err := out.flush(); err != nil {
			return nil
		}
	}
}

// streamMember checks, in one short transaction, that the caller is a member of the
// tenant (the host's, if it names one) and may act.
func (s *Server) streamMember(ctx context.Context, host *db.Tenant, id auth.Identity) (member, error) {
	var m member
	err := s.asIdentity(ctx, host, id, func(_ context.Context, _ *db.Queries, profile db.User) (err error) {
		m, err = memberOf(profile)
		return err
	})
	return m, err
}

// eventWriter writes the SSE wire format, extending the connection's write deadline as
// it goes so that the server's WriteTimeout does not end a live stream.
type eventWriter struct {
	w   *echo.Response
	rc  *http.ResponseController
	err error
}

func newEventWriter(w *echo.Response) *eventWriter {
	return &eventWriter{w: w, rc: http.NewResponseController(w)}
}

func (ew *eventWriter) printf(format string, args ...any) {
	if ew.err == nil {
		_, ew.err = fmt.Fprintf(ew.w, format, args...)
	}
}

func (ew *eventWriter) retry(d time.Duration) { ew.printf("retry: %d\n\n", d.Milliseconds()) }

func (ew *eventWriter) event(e live.Event) {
	ew.printf("id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
}

func (ew *eventWriter) named(name, data string) { ew.printf("event: %s\ndata: %s\n\n", name, data) }

func (ew *eventWriter) comment(text string) { ew.printf(": %s\n\n", text) }

// flush sends what was written, with time for the next heartbeat to follow.
func (ew *eventWriter) flush() error {
	if ew.err != nil {
		return ew.err
	}
	// Not every writer can set deadlines (http.ErrNotSupported): then there is none.
	_ = ew.rc.SetWriteDeadline(time.Now().Add(2 * heartbeatEvery))
	ew.err = ew.rc.Flush()
	return ew.err
}
