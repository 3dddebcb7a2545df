package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Campaigns are read by every member; only admins create, change, delete or launch them
// (the database's policies say the same).
func (s *Server) campaignRoutes(g *echo.Group) {
	g.GET("/campaigns", s.listCampaigns)
	g.POST("/campaigns", s.createCampaign)
	g.GET("/campaigns/:id", s.getCampaign)
	g.PATCH("/campaigns/:id", s.updateCampaign)
	g.DELETE("/campaigns/:id", s.deleteCampaign)
	g.POST("/campaigns/:id/launch", s.launchCampaign)
	g.GET("/campaigns/:id/stats", s.campaignStats)
	g.GET("/campaigns/:id/events", s.listCampaignEvents)
}

const campaignNameMax = 200

// Enumerations are decoded as plain strings so that a value of the wrong JSON type is
// reported as "must be a string", then checked against the enum.
type campaignCreate struct {
	Name            *string         `json:"name"`
	Channel         string          `json:"channel"`
	Status          string          `json:"status"`
	MessageTemplate *string         `json:"message_template"`
	AudienceFilter  json.RawMessage `json:"audience_filter"`
	ScheduledAt     *string         `json:"scheduled_at"`

	scheduledAt *time.Time
}

func (r *campaignCreate) validate() error {
	if err := required("name", r.Name != nil); err != nil {
		return err
	}
	if err := textWithin("name", r.Name, campaignNameMax); err != nil {
		return err
	}
	if r.Channel == "" {
		r.Channel = string(db.ChannelWhatsapp)
	}
	if err := enumValue("channel", db.Channel(r.Channel), db.AllChannelValues()); err != nil {
		return err
	}
	// A campaign starts running only by being launched.
	switch db.CampaignStatus(r.Status) {
	case "":
		r.Status = string(db.CampaignStatusDraft)
	case db.CampaignStatusDraft, db.CampaignStatusScheduled:
	default:
		return fieldProblem("status", "status must be draft or scheduled; a campaign starts by being launched")
	}
	var err error
	if r.AudienceFilter, err = audienceFilter(r.AudienceFilter); err != nil {
		return err
	}
	r.scheduledAt, err = timeField("scheduled_at", r.ScheduledAt)
	return err
}

type campaignUpdate struct {
	Name            Optional[string] `json:"name"`
	Status          *string          `json:"status"`
	MessageTemplate Optional[string] `json:"message_template"`
	AudienceFilter  json.RawMessage  `json:"audience_filter"`
	ScheduledAt     Optional[string] `json:"scheduled_at"`

	scheduledAt *time.Time
}

func (r *campaignUpdate) validate() error {
	if r.Name.Set {
		if err := textWithin("name", r.Name.Value, campaignNameMax); err != nil {
			return err
		}
	}
	if r.Status != nil {
		status := db.CampaignStatus(*r.Status)
		if err := enumValue("status", status, db.AllCampaignStatusValues()); err != nil {
			return err
		}
		if status == db.CampaignStatusRunning {
			return fieldProblem("status", "status becomes running by launching the campaign (POST /api/v1/campaigns/{id}/launch)")
		}
	}
	var err error
	if r.AudienceFilter != nil {
		if r.AudienceFilter, err = audienceFilter(r.AudienceFilter); err != nil {
			return err
		}
	}
	r.scheduledAt, err = timeField("scheduled_at", r.ScheduledAt.Value)
	return err
}

func (r *campaignUpdate) status() *db.CampaignStatus {
	if r.Status == nil {
		return nil
	}
	status := db.CampaignStatus(*r.Status)
	return &status
}

// audienceFilter checks a campaign's audience filter: an object (absent or null means
// {}, everyone) whose only key is "tags", an array of strings (contacts with any of
// them). Any other key is refused: a misspelt filter must not widen a campaign to
// everyone.
func audienceFilter(raw json.RawMessage) (json.RawMessage, error) {
	filter, err := jsonObject("audience_filter", raw)
	if err != nil {
		return nil, err
	}
	var fields struct {
		Tags json.RawMessage `json:"tags"`
	}
	dec := json.NewDecoder(bytes.NewReader(filter))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fields); err != nil {
		key, _ := strings.CutPrefix(err.Error(), "json: unknown field ")
		return nil, fieldProblem("audience_filter", "audience_filter has no field %s: it filters by tags (an array of strings)", key)
	}
	var tags []string
	if fields.Tags != nil && (json.Unmarshal(fields.Tags, &tags) != nil || tags == nil) {
		return nil, fieldProblem("audience_filter", "audience_filter.tags must be an array of strings")
	}
	return filter, nil
}

// textWithin checks a text field that, when given, must not be blank and may have at
// most max characters (the database's check constraint, reported with the field).
func textWithin(field string, v *string, max int) error {
	if v == nil {
		return fieldProblem(field, "%s cannot be empty", field)
	}
	_, err := input.Text(field, *v, max)
	return err
}

// timeField parses an optional RFC 3339 time field.
func timeField(field string, raw *string) (*time.Time, error) {
	if raw == nil {
		return nil, nil
	}
	t, err := input.Time(field, *raw)
	return &t, err
}

func (s *Server) listCampaigns(c echo.Context) error {
	return keysetList(c, s, s.asMember, "campaigns",
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.Campaign, error) {
			return q.CampaignList(ctx, db.CampaignListParams{TenantID: m.TenantID, BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit})
		},
		func(cp db.Campaign) timeKey { return timeKey{At: cp.CreatedAt, ID: cp.ID} })
}

func (s *Server) createCampaign(c echo.Context) error {
	var req campaignCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.Campaign, error) {
		return q.CampaignCreate(ctx, db.CampaignCreateParams{
			TenantID: m.TenantID, Name: *req.Name, Channel: db.Channel(req.Channel),
			Status: db.CampaignStatus(req.Status), MessageTemplate: req.MessageTemplate,
			AudienceFilter: req.AudienceFilter, ScheduledAt: req.scheduledAt,
		})
	})
}

func (s *Server) getCampaign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.Campaign, error) {
		return q.CampaignGet(ctx, db.CampaignGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateCampaign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req campaignUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (db.Campaign, error) {
		return q.CampaignUpdate(ctx, db.CampaignUpdateParams{
			TenantID: m.TenantID, ID: id,
			Name: req.Name.Value, Status: req.status(),
			SetMessageTemplate: req.MessageTemplate.Set, MessageTemplate: req.MessageTemplate.Value,
			AudienceFilter: req.AudienceFilter,
			SetScheduledAt: req.ScheduledAt.Set, ScheduledAt: req.scheduledAt,
		})
	})
}

func (s *Server) deleteCampaign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.CampaignDelete(ctx, db.CampaignDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}

// campaignLaunched is the answer of a launch: the campaign and how many events this
// launch queued (0 when repeated with no new contacts in the audience).
type campaignLaunched struct {
	Campaign db.Campaign `json:"campaign"`
	Queued   int64       `json:"queued"`
}

func (s *Server) launchCampaign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asAdmin, func(ctx context.Context, q *db.Queries, m member) (campaignLaunched, error) {
		launched, err := s.cfg.Delivery.Launch(ctx, q, m.TenantID, id)
		if errors.Is(err, db.ErrNotFound) {
			return campaignLaunched{}, whyNotLaunched(ctx, q, m.TenantID, id)
		}
		return campaignLaunched{Campaign: launchedCampaign(launched), Queued: launched.QueuedCount}, err
	})
}

// whyNotLaunched tells the two reasons CampaignLaunch returns no row apart: the campaign
// is not the tenant's (404), or it is finished (409).
func whyNotLaunched(ctx context.Context, q *db.Queries, tenantID, id uuid.UUID) error {
	campaign, err := q.CampaignGet(ctx, db.CampaignGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return err
	}
	return problem(http.StatusConflict, "campaign cannot be launched: it is %s", campaign.Status)
}

func launchedCampaign(r db.CampaignLaunchRow) db.Campaign {
	return db.Campaign{
		TenantID: r.TenantID, ID: r.ID, Name: r.Name, Channel: r.Channel, Status: r.Status,
		MessageTemplate: r.MessageTemplate, AudienceFilter: r.AudienceFilter,
		ScheduledAt: r.ScheduledAt, StartedAt: r.StartedAt, CompletedAt: r.CompletedAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// campaignEventCounts is a campaign's progress by event type, every type present: queued
// is its audience, replied its replies; sent, delivered, read and failed count its
// messages by how far they got (a message read counts as sent and delivered too).
type campaignEventCounts struct {
	CampaignID uuid.UUID                      `json:"campaign_id"`
	Events     map[db.CampaignEventType]int64 `json:"events"`
}

func (s *Server) campaignStats(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (campaignEventCounts, error) {
		// An unknown campaign has no events either; it is a 404, not zeros.
		if _, err := q.CampaignGet(ctx, db.CampaignGetParams{TenantID: m.TenantID, ID: id}); err != nil {
			return campaignEventCounts{}, err
		}
		n, err := q.CampaignStats(ctx, db.CampaignStatsParams{TenantID: m.TenantID, CampaignID: id})
		return campaignEventCounts{CampaignID: id, Events: map[db.CampaignEventType]int64{
			db.CampaignEventTypeQueued: n.Queued, db.CampaignEventTypeSent: n.Sent, db.CampaignEventTypeDelivered: n.Delivered,
			db.CampaignEventTypeRead: n.Read, db.CampaignEventTypeReplied: n.Replied, db.CampaignEventTypeFailed: n.Failed,
		}}, err
	})
}

func (s *Server) listCampaignEvents(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	// The list name holds the campaign, so a cursor of one campaign's events is refused
	// for another's.
	return keysetList(c, s, s.asMember, "campaign_events/"+id.String(),
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.CampaignEvent, error) {
			// An unknown campaign is a 404, not an empty list.
			if _, err := q.CampaignGet(ctx, db.CampaignGetParams{TenantID: m.TenantID, ID: id}); err != nil {
				return nil, err
			}
			return q.CampaignEventList(ctx, db.CampaignEventListParams{
				TenantID: m.TenantID, CampaignID: id, AfterOccurredAt: after.at(), AfterID: after.id(), RowLimit: limit,
			})
		},
		func(e db.CampaignEvent) timeKey { return timeKey{At: e.OccurredAt, ID: e.ID} })
}
