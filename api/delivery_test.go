package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/delivery"
	"github.com/atende/atende/whatsapp/whatsapptest"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// startWorkers runs delivery workers, as `server work` does, on the test API's database
// against its fake Graph API, with retries and polls short enough for a test. They stop
// when the test ends.
func startWorkers(t *testing.T, a *testAPI, cfg delivery.Config) *delivery.Delivery {
	t.Helper()
	d := newWorkers(t, a, cfg)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop the workers: %v", err)
		}
	})
	return d
}

func newWorkers(t *testing.T, a *testAPI, cfg delivery.Config) *delivery.Delivery {
	t.Helper()
	cfg.Graph, cfg.Work, cfg.TestOnly = a.graph.Client(), true, true
	cfg.RetryBase, cfg.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	cfg.FinishPoll, cfg.FetchPollInterval = 20*time.Millisecond, 20*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := delivery.New(a.db.App, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// awaitJobs waits, woken by the workers' job events, until done holds; it fails the
// test after a minute.
func awaitJobs(t *testing.T, d *delivery.Delivery, what string, done func() bool) {
	t.Helper()
	events, cancel := d.River().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobSnoozed, river.EventKindJobCancelled)
	defer cancel()
	deadline := time.After(time.Minute)
	for !done() {
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// sentMessage is a message as the API shows its delivery.
type sentMessage struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	ExternalID   *string `json:"external_id"`
	StatusReason *string `json:"status_reason"`
	CampaignID   *string `json:"campaign_id"`
}

// messageOf reads the message through the API.
func messageOf(t *testing.T, a *testAPI, token string, conversationID uuid.UUID, id string) sentMessage {
	t.Helper()
	for _, m := range listAll[sentMessage](t, a, token, "/api/v1/conversations/"+conversationID.String()+"/messages?limit=100") {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s not in its conversation", id)
	return sentMessage{}
}

// reply posts a reply as the token's user and returns its id.
func reply(t *testing.T, a *testAPI, token string, conversationID uuid.UUID, body map[string]any) string {
	t.Helper()
	return postCreated[sentMessage](t, a, token, "/api/v1/conversations/"+conversationID.String()+"/messages", body).ID
}

// awaitStatus waits until the message has left queued, and returns it.
func awaitStatus(t *testing.T, a *testAPI, d *delivery.Delivery, token string, conversationID uuid.UUID, id string) sentMessage {
	t.Helper()
	var m sentMessage
	awaitJobs(t, d, "message "+id+" to leave queued", func() bool {
		m = messageOf(t, a, token, conversationID, id)
		return m.Status != "queued"
	})
	return m
}

func TestReplyGoesOutAndItsStatusesComeBack(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	d := startWorkers(t, a, delivery.Config{})
	agent := a.token(tn.AgentID)

	id := reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Posso ajudar?"})
	m := awaitStatus(t, a, d, agent, tn.ConversationID, id)
	sends := a.graph.Sends()
	if len(sends) != 1 || a.graph.Attempts() != 1 {
		t.Fatalf("%d sends in %d requests, want one", len(sends), a.graph.Attempts())
	}
	s := sends[0]
	if s.PhoneNumberID != tn.PhoneNumberID || s.Token != "token-clinica-a" || s.To != "5511987654321" ||
		s.Body["type"] != "text" || s.Text != "Posso ajudar?" || s.Body["messaging_product"] != "whatsapp" {
		t.Fatalf("the Graph API got %+v", s)
	}
	if m.Status != "sent" || m.ExternalID == nil || *m.ExternalID != s.WAMID {
		t.Fatalf("after the send: %+v, want sent as %s", m, s.WAMID)
	}

	// Meta reports delivery and reading, read twice and a late sent: forward only.
	for _, report := range []struct{ status, want string }{
		{"delivered", "delivered"}, {"read", "read"}, {"read", "read"}, {"sent", "read"},
	} {
		var receipt whatsAppReceipt
		metaPost(t, a, metaStatus(tn.PhoneNumberID, s.WAMID, report.status)).expect(t, http.StatusOK).into(t, &receipt)
		if receipt.Statuses != 1 {
			t.Fatalf("status %s: receipt %+v", report.status, receipt)
		}
		if got := messageOf(t, a, agent, tn.ConversationID, id).Status; got != report.want {
			t.Fatalf("after Meta's %s: %s, want %s", report.status, got, report.want)
		}
	}

	// A photo by link, its caption the content.
	photo := reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Seu orçamento", "media": map[string]any{"type": "document", "url": "https://cdn.example/o.pdf", "filename": "orcamento.pdf"}})
	if m := awaitStatus(t, a, d, agent, tn.ConversationID, photo); m.Status != "sent" {
		t.Fatalf("document: %+v", m)
	}
	document, _ := a.graph.Sends()[1].Body["document"].(map[string]any)
	if document["link"] != "https://cdn.example/o.pdf" || document["caption"] != "Seu orçamento" || document["filename"] != "orcamento.pdf" {
		t.Fatalf("document sent as %v", a.graph.Sends()[1].Body)
	}
	// Media WhatsApp cannot send is refused when the reply is written.
	a.do(request{method: "POST", path: "/api/v1/conversations/" + tn.ConversationID.String() + "/messages", token: agent,
		body: map[string]any{"media": map[string]any{"type": "image", "url": "http://insecure.example/a.png"}}}).
		expectProblem(t, http.StatusBadRequest, "media")
}

func TestReplyIsSentOnceTheProviderRecovers(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	d := startWorkers(t, a, delivery.Config{})
	agent := a.token(tn.AgentID)

	a.graph.FailNext(providerDown, providerDown, providerDown)
	id := reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Confirmado"})
	m := awaitStatus(t, a, d, agent, tn.ConversationID, id)
	if m.Status != "sent" || len(a.graph.Sends()) != 1 || a.graph.Attempts() != 4 {
		t.Fatalf("%+v after %d requests and %d sends, want sent at the fourth request", m, a.graph.Attempts(), len(a.graph.Sends()))
	}

	// Throttled with Retry-After: the next attempt waits that long.
	a.graph.FailNext(whatsapptest.Failure{Status: http.StatusTooManyRequests, Code: 130429, Message: "Rate limit hit", RetryAfter: "1"})
	start := time.Now()
	id = reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Até amanhã"})
	if m := awaitStatus(t, a, d, agent, tn.ConversationID, id); m.Status != "sent" || a.graph.Attempts() != 6 {
		t.Fatalf("after a 429: %+v, %d requests", m, a.graph.Attempts())
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("sent %s after a 429 asking for 1 s", elapsed)
	}
}

// providerDown is the Graph API's answer while it is unavailable (retryable).
var providerDown = whatsapptest.Failure{Status: http.StatusServiceUnavailable, Code: 2, Message: "Service temporarily unavailable"}

// TestReplyFailsWhenTheAttemptsRunOut: a provider that stays down gets MaxAttempts
// requests, and the message ends failed, saying so, rather than queued forever.
func TestReplyFailsWhenTheAttemptsRunOut(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	// The job takes its attempts from the process that queued it: the API's default, 8.
	d := startWorkers(t, a, delivery.Config{})
	agent := a.token(tn.AgentID)

	a.graph.FailNext(slices.Repeat([]whatsapptest.Failure{providerDown}, 9)...)
	id := reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Confirmado"})
	m := awaitStatus(t, a, d, agent, tn.ConversationID, id)
	if m.Status != "failed" || m.StatusReason == nil || !strings.Contains(*m.StatusReason, "gave up after 8 attempts") {
		t.Fatalf("after a provider down for good: %+v, want failed, giving up after 8 attempts", m)
	}
	if a.graph.Attempts() != 8 || len(a.graph.Sends()) != 0 {
		t.Fatalf("%d requests and %d sends, want 8 and none", a.graph.Attempts(), len(a.graph.Sends()))
	}
}

func TestReplyToAnInvalidNumberFailsWithTheReason(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	d := startWorkers(t, a, delivery.Config{})
	agent := a.token(tn.AgentID)

	a.graph.FailTo("5511987654321", whatsapptest.Failure{Status: http.StatusBadRequest, Code: 131026, Message: "Message undeliverable"})
	id := reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Olá"})
	m := awaitStatus(t, a, d, agent, tn.ConversationID, id)
	if m.Status != "failed" || m.StatusReason == nil || !strings.Contains(*m.StatusReason, "Message undeliverable") || a.graph.Attempts() != 1 {
		t.Fatalf("%+v after %d requests, want failed at once with the provider's reason", m, a.graph.Attempts())
	}

	// Without a connected number, a reply fails saying so.
	a.do(request{method: "DELETE", path: "/api/v1/channels/whatsapp", token: a.token(tn.OwnerID)}).expect(t, http.StatusNoContent)
	id = reply(t, a, agent, tn.ConversationID, map[string]any{"content": "Olá de novo"})
	if m := awaitStatus(t, a, d, agent, tn.ConversationID, id); m.Status != "failed" || !strings.Contains(*m.StatusReason, "not connected") {
		t.Fatalf("without WhatsApp: %+v", m)
	}
}

// seedRecipients gives the tenant n contacts with a phone and the tag promo.
func seedRecipients(t testing.TB, d *dbtest.Database, tenantID uuid.UUID, n int) {
	t.Helper()
	if _, err := d.Admin.Exec(context.Background(), `
		insert into contacts (tenant_id, name, phone, tags)
		select $1, 'Paciente ' || g, '+55119' || lpad(g::text, 8, '0'), '{promo}' from generate_series(1, $2::int) g`, tenantID, n); err != nil {
		t.Fatal(err)
	}
}

// launchPromo creates and launches a campaign to the promo contacts, as the owner.
func launchPromo(t testing.TB, a *testAPI, owner string) uuid.UUID {
	t.Helper()
	var campaign struct{ ID uuid.UUID }
	a.do(request{method: "POST", path: "/api/v1/campaigns", token: owner, body: map[string]any{
		"name": "Promoção", "message_template": "Limpeza com 20% de desconto", "audience_filter": map[string]any{"tags": []string{"promo"}},
	}}).expect(a.t, http.StatusCreated).into(a.t, &campaign)
	a.do(request{method: "POST", path: "/api/v1/campaigns/" + campaign.ID.String() + "/launch", token: owner}).expect(a.t, http.StatusOK)
	return campaign.ID
}

// campaignStatus reads the campaign's status as a superuser.
func campaignStatus(t *testing.T, a *testAPI, id uuid.UUID) string {
	t.Helper()
	var status string
	if err := a.db.Admin.QueryRow(context.Background(), "select status::text from campaigns where id = $1", id).Scan(&status); err != nil {
		t.Fatal(err)
	}
	return status
}

// sendsFrom are the sends from a phone number.
func sendsFrom(sends []whatsapptest.Send, phoneNumberID string) []whatsapptest.Send {
	return slices.DeleteFunc(slices.Clone(sends), func(s whatsapptest.Send) bool { return s.PhoneNumberID != phoneNumberID })
}

// indexOf is the position of the send with the text, or -1.
func indexOf(sends []whatsapptest.Send, text string) int {
	return slices.IndexFunc(sends, func(s whatsapptest.Send) bool { return s.Text == text })
}

// TestCampaignSendsAtTheRateWithRepliesFirst: a 1,000-recipient campaign sends exactly
// 1,000 messages, never faster than the number's rate; a reply of the same tenant in the
// middle goes ahead of the campaign's remaining sends, and another tenant's reply is not
// delayed by it.
func TestCampaignSendsAtTheRateWithRepliesFirst(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	const recipients, rate = 1000, 250.0
	seedRecipients(t, a.db, tn.ID, recipients)
	d := startWorkers(t, a, delivery.Config{Rate: rate})

	campaign := launchPromo(t, a, a.token(tn.OwnerID))
	a.graph.Await(t, time.Minute, "the campaign's first 250 sends", func(s []whatsapptest.Send) bool { return len(s) >= 250 })
	before := len(a.graph.Sends())
	reply(t, a, a.token(tn.AgentID), tn.ConversationID, map[string]any{"content": "Resposta no meio da campanha"})
	reply(t, a, a.token(other.AgentID), other.ConversationID, map[string]any{"content": "Resposta de outra clínica"})
	awaitJobs(t, d, "the campaign to complete", func() bool { return campaignStatus(t, a, campaign) == "completed" })

	all := a.graph.Sends()
	own := sendsFrom(all, tn.PhoneNumberID)
	campaignSends := slices.DeleteFunc(slices.Clone(own), func(s whatsapptest.Send) bool { return s.Text != "Limpeza com 20% de desconto" })
	to := map[string]int{}
	for _, s := range campaignSends {
		to[s.To]++
	}
	if len(campaignSends) != recipients || len(to) != recipients {
		t.Fatalf("%d campaign sends to %d recipients, want exactly %d, one each", len(campaignSends), len(to), recipients)
	}

	// Never above the rate: in any second, at most the rate plus the bucket's burst (a
	// quarter second of it), with 5% for the time between a token and its request.
	burst := rate / 4
	for i, s := range own {
		j, _ := slices.BinarySearchFunc(own[i:], s.At.Add(time.Second), func(x whatsapptest.Send, at time.Time) int { return x.At.Compare(at) })
		if limit := int((rate + burst) * 1.05); j > limit {
			t.Fatalf("%d sends in the second from send %d, want at most %d", j, i, limit)
		}
	}
	if took, least := own[len(own)-1].At.Sub(own[0].At), time.Duration(float64(recipients-int(burst))/rate*float64(time.Second)); took < least*95/100 {
		t.Fatalf("%d sends took %s, faster than the rate allows (%s)", len(own), took, least)
	}

	// The reply went ahead: few campaign sends between it and its request.
	mine := indexOf(all, "Resposta no meio da campanha")
	theirs := indexOf(all, "Resposta de outra clínica")
	if mine < 0 || theirs < 0 {
		t.Fatalf("a reply was not sent (positions %d, %d)", mine, theirs)
	}
	t.Logf("after the replies were written, %d and %d sends went before them; the campaign's last was send %d", mine-before, theirs-before, len(all))
	if limit := int(rate / 5); mine-before > limit || theirs-before > limit {
		t.Fatalf("replies waited behind %d and %d sends, want at most %d (a fifth of a second of the campaign)", mine-before, theirs-before, limit)
	}
	if mine > len(all)-100 {
		t.Fatalf("the reply was send %d of %d: it waited for the campaign", mine, len(all))
	}

	var stats struct{ Events map[string]int64 }
	a.do(request{method: "GET", path: "/api/v1/campaigns/" + campaign.String() + "/stats", token: a.token(tn.OwnerID)}).expect(t, http.StatusOK).into(t, &stats)
	if stats.Events["queued"] != recipients || stats.Events["sent"] != recipients || stats.Events["failed"] != 0 {
		t.Fatalf("stats %v", stats.Events)
	}
}

// TestCampaignOfAnotherTenantWaitsLittle: a campaign's sends are queued two seconds'
// worth at a time, so a campaign launched while another tenant's six-second one runs
// waits behind about two seconds of it, not all of it.
func TestCampaignOfAnotherTenantWaitsLittle(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	first, second := dbtest.SeedTenant(t, a.db, "clinica-a"), dbtest.SeedTenant(t, a.db, "clinica-b")
	const recipients, rate = 1200, 200.0
	seedRecipients(t, a.db, first.ID, recipients)
	seedRecipients(t, a.db, second.ID, recipients)
	d := startWorkers(t, a, delivery.Config{Rate: rate})

	campaigns := []uuid.UUID{launchPromo(t, a, a.token(first.OwnerID)), launchPromo(t, a, a.token(second.OwnerID))}
	awaitJobs(t, d, "both campaigns to complete", func() bool {
		return campaignStatus(t, a, campaigns[0]) == "completed" && campaignStatus(t, a, campaigns[1]) == "completed"
	})
	all := a.graph.Sends()
	earlier, later := sendsFrom(all, first.PhoneNumberID), sendsFrom(all, second.PhoneNumberID)
	if len(earlier) != recipients || len(later) != recipients {
		t.Fatalf("%d and %d sends, want %d each", len(earlier), len(later), recipients)
	}
	if later[0].At.Before(earlier[0].At) {
		earlier, later = later, earlier
	}
	waited := later[0].At.Sub(earlier[0].At)
	t.Logf("the later campaign's first send came %s after the earlier's; each took about %s", waited, earlier[recipients-1].At.Sub(earlier[0].At))
	// Before the earlier campaign had sent half its messages (three seconds of its rate).
	if later[0].At.After(earlier[recipients/2].At) {
		t.Fatalf("the later campaign waited %s, past half of the earlier one", waited)
	}
}

// TestCampaignSurvivesAKilledWorker: a worker stopped hard mid-campaign (its jobs'
// contexts cancelled) leaves the rest to a new worker, which sends no message twice.
func TestCampaignSurvivesAKilledWorker(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	const recipients = 400
	seedRecipients(t, a.db, tn.ID, recipients)
	cfg := delivery.Config{Rate: 400}

	first := newWorkers(t, a, cfg)
	if err := first.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	campaign := launchPromo(t, a, a.token(tn.OwnerID))
	a.graph.Await(t, time.Minute, "100 sends", func(s []whatsapptest.Send) bool { return len(s) >= 100 })
	stopped, cancel := context.WithCancel(context.Background())
	cancel() // no grace: the running jobs are cancelled at once
	if err := first.Stop(stopped); err != nil {
		t.Fatal(err)
	}
	killedAt := len(a.graph.Sends())

	second := startWorkers(t, a, cfg)
	awaitJobs(t, second, "the campaign to complete", func() bool { return campaignStatus(t, a, campaign) == "completed" })
	to := map[string]int{}
	for _, s := range a.graph.Sends() {
		to[s.To]++
		if to[s.To] > 1 {
			t.Fatalf("%s was sent the campaign twice", s.To)
		}
	}
	if len(to) != recipients {
		t.Fatalf("%d recipients got the campaign, want %d", len(to), recipients)
	}
	t.Logf("the first worker was stopped after %d sends; the second sent %d", killedAt, recipients-killedAt)
}

// TestCampaignCancelStopsPendingSends: cancelling a running campaign stops the sends not
// yet made; the messages already sent stay, and are what the stats count.
func TestCampaignCancelStopsPendingSends(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	const recipients = 200
	seedRecipients(t, a.db, tn.ID, recipients)
	d := startWorkers(t, a, delivery.Config{Rate: 40})
	owner := a.token(tn.OwnerID)

	campaign := launchPromo(t, a, owner)
	a.graph.Await(t, time.Minute, "10 sends", func(s []whatsapptest.Send) bool { return len(s) >= 10 })
	a.do(request{method: "PATCH", path: "/api/v1/campaigns/" + campaign.String(), token: owner, body: map[string]any{"status": "cancelled"}}).
		expect(t, http.StatusOK)
	awaitJobs(t, d, "the campaign's jobs to end", func() bool {
		jobs, err := d.River().JobList(context.Background(), river.NewJobListParams().
			States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled))
		if err != nil {
			t.Fatal(err)
		}
		return len(jobs.Jobs) == 0
	})
	sent := len(a.graph.Sends())
	if sent >= recipients {
		t.Fatalf("all %d recipients got the cancelled campaign", sent)
	}
	var stats struct{ Events map[string]int64 }
	a.do(request{method: "GET", path: "/api/v1/campaigns/" + campaign.String() + "/stats", token: owner}).expect(t, http.StatusOK).into(t, &stats)
	if stats.Events["sent"] != int64(sent) || stats.Events["queued"] != recipients {
		t.Fatalf("stats %v after %d sends", stats.Events, sent)
	}
	if n := webhookCount(t, a, "select from messages where campaign_id = $1 and status = 'queued'", campaign); n != 0 {
		t.Fatalf("%d of the cancelled campaign's messages are still queued", n)
	}
	if status := campaignStatus(t, a, campaign); status != "cancelled" {
		t.Fatalf("campaign %s", status)
	}
	t.Logf("%d of %d recipients were sent the campaign before it was cancelled", sent, recipients)
}
