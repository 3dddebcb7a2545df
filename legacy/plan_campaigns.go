package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

type (
	// campaignRow is a legacy campaign as public.campaigns has it.
	campaignRow struct {
		legacyID                            int64
		id                                  uuid.UUID
		name                                string
		channel, status                     string
		messageTemplate                     *string
		audienceFilter                      json.RawMessage
		scheduledAt, startedAt, completedAt *time.Time
		createdAt, updatedAt                time.Time
	}
	// campaignEventRow is a legacy campaign event as public.campaign_events has it.
	campaignEventRow struct {
		legacyID   int64
		id         uuid.UUID
		campaignID uuid.UUID
		contactID  uuid.UUID
		eventType  string
		occurredAt time.Time
		metadata   json.RawMessage
	}
)

var (
	campaignName            = campaignsTable.col("name")
	campaignChannel         = campaignsTable.col("channel")
	campaignStatus          = campaignsTable.col("status")
	campaignMessageTemplate = campaignsTable.col("message_template")
	campaignAudienceFilter  = campaignsTable.col("audience_filter")
	campaignScheduledAt     = campaignsTable.col("scheduled_at")
	campaignStartedAt       = campaignsTable.col("started_at")
	campaignCompletedAt     = campaignsTable.col("completed_at")
	campaignCreatedAt       = campaignsTable.col("created_at")

	eventCampaignID = campaignEventsTable.col("campaign_id")
	eventContactID  = campaignEventsTable.col("contact_id")
	eventType       = campaignEventsTable.col("event_type")
	eventOccurredAt = campaignEventsTable.col("occurred_at")
	eventMetadata   = campaignEventsTable.col("metadata")
)

// planCampaigns maps channel and status words; an empty name becomes "Campanha <id>".
func (p *planner) planCampaigns(rows []row) {
	tr := p.table(campaignsTable, rows)
	for _, r := range rows {
		channel, err := campaignChannels.lookup(r.cell(campaignChannel), "whatsapp")
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		status, err := campaignStatuses.lookup(r.cell(campaignStatus), "draft")
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		times, err := p.times(r, campaignScheduledAt, campaignStartedAt, campaignCompletedAt, campaignCreatedAt)
		if err != nil {
			p.rejectRef(tr, p.campaigns, r, err.Error())
			continue
		}
		keep(tr, r)
		name := r.cell(campaignName).trimmed()
		if name == "" {
			name = fmt.Sprintf("Campanha %d", r.id)
			tr.change(r, "name is empty: named %q", name)
		}
		filter, note := parseObject(r.cell(campaignAudienceFilter), "legacy_audience_filter")
		if note != "" {
			tr.change(r, "%s", note)
		}
		cr := &campaignRow{
			legacyID: r.id, id: p.id(campaignsTable, r.id), name: cut(tr, r, "name", name, 200), channel: channel, status: status,
			messageTemplate: r.cell(campaignMessageTemplate).optText(), audienceFilter: filter,
			scheduledAt: times[0], startedAt: times[1], completedAt: times[2],
		}
		cr.createdAt = p.orNow(tr, r, "created_at", times[3], times[0])
		cr.updatedAt = cr.createdAt
		p.out.campaigns = append(p.out.campaigns, cr)
		p.campaigns.ids[r.id] = target{id: cr.id}
	}
}

// planCampaignEvents: an event needs its campaign and its contact; events that repeat
// (campaign, contact, event_type), also after contacts were merged, are merged into the
// earliest.
func (p *planner) planCampaignEvents(rows []row) {
	tr := p.table(campaignEventsTable, rows)
	startOf := map[uuid.UUID]time.Time{}
	for _, cr := range p.out.campaigns {
		startOf[cr.id] = cr.createdAt
		if cr.startedAt != nil {
			startOf[cr.id] = *cr.startedAt
		}
	}
	var events []*campaignEventRow
	rowOf := map[int64]row{}
	for _, r := range rows {
		campaignID, reason := p.campaigns.required(r, eventCampaignID)
		if reason != "" {
			tr.reject(r, reason)
			continue
		}
		contactID, reason := p.contacts.required(r, eventContactID)
		if reason != "" {
			tr.reject(r, reason)
			continue
		}
		kind, err := campaignEventTypes.lookup(r.cell(eventType), "")
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		times, err := p.times(r, eventOccurredAt)
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		ev := &campaignEventRow{legacyID: r.id, id: p.id(campaignEventsTable, r.id), campaignID: campaignID, contactID: contactID, eventType: kind}
		if times[0] != nil {
			ev.occurredAt = *times[0]
		} else {
			ev.occurredAt = startOf[campaignID]
			tr.change(r, "occurred_at is empty: set to the campaign's start")
		}
		var note string
		ev.metadata, note = parseObject(r.cell(eventMetadata), "legacy_metadata")
		if note != "" {
			tr.change(r, "%s", note)
		}
		events = append(events, ev)
		rowOf[r.id] = r
	}

	// Earliest first, so that the first event of each key survives.
	slices.SortStableFunc(events, func(a, b *campaignEventRow) int {
		if c := a.occurredAt.Compare(b.occurredAt); c != 0 {
			return c
		}
		return cmp.Compare(a.legacyID, b.legacyID)
	})
	first := map[string]*campaignEventRow{}
	for _, ev := range events {
		key := ev.campaignID.String() + ev.contactID.String() + ev.eventType
		if survivor, dup := first[key]; dup {
			tr.merge(rowOf[ev.legacyID], strconv.FormatInt(survivor.legacyID, 10),
				fmt.Sprintf("same campaign, contact and event_type %s as event %d", ev.eventType, survivor.legacyID))
			survivor.metadata = mergeObjects(survivor.metadata, ev.metadata)
			continue
		}
		first[key] = ev
		keep(tr, rowOf[ev.legacyID])
		p.out.events = append(p.out.events, ev)
	}
}
