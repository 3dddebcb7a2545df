package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/whatsapp/whatsapptest"
	"github.com/google/uuid"
)

// BenchmarkCampaignDelivery measures delivery as a clinic would feel it: the server binary
// (`serve`, workers included) runs as its own process against a fake Graph API; one
// tenant launches a campaign to BENCH_RECIPIENTS contacts (default 2,000) with a send
// rate of BENCH_SEND_RATE per second (WHATSAPP_RATE_LIMIT, default 200), while that
// tenant and another post a reply every 200 ms. It reports the campaign's sends per
// second (first to last request the Graph API received) and each reply's end-to-end
// latency, from the POST to the Graph API receiving it (p50, p95, max).
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench CampaignDelivery -benchtime 1x ./api/
func BenchmarkCampaignDelivery(b *testing.B) {
	recipients, rate := benchEnv(b, "BENCH_RECIPIENTS", 2000), benchEnv(b, "BENCH_SEND_RATE", 200)
	d := dbtest.New(b)
	tn := dbtest.SeedTenant(b, d, "clinica-a")
	other := dbtest.SeedTenant(b, d, "clinica-b")
	seedRecipients(b, d, tn.ID, recipients)
	graph := whatsapptest.New(b)

	base, _ := benchServer(b, d, "WHATSAPP_GRAPH_URL="+graph.Server.URL+"/v21.0", "WHATSAPP_RATE_LIMIT="+strconv.Itoa(rate))
	mint := func(user uuid.UUID) string { return benchToken(b, user) }
	post := func(token, path string, body any) []byte {
		encoded, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(encoded))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var answer bytes.Buffer
		answer.ReadFrom(res.Body)
		if res.StatusCode >= 300 {
			b.Fatalf("POST %s: %d %s", path, res.StatusCode, answer.Bytes())
		}
		return answer.Bytes()
	}
	owner := mint(tn.OwnerID)
	var campaign struct{ ID uuid.UUID }
	json.Unmarshal(post(owner, "/api/v1/campaigns", map[string]any{
		"name": "Promoção", "message_template": "Limpeza com 20% de desconto", "audience_filter": map[string]any{"tags": []string{"promo"}},
	}), &campaign)

	b.ResetTimer()
	post(owner, "/api/v1/campaigns/"+campaign.ID.String()+"/launch", nil)
	replies := map[string]time.Time{}
	repliers := []struct {
		token        string
		conversation uuid.UUID
	}{{mint(tn.AgentID), tn.ConversationID}, {mint(other.AgentID), other.ConversationID}}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		var status string
		if err := d.Admin.QueryRow(context.Background(), "select status::text from campaigns where id = $1", campaign.ID).Scan(&status); err != nil {
			b.Fatal(err)
		}
		if status == "completed" {
			break
		}
		<-tick.C
		r := repliers[i%2]
		text := fmt.Sprintf("resposta %d", i)
		replies[text] = time.Now()
		post(r.token, "/api/v1/conversations/"+r.conversation.String()+"/messages", map[string]any{"content": text})
	}
	b.StopTimer()

	sends := graph.Await(b, time.Minute, "every reply", func(s []whatsapptest.Send) bool { return len(s) >= recipients+len(replies) })
	var first, last time.Time
	var latencies []time.Duration
	for _, s := range sends {
		if at, ok := replies[s.Text]; ok {
			latencies = append(latencies, s.At.Sub(at))
			continue
		}
		if first.IsZero() {
			first = s.At
		}
		last = s.At
	}
	slices.Sort(latencies)
	if len(latencies) == 0 {
		b.Fatal("no reply was sent")
	}
	pick := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(sends)-len(latencies)), "campaign_sends")
	b.ReportMetric(float64(len(sends)-len(latencies)-1)/last.Sub(first).Seconds(), "sends/s")
	b.ReportMetric(float64(rate), "rate_limit/s")
	b.ReportMetric(float64(len(latencies)), "replies")
	b.ReportMetric(pick(0.5), "reply_p50_ms")
	b.ReportMetric(pick(0.95), "reply_p95_ms")
	b.ReportMetric(pick(1), "reply_max_ms")
}
