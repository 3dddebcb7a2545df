package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Channel providers call the webhooks, not users: there is no bearer token. Each request
// is addressed to a tenant by id and signed with that tenant's webhook secret.
func (s *Server) webhookRoutes(g *echo.Group) {
	g.POST("/webhooks/:tenant_id/inbound", s.receiveInbound)
	g.POST("/webhooks/:tenant_id/status", s.receiveStatus)
	g.GET("/webhook-secret", s.getWebhookSecret)
	g.POST("/webhook-secret/rotate", s.rotateWebhookSecret)
}

// webhookSecretView is the tenant's webhook secret as its admins configure it at the
// channel provider: the key is the hex text itself, as bytes. After a rotation the
// previous secret still verifies until previous_valid_until.
type webhookSecretView struct {
	Secret             string     `json:"secret"`
	UpdatedAt          time.Time  `json:"updated_at"`
	PreviousValidUntil *time.Time `json:"previous_valid_until"`
	InboundURL         string     `json:"inbound_url"`
	StatusURL          string     `json:"status_url"`
}

func webhookSecretViewOf(c echo.Context, tenantID uuid.UUID, secret db.TenantSecretShowRow) webhookSecretView {
	base := c.Scheme() + "://" + c.Request().Host + "/api/v1/webhooks/" + tenantID.String()
	view := webhookSecretView{Secret: secret.WebhookSecret, UpdatedAt: secret.UpdatedAt, InboundURL: base + "/inbound", StatusURL: base + "/status"}
	if secret.PreviousValidUntil != nil && secret.PreviousValidUntil.After(time.Now()) {
		view.PreviousValidUntil = secret.PreviousValidUntil
	}
	return view
}

func (s *Server) getWebhookSecret(c echo.Context) error {
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (webhookSecretView, error) {
		secret, err := q.TenantSecretShow(ctx, m.TenantID)
		return webhookSecretViewOf(c, m.TenantID, secret), err
	})
}

// rotateWebhookSecret replaces the secret; the previous one verifies for 24 hours more.
func (s *Server) rotateWebhookSecret(c echo.Context) error {
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (webhookSecretView, error) {
		if err := q.TenantSecretRotate(ctx, m.TenantID); err != nil {
			return webhookSecretView{}, err
		}
		s.webhookKeys.forget(m.TenantID) // other processes hear of it through the live hub
		secret, err := q.TenantSecretShow(ctx, m.TenantID)
		return webhookSecretViewOf(c, m.TenantID, secret), err
	})
}

// A webhook delivery is signed: timestampHeader carries the time it was signed, in unix
// seconds, and signatureHeader "sha256=" and the lower-case hex HMAC-SHA256 of
// "<timestamp>.<raw body>", keyed with the tenant's webhook secret (its hex text, as
// bytes). A delivery signed more than webhookTolerance away from now is refused, so a
// captured one cannot be replayed later.
const (
	timestampHeader  = "X-Atende-Timestamp"
	signatureHeader  = "X-Atende-Signature"
	webhookTolerance = 5 * time.Minute
)

func webhookMAC(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// webhookBody authenticates a webhook request, then decodes its body into dst strictly
// (decodeJSON). It returns the tenant the request is addressed to.
func (s *Server) webhookBody(c echo.Context, dst any) (uuid.UUID, error) {
	// The signature covers the exact bytes sent, so read them before decoding.
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return uuid.Nil, decodeProblem(err) // e.g. the body limit's 413
	}
	tenantID, err := s.verifySignature(c, body)
	if err != nil {
		return uuid.Nil, err
	}
	leave, err := s.tenants.enter(c.Request().Context(), tenantID)
	if err != nil {
		return uuid.Nil, err
	}
	// Held until the response is written: the handler's database work follows.
	c.Response().After(leave)
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	return tenantID, decodeJSON(c, dst)
}

// verifySignature checks the body's signature against the addressed tenant's secret. A
// malformed tenant id, an unknown tenant, a stale timestamp and a missing or wrong
// signature all get the same 401, so that the answer does not tell which tenant ids
// exist. A suspended tenant takes no deliveries (423: the provider retries later).
func (s *Server) verifySignature(c echo.Context, body []byte) (uuid.UUID, error) {
	unauthorized := problem(http.StatusUnauthorized,
		"the request must be signed within %s of %s (unix seconds): %s: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\" keyed with the tenant's webhook secret>",
		webhookTolerance, timestampHeader, signatureHeader)
	tenantID, err := uuid.Parse(c.Param("tenant_id"))
	timestamp := c.Request().Header.Get(timestampHeader)
	signedAt, timeErr := strconv.ParseInt(timestamp, 10, 64)
	hexMAC, signed := strings.CutPrefix(c.Request().Header.Get(signatureHeader), "sha256=")
	mac, hexErr := hex.DecodeString(hexMAC)
	if err != nil || timeErr != nil || !signed || hexErr != nil {
		return uuid.Nil, unauthorized
	}
	if skew := time.Since(time.Unix(signedAt, 0)); skew > webhookTolerance || skew < -webhookTolerance {
		return uuid.Nil, unauthorized
	}
	err = s.webhookKeys.verify(c.Request().Context(), tenantID, mac, func(secret string) []byte {
		return webhookMAC(secret, timestamp, body)
	})
	if errors.Is(err, errBadSignature) {
		return uuid.Nil, unauthorized
	}
	return tenantID, err
}

// providerMessage names a message as its provider does: the channel and the provider's
// id, unique per tenant and channel.
type providerMessage struct {
	Channel    *db.Channel `json:"channel"`
	ExternalID string      `json:"external_id"`
}

func (r *providerMessage) validate() error {
	if err := required("channel", r.Channel != nil); err != nil {
		return err
	}
	if err := enumValue("channel", *r.Channel, db.AllChannelValues()); err != nil {
		return err
	}
	if err := required("external_id", r.ExternalID != ""); err != nil {
		return err
	}
	if utf8.RuneCountInString(r.ExternalID) > 255 {
		return fieldProblem("external_id", "external_id must be at most 255 characters")
	}
	return nil
}

// providerTime parses a provider's optional RFC 3339 timestamp; absent means now.
func providerTime(raw *string) (time.Time, error) {
	t, err := timeField("timestamp", raw)
	if t == nil || err != nil {
		return time.Now().Truncate(time.Microsecond), err
	}
	return *t, nil
}

type inboundMessage struct {
	providerMessage
	From      *string         `json:"from"`
	Name      *string         `json:"name"`
	Content   *string         `json:"content"`
	Media     json.RawMessage `json:"media"`
	Timestamp *string         `json:"timestamp"`

	sentAt time.Time // parsed by validate
}

func (r *inboundMessage) validate() (err error) {
	if err = r.providerMessage.validate(); err != nil {
		return err
	}
	if err = required("from", r.From != nil && strings.TrimSpace(*r.From) != ""); err != nil {
		return err
	}
	if r.From, err = optional(r.From, senderAddress(*r.Channel)); err != nil {
		return err
	}
	if r.Name != nil && strings.TrimSpace(*r.Name) == "" {
		r.Name = nil
	}
	if r.Media, err = jsonMedia("media", r.Media); err != nil {
		return err
	}
	r.sentAt, err = providerTime(r.Timestamp)
	return err
}

// senderAddress is the rule for a message's sender on the channel: a phone number on
// WhatsApp (E.164, Brazil by default), an email address by email, and a handle or
// session id of up to 320 characters elsewhere.
func senderAddress(channel db.Channel) func(string) (string, error) {
	switch channel {
	case db.ChannelWhatsapp:
		return func(raw string) (string, error) { return input.Phone("from", raw, "BR") }
	case db.ChannelEmail:
		return func(raw string) (string, error) { return input.Email("from", raw) }
	default:
		return func(raw string) (string, error) { return input.Text("from", strings.TrimSpace(raw), input.EmailMax) }
	}
}

// inboundReceipt answers an inbound delivery. For a repeated delivery it names the
// message the first one stored.
type inboundReceipt struct {
	MessageID      uuid.UUID  `json:"message_id"`
	ConversationID uuid.UUID  `json:"conversation_id"`
	ContactID      *uuid.UUID `json:"contact_id"`
	Duplicate      bool       `json:"duplicate"`
}

// receiveInbound stores a message from a contact (db.StoreInbound): the contact found or
// created by its address, its open conversation found or opened, the message stored once
// per external_id.
func (s *Server) receiveInbound(c echo.Context) error {
	var req inboundMessage
	tenantID, err := s.webhookBody(c, &req)
	if err != nil {
		return err
	}
	receipt, err := s.receiveMessage(c.Request().Context(), tenantID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, receipt)
}

// receiveMessage stores one message a provider delivered (db.StoreInbound): the one way
// in of the generic and the WhatsApp webhooks.
func (s *Server) receiveMessage(ctx context.Context, tenantID uuid.UUID, req inboundMessage) (inboundReceipt, error) {
	stored, err := s.db.StoreInbound(ctx, db.MessageStoreInboundParams{
		TenantID: tenantID, Channel: *req.Channel, Sender: *req.From, SenderName: req.Name,
		Content: req.Content, Media: req.Media, ExternalID: req.ExternalID, SentAt: req.sentAt,
	})
	if errors.Is(err, db.ErrSuspended) {
		return inboundReceipt{}, problem(http.StatusLocked, "the tenant is suspended: it takes no deliveries until it is reactivated")
	}
	if err != nil {
		return inboundReceipt{}, err
	}
	receipt := inboundReceipt{MessageID: stored.MessageID, ConversationID: stored.ConversationID, Duplicate: stored.Duplicate}
	if stored.ContactID != uuid.Nil { // nil: the contact was deleted since
		receipt.ContactID = &stored.ContactID
	}
	return receipt, nil
}

// reportableStatuses are the statuses a provider reports; queued is only ours.
var reportableStatuses = []db.MessageStatus{db.MessageStatusSent, db.MessageStatusDelivered, db.MessageStatusRead, db.MessageStatusFailed}

type statusReport struct {
	providerMessage
	Status *db.MessageStatus `json:"status"`
	// Timestamp is checked but not stored: statuses are ordered by their meaning, and a
	// message records only its current one.
	Timestamp *string `json:"timestamp"`
}

func (r *statusReport) validate() error {
	if err := r.providerMessage.validate(); err != nil {
		return err
	}
	if err := required("status", r.Status != nil); err != nil {
		return err
	}
	if !slices.Contains(reportableStatuses, *r.Status) {
		return fieldProblem("status", "status must be one of sent, delivered, read, failed")
	}
	_, err := providerTime(r.Timestamp)
	return err
}

// statusReceipt answers a status report: the message's status after it, and whether the
// report changed it (a late or repeated report does not).
type statusReceipt struct {
	Status  db.MessageStatus `json:"status"`
	Changed bool             `json:"changed"`
}

// receiveStatus advances a message's delivery status; it never moves backwards.
func (s *Server) receiveStatus(c echo.Context) error {
	var req statusReport
	tenantID, err := s.webhookBody(c, &req)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	message := db.MessageGetByExternalIDParams{TenantID: tenantID, Channel: *req.Channel, ExternalID: req.ExternalID}
	var changed bool
	var current db.Message
	// One round trip: the report applied, then the message read in a new statement, which
	// sees the status a concurrent report set. A late or repeated report changes nothing.
	err = s.db.AsServiceBatch(ctx,
		func(q *db.Queries) error {
			_, err := q.MessageAdvanceStatus(ctx, db.MessageAdvanceStatusParams{
				TenantID: tenantID, Channel: *req.Channel, ExternalID: req.ExternalID, Status: *req.Status,
			})
			changed = err == nil
			if errors.Is(err, db.ErrNotFound) {
				return nil
			}
			return err
		},
		func(q *db.Queries) (err error) {
			current, err = q.MessageGetByExternalID(ctx, message)
			return err
		})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, statusReceipt{Status: current.Status, Changed: changed})
}
