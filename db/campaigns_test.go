package db_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// seedAudience adds contacts that a campaign's audience rules tell apart. With the
// seed's Maria (phone, email, vip) and João (neither, no tags):
//
//	Ana    phone,        vip
//	Bruno  phone,        lead
//	Carla  email,        vip
//	Davi   phone,        no tags
//	Elis   phone, email, retorno and lead
func seedAudience(t *testing.T, d *dbtest.Database, tn dbtest.Tenant) {
	t.Helper()
	createContacts(t, d, tn,
		newContact{name: "Ana", phone: "+5511900000001", tags: []string{"vip"}},
		newContact{name: "Bruno", phone: "+5511900000002", tags: []string{"lead"}},
		newContact{name: "Carla", email: "carla@example.com", tags: []string{"vip"}},
		newContact{name: "Davi", phone: "+5511900000004"},
		newContact{name: "Elis", phone: "+5511900000005", email: "elis@example.com", tags: []string{"retorno", "lead"}},
	)
}

func createCampaign(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, channel db.Channel, status db.CampaignStatus, audienceFilter string) db.Campaign {
	t.Helper()
	var campaign db.Campaign
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		var err error
		campaign, err = q.CampaignCreate(t.Context(), db.CampaignCreateParams{
			TenantID: tn.ID, Name: "Campanha " + string(channel), Channel: channel, Status: status,
			MessageTemplate: new("Olá {{name}}!"), AudienceFilter: []byte(audienceFilter),
		})
		return err
	})
	return campaign
}

func launchCampaign(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, id uuid.UUID) (db.CampaignLaunchRow, error) {
	t.Helper()
	var launched db.CampaignLaunchRow
	err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), func(q *db.Queries) error {
		var err error
		launched, err = q.CampaignLaunch(t.Context(), db.CampaignLaunchParams{TenantID: tn.ID, ID: id})
		return err
	})
	return launched, err
}

// queuedNames returns the sorted names of the contacts with a 'queued' event in the
// campaign, failing the test if any contact has more than one.
func queuedNames(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, campaignID uuid.UUID) []string {
	t.Helper()
	rows, err := d.Admin.Query(t.Context(), `
		select c.name, count(*) from campaign_events e
		join contacts c on c.tenant_id = e.tenant_id and c.id = e.contact_id
		where e.tenant_id = $1 and e.campaign_id = $2 and e.event_type = 'queued'
		group by c.id, c.name order by c.name`, tn.ID, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var name string
		var events int
		if err := rows.Scan(&name, &events); err != nil {
			t.Fatal(err)
		}
		if events != 1 {
			t.Errorf("%s has %d queued events, want 1", name, events)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestCampaignLaunchQueuesItsAudienceOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	seedAudience(t, d, tn)
	tests := []struct {
		name           string
		channel        db.Channel
		status         db.CampaignStatus
		audienceFilter string
		want           []string
	}{
		{"whatsapp, any of two tags", db.ChannelWhatsapp, db.CampaignStatusDraft, `{"tags": ["vip", "lead"]}`, []string{"Ana", "Bruno", "Elis", "Maria"}},
		{"whatsapp, everyone with a phone", db.ChannelWhatsapp, db.CampaignStatusDraft, `{}`, []string{"Ana", "Bruno", "Davi", "Elis", "Maria"}},
		{"email, one tag", db.ChannelEmail, db.CampaignStatusScheduled, `{"tags": ["vip"]}`, []string{"Carla", "Maria"}},
		{"email, a known tag or an unknown one", db.ChannelEmail, db.CampaignStatusDraft, `{"tags": ["lead", "nenhuma"]}`, []string{"Elis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			campaign := createCampaign(t, d, tn, tt.channel, tt.status, tt.audienceFilter)
			first, err := launchCampaign(t, d, tn, campaign.ID)
			if err != nil {
				t.Fatal(err)
			}
			if first.QueuedCount != int64(len(tt.want)) || first.Status != db.CampaignStatusRunning || first.StartedAt == nil {
				t.Errorf("first launch: queued %d, status %s, started %v; want %d, running, a start time",
					first.QueuedCount, first.Status, first.StartedAt, len(tt.want))
			}
			second, err := launchCampaign(t, d, tn, campaign.ID)
			if err != nil {
				t.Fatal(err)
			}
			if second.QueuedCount != 0 || second.Status != db.CampaignStatusRunning || second.StartedAt == nil || !second.StartedAt.Equal(*first.StartedAt) {
				t.Errorf("second launch: queued %d, status %s, started %v; want 0, running, %v",
					second.QueuedCount, second.Status, second.StartedAt, first.StartedAt)
			}
			if got := queuedNames(t, d, tn, campaign.ID); !slices.Equal(got, tt.want) {
				t.Errorf("queued contacts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCampaignRelaunchQueuesOnlyNewContacts(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	seedAudience(t, d, tn)
	campaign := createCampaign(t, d, tn, db.ChannelWhatsapp, db.CampaignStatusDraft, `{"tags": ["vip"]}`)
	if launched, err := launchCampaign(t, d, tn, campaign.ID); err != nil || launched.QueuedCount != 2 {
		t.Fatalf("launch: queued %d, err %v; want 2 (Ana, Maria)", launched.QueuedCount, err)
	}
	createContacts(t, d, tn,
		newContact{name: "Fábio", phone: "+5511900000006", tags: []string{"vip"}},
		newContact{name: "Gil", phone: "+5511900000007", tags: []string{"lead"}},
	)
	if launched, err := launchCampaign(t, d, tn, campaign.ID); err != nil || launched.QueuedCount != 1 {
		t.Fatalf("relaunch: queued %d, err %v; want 1 (Fábio)", launched.QueuedCount, err)
	}
	if got, want := queuedNames(t, d, tn, campaign.ID), []string{"Ana", "Fábio", "Maria"}; !slices.Equal(got, want) {
		t.Errorf("queued contacts = %q, want %q", got, want)
	}
}

func TestCampaignConcurrentLaunchesQueueOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	seedAudience(t, d, tn)
	campaign := createCampaign(t, d, tn, db.ChannelWhatsapp, db.CampaignStatusDraft, `{}`)

	const launches = 8
	start := make(chan struct{})
	queued := make(chan int64, launches)
	errs := make(chan error, launches)
	var wg sync.WaitGroup
	for range launches {
		wg.Go(func() {
			<-start
			err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), func(q *db.Queries) error {
				launched, err := q.CampaignLaunch(t.Context(), db.CampaignLaunchParams{TenantID: tn.ID, ID: campaign.ID})
				queued <- launched.QueuedCount
				return err
			})
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(queued)
	close(errs)
	for err := range errs {
		t.Errorf("launch: %v", err)
	}
	var total int64
	for n := range queued {
		total += n
	}
	want := []string{"Ana", "Bruno", "Davi", "Elis", "Maria"}
	if total != int64(len(want)) {
		t.Errorf("launches queued %d events in all, want %d", total, len(want))
	}
	if got := queuedNames(t, d, tn, campaign.ID); !slices.Equal(got, want) {
		t.Errorf("queued contacts = %q, want %q", got, want)
	}
}

func TestCampaignLaunchRefused(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	closeCampaign := func(status db.CampaignStatus) uuid.UUID {
		t.Helper()
		campaign := createCampaign(t, d, tn, db.ChannelWhatsapp, db.CampaignStatusDraft, `{}`)
		if _, err := launchCampaign(t, d, tn, campaign.ID); err != nil {
			t.Fatal(err)
		}
		runAsOwner(t, d, tn, func(q *db.Queries) error {
			_, err := q.CampaignUpdate(t.Context(), db.CampaignUpdateParams{TenantID: tn.ID, ID: campaign.ID, Status: &status})
			return err
		})
		return campaign.ID
	}
	tests := []struct {
		name       string
		campaignID uuid.UUID
	}{
		{"completed", closeCampaign(db.CampaignStatusCompleted)},
		{"cancelled", closeCampaign(db.CampaignStatusCancelled)},
		{"unknown", uuid.New()},
		{"another tenant's", other.CampaignID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eventsBefore := countRows(t, d, "select from campaign_events")
			before := getCampaign(t, d, tt.campaignID)
			if _, err := launchCampaign(t, d, tn, tt.campaignID); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("launch: err = %v, want ErrNotFound", err)
			}
			if after := countRows(t, d, "select from campaign_events"); after != eventsBefore {
				t.Errorf("campaign events went from %d to %d", eventsBefore, after)
			}
			if after := getCampaign(t, d, tt.campaignID); after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("campaign changed: %+v -> %+v", before, after)
			}
		})
	}
}

// getCampaign reads a campaign of any tenant as a superuser; a missing one is the zero
// Campaign.
func getCampaign(t *testing.T, d *dbtest.Database, id uuid.UUID) db.Campaign {
	t.Helper()
	var c db.Campaign
	err := d.Admin.QueryRow(t.Context(), "select status, updated_at from campaigns where id = $1", id).Scan(&c.Status, &c.UpdatedAt)
	if err != nil && !errors.Is(db.MapError(err), db.ErrNotFound) {
		t.Fatal(err)
	}
	return c
}

func TestCampaignStatsCountMessagesByHowFarTheyGot(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	seedAudience(t, d, tn)
	campaign := createCampaign(t, d, tn, db.ChannelWhatsapp, db.CampaignStatusDraft, `{"tags": ["vip", "lead"]}`)
	if _, err := launchCampaign(t, d, tn, campaign.ID); err != nil {
		t.Fatal(err)
	}
	var audience []uuid.UUID
	if err := d.Admin.QueryRow(t.Context(), "select array_agg(contact_id order by contact_id) from campaign_events where tenant_id = $1 and campaign_id = $2",
		tn.ID, campaign.ID).Scan(&audience); err != nil || len(audience) != 4 {
		t.Fatalf("queued contacts %v (err %v), want 4", audience, err)
	}

	// The campaign's messages to its audience got to sent, delivered, read and failed;
	// one contact replied.
	_, err := d.Admin.Exec(t.Context(), `
		with conversation as (
			insert into conversations (tenant_id, contact_id, channel)
			select $1, contact_id, 'whatsapp' from unnest($3::uuid[]) contact_id
			on conflict (tenant_id, contact_id, channel) where status <> 'closed' do update set status = conversations.status
			returning id, contact_id
		), message as (
			insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, campaign_id, status)
			select $1, conversation.id, 'whatsapp', 'outbound', 'system', 'Oi', $2,
				(array['sent', 'delivered', 'read', 'failed']::message_status[])[array_position($3::uuid[], conversation.contact_id)]
			from conversation
		)
		insert into campaign_events (tenant_id, campaign_id, contact_id, event_type) values ($1, $2, $4, 'replied')`,
		tn.ID, campaign.ID, audience, audience[2])
	if err != nil {
		t.Fatal(err)
	}

	// The seeded campaign's event for Maria is another campaign's and is not counted.
	var stats db.CampaignStatsRow
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		var err error
		stats, err = q.CampaignStats(t.Context(), db.CampaignStatsParams{TenantID: tn.ID, CampaignID: campaign.ID})
		return err
	})
	if want := (db.CampaignStatsRow{Queued: 4, Replied: 1, Sent: 3, Delivered: 2, Read: 1, Failed: 1}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
}
