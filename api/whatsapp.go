package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/whatsapp"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// WhatsAppConfig is the platform's Meta app: one app, one webhook, every tenant's number.
type WhatsAppConfig struct {
	// Graph calls the Graph API (WHATSAPP_GRAPH_URL); it checks a number and token before
	// they are stored.
	Graph *whatsapp.Client
	// AppSecret signs Meta's webhook deliveries (WHATSAPP_APP_SECRET); without it every
	// delivery is refused.
	AppSecret string
	// VerifyToken answers Meta's subscription handshake (WHATSAPP_VERIFY_TOKEN).
	VerifyToken string
}

// WhatsApp's webhook is the Meta app's, for every tenant: Meta signs it with the app
// secret and names the business phone number, which names the tenant. A tenant's admins
// connect their number with its access token.
func (s *Server) whatsAppRoutes(g *echo.Group) {
	g.GET("/webhooks/whatsapp", s.verifyWhatsAppSubscription)
	g.POST("/webhooks/whatsapp", s.receiveWhatsApp)
	g.GET("/channels/whatsapp", s.getWhatsAppAccount)
	g.PUT("/channels/whatsapp", s.putWhatsAppAccount)
	g.DELETE("/channels/whatsapp", s.deleteWhatsAppAccount)
}

// whatsAppAccount is a tenant's WhatsApp number as its admins connect it: the access
// token is written, never shown.
type whatsAppAccount struct {
	PhoneNumberID      *string `json:"phone_number_id"`
	AccessToken        *string `json:"access_token"`
	DisplayPhoneNumber *string `json:"display_phone_number"`
}

var phoneNumberIDPattern = regexp.MustCompile(`^[0-9]{1,64}$`)

func (r *whatsAppAccount) validate() error {
	if err := required("phone_number_id", r.PhoneNumberID != nil); err != nil {
		return err
	}
	if !phoneNumberIDPattern.MatchString(*r.PhoneNumberID) {
		return fieldProblem("phone_number_id", "phone_number_id must be the digits of the number's id in Meta's WhatsApp Manager")
	}
	if err := required("access_token", r.AccessToken != nil && *r.AccessToken != ""); err != nil {
		return err
	}
	if len(*r.AccessToken) > 4096 {
		return fieldProblem("access_token", "access_token must be at most 4096 characters")
	}
	if r.DisplayPhoneNumber != nil {
		return textWithin("display_phone_number", r.DisplayPhoneNumber, 64)
	}
	return nil
}

// whatsAppVerifyTimeout bounds the Graph API's check of a new number, made inside the
// admin's transaction: connecting a number is rare, and a check outside would need a
// second transaction for the same request.
const whatsAppVerifyTimeout = 5 * time.Second

// putWhatsAppAccount connects the tenant's number, or replaces its number or token, once
// the Graph API confirms that the token may use the number: nobody can claim another
// business's number (and with it, its inbound messages).
func (s *Server) putWhatsAppAccount(c echo.Context) error {
	var req whatsAppAccount
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.ChannelAccountGetRow, error) {
		display, err := s.checkWhatsAppNumber(ctx, whatsapp.Account{PhoneNumberID: *req.PhoneNumberID, AccessToken: *req.AccessToken})
		if err != nil {
			return db.ChannelAccountGetRow{}, err
		}
		if req.DisplayPhoneNumber == nil && display != "" {
			req.DisplayPhoneNumber = &display
		}
		account, err := q.ChannelAccountPut(ctx, db.ChannelAccountPutParams{
			TenantID: m.TenantID, PhoneNumberID: *req.PhoneNumberID, AccessToken: *req.AccessToken, DisplayPhoneNumber: req.DisplayPhoneNumber,
		})
		return db.ChannelAccountGetRow(account), err
	})
}

// checkWhatsAppNumber asks the Graph API for the number with the token: the answer's
// display number, a 422 naming the Graph API's reason when it refuses, a 502 when it
// cannot be reached.
func (s *Server) checkWhatsAppNumber(ctx context.Context, account whatsapp.Account) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, whatsAppVerifyTimeout)
	defer cancel()
	display, err := s.cfg.WhatsApp.Graph.PhoneNumber(ctx, account)
	var graphErr *whatsapp.Error
	switch {
	case whatsapp.IsFinal(err) && errors.As(err, &graphErr):
		p := problem(http.StatusUnprocessableEntity, "the Graph API refused this phone_number_id with this access_token: %s", graphErr.Message)
		p.Field = "access_token"
		return "", p
	case err != nil:
		slog.WarnContext(ctx, "whatsapp: checking a phone number", "error", err)
		return "", problem(http.StatusBadGateway, "the Graph API could not be asked about this number; try again")
	}
	return display, nil
}

func (s *Server) getWhatsAppAccount(c echo.Context) error {
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.ChannelAccountGetRow, error) {
		return q.ChannelAccountGet(ctx, m.TenantID)
	})
}

// deleteWhatsAppAccount disconnects the number: replies queued meanwhile fail, saying so.
func (s *Server) deleteWhatsAppAccount(c echo.Context) error {
	return answerNoContent(c, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.ChannelAccountDelete(ctx, m.TenantID))
	})
}

// verifyWhatsAppSubscription answers Meta's handshake when the webhook is configured in
// the app: hub.challenge echoed when hub.verify_token is WHATSAPP_VERIFY_TOKEN.
func (s *Server) verifyWhatsAppSubscription(c echo.Context) error {
	token := s.cfg.WhatsApp.VerifyToken
	if c.QueryParam("hub.mode") != "subscribe" || token == "" ||
		subtle.ConstantTimeCompare([]byte(c.QueryParam("hub.verify_token")), []byte(token)) != 1 {
		return problem(http.StatusForbidden, "hub.mode must be subscribe and hub.verify_token the platform's WHATSAPP_VERIFY_TOKEN")
	}
	return c.String(http.StatusOK, c.QueryParam("hub.challenge"))
}

// whatsAppReceipt counts what a delivery held: the messages and statuses stored (a
// repeated one counts as stored), and those skipped (unknown number, suspended tenant,
// a message that breaks a rule: each logged).
type whatsAppReceipt struct {
	Messages int `json:"messages"`
	Statuses int `json:"statuses"`
	Skipped  int `json:"skipped"`
}

// receiveWhatsApp stores a delivery of Meta's webhook once its signature is checked.
// Anything it cannot place is logged and answered 200 all the same: Meta retries
// anything else for days. A database failure is a 500, and Meta's retry is stored once.
func (s *Server) receiveWhatsApp(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return decodeProblem(err)
	}
	if !whatsapp.ValidSignature(s.cfg.WhatsApp.AppSecret, body, c.Request().Header.Get(whatsapp.SignatureHeader)) {
		return problem(http.StatusUnauthorized, "%s must be sha256=<hex HMAC-SHA256 of the body keyed with the Meta app's secret>", whatsapp.SignatureHeader)
	}
	var n whatsapp.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return fieldProblem("", "malformed JSON: %v", err)
	}
	ctx := c.Request().Context()
	var receipt whatsAppReceipt
	for _, entry := range n.Entry {
		for _, change := range entry.Changes {
			if change.Field != "messages" {
				continue
			}
			if err := s.storeWhatsAppChange(ctx, change.Value, &receipt); err != nil {
				return err
			}
		}
	}
	return c.JSON(http.StatusOK, receipt)
}

// storeWhatsAppChange stores one phone number's messages and statuses, each in its own
// transaction, as the number's tenant.
func (s *Server) storeWhatsAppChange(ctx context.Context, v whatsapp.Value, receipt *whatsAppReceipt) error {
	skip := func(reason string, args ...any) {
		receipt.Skipped++
		slog.WarnContext(ctx, "whatsapp webhook: skipped "+reason, append(args, "phone_number_id", v.Metadata.PhoneNumberID)...)
	}
	var tenant db.ChannelAccountTenantRow
	err := s.db.AsService(ctx, func(q *db.Queries) (err error) {
		tenant, err = q.ChannelAccountTenant(ctx, v.Metadata.PhoneNumberID)
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		skip("an unknown phone number", "messages", len(v.Messages), "statuses", len(v.Statuses))
		return nil
	case err != nil:
		return err
	case tenant.TenantStatus != db.TenantStatusActive:
		skip("a suspended tenant's delivery", "tenant_id", tenant.TenantID)
		return nil
	}
	for _, m := range v.Messages {
		req, err := inboundFromWhatsApp(v, m)
		if err != nil {
			skip("a message", "id", m.ID, "error", err)
			continue
		}
		if _, err := s.receiveMessage(ctx, tenant.TenantID, req); err != nil {
			var p *Problem
			if errors.As(err, &p) || errors.As(err, new(*db.Error)) {
				skip("a message", "id", m.ID, "error", err)
				continue
			}
			return err
		}
		receipt.Messages++
	}
	for _, st := range v.Statuses {
		stored, err := s.storeWhatsAppStatus(ctx, tenant.TenantID, st)
		if err != nil {
			return err
		}
		if !stored {
			skip("a status of an unknown message or status", "id", st.ID, "status", st.Status)
			continue
		}
		receipt.Statuses++
	}
	return nil
}

// inboundFromWhatsApp is a Meta message as the inbound path takes it, checked by the
// same rules as the generic webhook's.
func inboundFromWhatsApp(v whatsapp.Value, m whatsapp.InboundMessage) (inboundMessage, error) {
	channel := db.ChannelWhatsapp
	text, media := m.Content()
	from := "+" + m.From
	req := inboundMessage{providerMessage: providerMessage{Channel: &channel, ExternalID: m.ID}, From: &from, Media: media}
	if text != "" {
		req.Content = &text
	}
	if name := v.ContactName(m.From); name != "" {
		req.Name = &name
	}
	if seconds, err := strconv.ParseInt(m.Timestamp, 10, 64); err == nil {
		at := time.Unix(seconds, 0).UTC().Format(time.RFC3339)
		req.Timestamp = &at
	}
	return req, req.validate()
}

// whatsAppStatuses are Meta's statuses that a message records.
var whatsAppStatuses = map[string]db.MessageStatus{
	"sent": db.MessageStatusSent, "delivered": db.MessageStatusDelivered, "read": db.MessageStatusRead, "failed": db.MessageStatusFailed,
}

// storeWhatsAppStatus advances the message's status (never backwards), with Meta's reason
// when it failed. It reports false for a status it does not know or a message that is
// not the tenant's (such as one sent from WhatsApp's own apps).
func (s *Server) storeWhatsAppStatus(ctx context.Context, tenantID uuid.UUID, st whatsapp.Status) (bool, error) {
	status, ok := whatsAppStatuses[st.Status]
	if !ok {
		return false, nil
	}
	var reason *string
	if r := st.Reason(); status == db.MessageStatusFailed && r != "" {
		reason = &r
	}
	stored := false
	err := s.db.AsService(ctx, func(q *db.Queries) error {
		_, err := q.MessageAdvanceStatus(ctx, db.MessageAdvanceStatusParams{
			TenantID: tenantID, Channel: db.ChannelWhatsapp, ExternalID: st.ID, Status: status, StatusReason: reason,
		})
		if errors.Is(err, db.ErrNotFound) {
			// A repeated or late report, or no such message.
			_, err = q.MessageGetByExternalID(ctx, db.MessageGetByExternalIDParams{TenantID: tenantID, Channel: db.ChannelWhatsapp, ExternalID: st.ID})
		}
		stored = err == nil
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		return err
	})
	return stored, err
}
