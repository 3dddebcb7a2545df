package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// TestCitusTenantMovesWhileServed isolates a tenant's rows to shards of their own
// (isolate_tenant_to_new_shard, every colocated table) and moves them to the other
// worker (citus_move_shard_placement, logical replication), while the tenant's members
// read the inbox and add contacts and its provider delivers messages: every one of those
// requests must succeed, before, during and after.
func TestCitusTenantMovesWhileServed(t *testing.T) {
	dbtest.RequireCitus(t)
	a := newTestAPI(t)
	big := dbtest.SeedTenant(t, a.db, "clinica-grande")
	dbtest.SeedTenant(t, a.db, "clinica-pequena")
	token := a.token(big.OwnerID)
	secret := webhookSecret(t, a, big.ID)
	ctx := context.Background()

	var served, failed atomic.Int64
	var failures sync.Map // the first answer of each kind that failed
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := func(kind string, call func(n int) (response, error), want int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := call(n)
				if err != nil || res.status != want {
					failed.Add(1)
					failures.LoadOrStore(kind, fmt.Sprintf("status %d, error %v: %s", res.status, err, res.body))
					continue
				}
				served.Add(1)
			}
		}()
	}
	client("inbox", func(int) (response, error) {
		return inboxSend(a, "GET", "/api/v1/conversations", token, nil, nil)
	}, http.StatusOK)
	client("new contact", func(n int) (response, error) {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Paciente %d", n)})
		return inboxSend(a, "POST", "/api/v1/contacts", token, nil, body)
	}, http.StatusCreated)
	client("inbound message", func(n int) (response, error) {
		body, _ := json.Marshal(map[string]any{"channel": "whatsapp", "external_id": fmt.Sprintf("wamid.move-%d", n),
			"from": "+5511987654321", "content": "Oi"})
		return webhookCall(a, "/api/v1/webhooks/"+big.ID.String()+"/inbound", signed(secret, body), body)
	}, http.StatusOK)

	var shard int64
	err := a.db.Admin.QueryRow(ctx, `select isolate_tenant_to_new_shard('public.contacts', $1::uuid, 'CASCADE', shard_transfer_mode => 'force_logical')`, big.ID).Scan(&shard)
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("isolate the tenant: %v", err)
	}
	var fromHost, toHost string
	var fromPort, toPort int
	err = a.db.Admin.QueryRow(ctx, `
		select s.nodename, s.nodeport, w.nodename, w.nodeport
		from citus_shards s, pg_dist_node w
		where s.shardid = $1 and w.groupid <> 0 and (w.nodename, w.nodeport) <> (s.nodename, s.nodeport)
		limit 1`, shard).Scan(&fromHost, &fromPort, &toHost, &toPort)
	if err == nil {
		_, err = a.db.Admin.Exec(ctx, `select citus_move_shard_placement($1, $2, $3, $4, $5, shard_transfer_mode => 'force_logical')`,
			shard, fromHost, fromPort, toHost, toPort)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("move the tenant's shard %d to %s:%d: %v", shard, toHost, toPort, err)
	}

	var nowOn int
	if err := a.db.Admin.QueryRow(ctx, `select nodeport from citus_shards where shardid = $1`, shard).Scan(&nowOn); err != nil {
		t.Fatal(err)
	}
	if nowOn != toPort {
		t.Errorf("shard %d is on port %d after the move, want %d", shard, nowOn, toPort)
	}
	t.Logf("tenant %s isolated to shard %d and moved from :%d to :%d: %d requests served, %d failed",
		big.ID, shard, fromPort, toPort, served.Load(), failed.Load())
	failures.Range(func(kind, answer any) bool {
		t.Errorf("%s failed during the move: %s", kind, answer)
		return true
	})
	if served.Load() == 0 {
		t.Error("no request was served during the move")
	}
}
