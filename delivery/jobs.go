package delivery

import (
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// SendArgs sends one outbound message. CampaignID names the campaign that sent it, whose
// cancellation stops the send.
type SendArgs struct {
	TenantID   uuid.UUID  `json:"tenant_id"`
	MessageID  uuid.UUID  `json:"message_id"`
	CampaignID *uuid.UUID `json:"campaign_id,omitempty"`
}

func (SendArgs) Kind() string { return "message_send" }

// InsertOpts puts a reply in its queue; a campaign's sends name theirs when inserted.
func (SendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueReplies} }

// DispatchArgs gives the next recipients of a campaign, after contact After, their
// messages, not before NotBefore.
type DispatchArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
	After      uuid.UUID `json:"after_contact_id"`
	NotBefore  time.Time `json:"not_before,omitzero"`
}

func (DispatchArgs) Kind() string { return "campaign_dispatch" }

// InsertOpts: a dispatch goes before the campaign sends already queued (priority 1 of 4),
// so that a newly launched campaign starts at once.
func (DispatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCampaigns, Priority: 1}
}

// FinishArgs completes a dispatched campaign once its sends have ended.
type FinishArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
}

func (FinishArgs) Kind() string { return "campaign_finish" }

func (FinishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCampaigns, Priority: 1}
}

// campaignSendOpts queue a campaign's sends after dispatches.
var campaignSendOpts = &river.InsertOpts{Queue: QueueCampaigns, Priority: 2}
