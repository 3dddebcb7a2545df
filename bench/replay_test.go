package bench

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// probe is the target the test transactions were captured for.
var probe = Target{
	TenantID: uuid.MustParse("01a22b94-34a0-7115-8583-0170b53fb939"), UserID: uuid.MustParse("995bf39a-cc88-4bdd-81fa-850d21a2a4a1"),
	Claims: `{"role":"authenticated","sub":"995bf39a-cc88-4bdd-81fa-850d21a2a4a1"}`, Q: "silv",
	ContactID: uuid.MustParse("01a22b94-34e2-73be-882f-7901f3e954fe"), ConversationID: uuid.MustParse("01a22b94-3527-74d2-8e19-4d068bd93804"),
}

// callerTransaction is a read as the server sends it: BEGIN, the role switch and the
// caller lookup in one batch, the endpoint's statements, COMMIT.
func callerTransaction(endpoint ...Statement) Transaction {
	tx := Transaction{{
		{SQL: "begin"},
		{SQL: "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", Args: []any{"authenticated", probe.Claims}},
		{SQL: "-- name: UserGetCaller :one\nselect * from users where id = $1::uuid\n", Args: []any{probe.UserID}},
	}}
	for _, s := range endpoint {
		tx = append(tx, []Statement{s})
	}
	return append(tx, []Statement{{SQL: "commit"}})
}

var (
	contactGet = Statement{SQL: "-- name: ContactGet :one\nselect * from contacts where tenant_id = $1::uuid and id = $2::uuid\n",
		Args: []any{probe.TenantID, probe.ContactID}}
	contactList = Statement{SQL: "-- name: ContactList :many\nselect * from contacts where tenant_id = $2::uuid and ($1::text is null or search_text like $1::text) and ($3::timestamptz is null) limit $4::integer\n",
		Args: []any{&probe.Q, probe.TenantID, (*time.Time)(nil), int32(51)}}
)

func mustCompile(t *testing.T, tx Transaction) replay {
	t.Helper()
	r, err := compile(tx, probe)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScriptReplaysTheCapturedRoundTrips(t *testing.T) {
	script, defines := mustCompile(t, callerTransaction(contactList)).script(small, 400)
	for _, want := range []string{
		"\\set n random(1, 400)\nselect tenant_id, user_id, claims, contact_id, conversation_id, q from bench.targets where kind = 'small' and n = :n \\gset\n",
		"\\startpipeline\nbegin;\nselect set_config('role', :c1, true), set_config('request.jwt.claims', :claims, true);\nselect * from users where id = :user_id::uuid;\n\\endpipeline\n",
		"select * from contacts where tenant_id = :tenant_id::uuid and (:q::text is null or search_text like :q::text) and (:sql_null::timestamptz is null) limit :c2::integer;\ncommit;\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks\n%s\n--- script:\n%s", want, script)
		}
	}
	if want := map[string]string{"tx": "0", "c1": "authenticated", "c2": "51"}; !maps.Equal(defines, want) {
		t.Errorf("defines %v, want %v", defines, want)
	}
}

func TestCompileRefusesAnIDItCannotVary(t *testing.T) {
	// The tenant inside a larger value: replayed as a constant, every transaction would
	// read the probe's tenant whoever the caller.
	pinned := Statement{SQL: "select $1::text", Args: []any{"tenant:" + probe.TenantID.String()}}
	if _, err := compile(callerTransaction(pinned), probe); err == nil || !strings.Contains(err.Error(), "tenant_id") {
		t.Fatalf("compile: %v, want an error naming tenant_id", err)
	}
}

func TestAsRoleSwitchesTheRoleOnly(t *testing.T) {
	off, ok := mustCompile(t, callerTransaction(contactGet)).asRole("service_role")
	if !ok {
		t.Fatal("no role switch found")
	}
	_, defines := off.script(small, 1)
	if defines["c1"] != "service_role" {
		t.Fatalf("defines %v, want c1 = service_role", defines)
	}
	literal := Transaction{{{SQL: "select set_config('role', 'authenticated', true)"}}}
	off, ok = mustCompile(t, literal).asRole("service_role")
	if script, _ := off.script(small, 1); !ok || !strings.Contains(script, "'service_role'") {
		t.Fatalf("literal role not switched:\n%s", script)
	}
	if _, ok := mustCompile(t, Transaction{{contactGet}}).asRole("service_role"); ok {
		t.Fatal("found a role switch in a transaction without one")
	}
}

func TestEndpointPartDropsWhatEveryReadShares(t *testing.T) {
	// Two endpoints may share more than the caller's transaction (here both end with
	// ContactGet); all of them together do not.
	contact, search := mustCompile(t, callerTransaction(contactGet)), mustCompile(t, callerTransaction(contactList, contactGet))
	inbox := mustCompile(t, callerTransaction(Statement{SQL: "-- name: ConversationInbox :many\nselect 1\n"}))
	var names []string
	for _, s := range search.endpointPart([]replay{contact, search, inbox}).statements() {
		names = append(names, statementName(s.sql))
	}
	if want := []string{"ContactList", "ContactGet"}; !slices.Equal(names, want) {
		t.Fatalf("endpoint part %v, want %v", names, want)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	sorted := make([]time.Duration, 100)
	for i := range sorted {
		sorted[i] = time.Duration(i+1) * time.Millisecond
	}
	for q, want := range map[float64]float64{0.5: 50, 0.95: 95, 0.99: 99, 1: 100} {
		if got := percentile(sorted, q); got != want {
			t.Errorf("percentile %v = %v, want %v", q, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "—", 7.4: "7", 999.5: "1,000", 1234567: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestArgTextIsWhatPgxSends(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, c := range []struct {
		arg  any
		text string
		null bool
	}{
		{nil, "", true}, {(*string)(nil), "", true}, {json.RawMessage(nil), "", true},
		{&probe.Q, "silv", false}, {probe.TenantID, probe.TenantID.String(), false}, {&probe.UserID, probe.UserID.String(), false},
		{int32(51), "51", false}, {true, "true", false}, {json.RawMessage(`{"a":1}`), `{"a":1}`, false},
		{&at, "2026-01-02T03:04:05.0000006Z", false},
	} {
		text, null, err := argText(c.arg)
		if err != nil || text != c.text || null != c.null {
			t.Errorf("argText(%#v) = %q, %v, %v; want %q, %v", c.arg, text, null, err, c.text, c.null)
		}
	}
}
