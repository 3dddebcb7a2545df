package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
)

// TestCitusTenantMovesWhileServed isolates a tenant's rows to shards of their own
// (isolate_tenant_to_new_shard, every colocated table) and moves them to the other
// worker (citus_move_shard_placement, logical replication), while the tenant's members
// read the inbox and add contacts and its provider delivers messages: every request
// made during the move must succeed (a 503, while the tenant's writes are blocked, is
// retried after its Retry-After, five times at most, as the API asks of clients); what
// failed during the isolation is reported.
func TestCitusTenantMovesWhileServed(t *testing.T) {
	dbtest.RequireCitus(t)
	a := newTestAPI(t)
	big := dbtest.SeedTenant(t, a.db, "clinica-grande")
	dbtest.SeedTenant(t, a.db, "clinica-pequena")
	token := a.token(big.OwnerID)
	secret := webhookSecret(t, a, big.ID)
	ctx := context.Background()

	// Counted by phase: 0 isolating (blocking: the tenant's writes wait for the split's
	// copy), 1 moving (logical replication: writes go on until the switch).
	var phase atomic.Int32
	var served, retried, failed [2]atomic.Int64
	var failures sync.Map // the first answer of each kind and phase that failed
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
				p := phase.Load()
				res, err := call(n)
				// What the API asks of a client: a write that waited past lock_timeout
				// (the split's copy, the move's switch-over) is tried again after
				// Retry-After, up to five times.
				for try := 0; try < 5 && err == nil && res.status == http.StatusServiceUnavailable; try++ {
					retried[p].Add(1)
					wait, _ := strconv.Atoi(res.header.Get("Retry-After"))
					time.Sleep(time.Duration(wait) * time.Second)
					res, err = call(n)
				}
				if err != nil || res.status != want {
					failed[p].Add(1)
					failures.LoadOrStore(fmt.Sprintf("%s (phase %d)", kind, p), fmt.Sprintf("status %d, error %v: %s", res.status, err, res.body))
					continue
				}
				served[p].Add(1)
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
	// Blocking: the non-blocking split (force_logical) of these partitioned tables did not
	// finish on Citus 13.2 here.
	err := a.db.Admin.QueryRow(ctx, `select isolate_tenant_to_new_shard('public.contacts', $1::uuid, 'CASCADE', shard_transfer_mode => 'block_writes')`, big.ID).Scan(&shard)
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
	phase.Store(1)
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
	for p, name := range []string{"isolating (block_writes)", "moving (force_logical)"} {
		t.Logf("%s: %d requests served (%d retries after a 503), %d failed",
			name, served[p].Load(), retried[p].Load(), failed[p].Load())
	}
	t.Logf("tenant %s isolated to shard %d and moved from :%d to :%d", big.ID, shard, fromPort, toPort)
	// Only the move must cost nothing. The blocking split may fail a read planned just
	// before it swaps the shards ("could not find valid entry for shard", a 500): seen on
	// Citus 13.2, reported, not failed on (docs/scaling.md).
	failures.Range(func(kind, answer any) bool {
		if strings.HasSuffix(kind.(string), "(phase 0)") {
			t.Logf("%s failed during the isolation: %s", kind, answer)
		} else {
			t.Errorf("%s failed during the move: %s", kind, answer)
		}
		return true
	})
	if served[0].Load() == 0 || served[1].Load() == 0 {
		t.Error("no request was served during the isolation or the move")
	}
}
