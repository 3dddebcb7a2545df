package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// inboxVolume is a small platform for the inbox comparison: the tenant read is one of
// twenty, with a page of conversations to show.
var inboxVolume = dbtest.Volume{
	Tenants: 20, UsersPerTenant: 2, ContactsPerTenant: 40, ConversationsPerTenant: 30, MessagesPerConversation: 5,
	LeadsPerTenant: 5, CampaignsPerTenant: 1, EventsPerCampaign: 5, DocumentsPerTenant: 2, SettingsPerTenant: 2,
	InvitationsPerTenant: 1,
}

// BenchmarkCitusInbox measures what routing through a Citus coordinator costs the inbox:
// the server binary runs on a single-node test database and on a distributed one (the
// cluster at TEST_CITUS_URL, on the same machine), seeded alike, and 32 clients page one
// tenant's inbox (GET /api/v1/conversations) from each in turn, BENCH_ROUNDS times
// (default 3) for BENCH_SECONDS each (default 5). It reports each one's median req/s and
// the median of the rounds' coordinator ÷ single node. Both share the machine's cores,
// so the ratio is the routing's cost, not a speed-up.
//
//	make bench-citus
func BenchmarkCitusInbox(b *testing.B) {
	rounds, seconds := benchEnv(b, "BENCH_ROUNDS", 3), benchEnv(b, "BENCH_SECONDS", 5)
	fair := []string{"USER_RATE_LIMIT=1000000", "USER_RATE_BURST=1000000", "TENANT_MAX_IN_FLIGHT=16", "DATABASE_POOL_SIZE=16"}
	type target struct {
		name, base, token string
	}
	var targets []target
	for _, t := range []struct {
		name string
		d    *dbtest.Database
	}{{"single_node", dbtest.New(b)}, {"coordinator", dbtest.NewCitus(b)}} {
		dbtest.SeedVolume(b, t.d, inboxVolume)
		var owner uuid.UUID
		if err := t.d.Admin.QueryRow(context.Background(), `select id from users where email = 'user1@volume-1.example'`).Scan(&owner); err != nil {
			b.Fatal(err)
		}
		base, _ := benchServer(b, t.d, fair...)
		targets = append(targets, target{t.name, base, benchToken(b, owner)})
	}

	rates := map[string][]float64{}
	var ratios []float64
	for range rounds {
		var single float64
		for _, t := range targets {
			rate := loadRate(b, t.base+"/api/v1/conversations", t.token, time.Duration(seconds)*time.Second)
			rates[t.name] = append(rates[t.name], rate)
			if t.name == "single_node" {
				single = rate
				continue
			}
			ratios = append(ratios, rate/single)
			b.Logf("single node %.0f req/s, coordinator %.0f req/s (%.2f)", single, rate, rate/single)
		}
	}
	for _, t := range targets {
		b.ReportMetric(middle(rates[t.name]), t.name+"-req/s")
	}
	b.ReportMetric(middle(ratios), "coordinator/single")
}
