package legacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// sampleFacts is sample_v15.db.json: row counts and the users' passwords.
type sampleFacts struct {
	Counts    map[string]int    `json:"counts"`
	Passwords map[string]string `json:"passwords"`
}

func readSampleFacts(t *testing.T) sampleFacts {
	t.Helper()
	data, err := os.ReadFile(sampleFile + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var facts sampleFacts
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	return facts
}

func TestImportSample(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	facts := readSampleFacts(t)
	opts := legacy.Options{File: sampleFile, TenantSlug: "clinica-sorriso", CreateTenant: true, TenantName: "Clínica Sorriso"}
	report := mustImport(t, d.Admin, opts)
	if !report.Landed {
		t.Fatal("report says the import did not land")
	}
	tenantID := report.TenantID

	t.Run("every legacy row is accounted for", func(t *testing.T) {
		for table, want := range facts.Counts {
			tr := report.Table(table)
			if tr == nil {
				t.Fatalf("no report for %s", table)
			}
			if tr.Read != want || tr.Imported+tr.Merged+tr.Rejected != want {
				t.Errorf("%s: read %d, imported %d + merged %d + rejected %d; the file has %d", table, tr.Read, tr.Imported, tr.Merged, tr.Rejected, want)
			}
			if len(tr.MergedRows) != tr.Merged || len(tr.RejectedRows) != tr.Rejected {
				t.Errorf("%s: %d merged and %d rejected rows listed for counts %d and %d", table, len(tr.MergedRows), len(tr.RejectedRows), tr.Merged, tr.Rejected)
			}
		}
		// Imported rows are in the database: compare with what the report claims.
		for table, target := range map[string]string{
			"contacts": "contacts", "leads_pipeline": "leads_pipeline", "conversations": "conversations", "messages": "messages",
			"campaigns": "campaigns", "campaign_events": "campaign_events", "knowledge_documents": "knowledge_documents",
			"system_settings": "system_settings", "ai_config": "ai_config", "users": "users",
		} {
			var n int
			if err := d.Admin.QueryRow(ctx, "select count(*) from public."+target+" where tenant_id = $1", tenantID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			want := report.Table(table).Imported
			if table == "system_settings" {
				want++ // the new tenant's default locale, which the file does not set
			}
			if n != want {
				t.Errorf("public.%s has %d rows of the tenant, the report says %d imported", target, n, want)
			}
		}
	})

	t.Run("users log in with their old passwords", func(t *testing.T) {
		for email, password := range facts.Passwords {
			var hash string
			var confirmed *time.Time
			var identities int
			err := d.Admin.QueryRow(ctx, `
				select u.encrypted_password, u.email_confirmed_at,
					(select count(*) from auth.identities i where i.user_id = u.id and i.provider = 'email'
						and i.provider_id = u.id::text and i.identity_data ->> 'email' = u.email)
				from auth.users u where u.email = $1`, email).Scan(&hash, &confirmed, &identities)
			if err != nil {
				t.Fatalf("auth user %s: %v", email, err)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
				t.Errorf("%s: the known password does not verify: %v", email, err)
			}
			if confirmed == nil || identities != 1 {
				t.Errorf("%s: email_confirmed_at = %v, email identities = %d", email, confirmed, identities)
			}
		}
	})

	t.Run("the trigger made profiles in the tenant with the mapped roles", func(t *testing.T) {
		legacyRoles := map[string]string{}
		rows, err := openLegacy(t, sampleFile).Query("select lower(email), role from users")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var email, role string
			if err := rows.Scan(&email, &role); err != nil {
				t.Fatal(err)
			}
			legacyRoles[email] = role // admin -> admin, agent -> agent
		}
		profiles := map[string]string{}
		pgRows, err := d.Admin.Query(ctx, "select email, role::text from public.users where tenant_id = $1", tenantID)
		if err != nil {
			t.Fatal(err)
		}
		for pgRows.Next() {
			var email, role string
			if err := pgRows.Scan(&email, &role); err != nil {
				t.Fatal(err)
			}
			profiles[email] = role
		}
		if !maps.Equal(profiles, legacyRoles) {
			t.Errorf("profiles = %v, want %v", profiles, legacyRoles)
		}
	})

	t.Run("spot checks", func(t *testing.T) {
		// Message 3: '2024-01-01 08:23:55.000000', naive UTC.
		var created time.Time
		if err := d.Admin.QueryRow(ctx, "select created_at from messages where tenant_id = $1 and id = $2",
			tenantID, rowID(tenantID, "messages", 3)).Scan(&created); err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2024, 1, 1, 8, 23, 55, 0, time.UTC); !created.Equal(want) {
			t.Errorf("message 3 created_at = %v, want %v", created, want)
		}
		// Contact 3: tags ["convênio", "ortodontia", "vip"], custom field convenio Amil,
		// phone '51968328851'.
		var tags []string
		var convenio, phone string
		if err := d.Admin.QueryRow(ctx, "select tags, custom_fields ->> 'convenio', phone from contacts where tenant_id = $1 and id = $2",
			tenantID, rowID(tenantID, "contacts", 3)).Scan(&tags, &convenio, &phone); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tags, []string{"convênio", "ortodontia", "vip"}) || convenio != "Amil" || phone != "+5551968328851" {
			t.Errorf("contact 3: tags %q, convenio %q, phone %q", tags, convenio, phone)
		}
		// Contact 19 has two pending WhatsApp conversations (15, 25); only one may stay
		// open: 25, whose last message is the later one.
		statuses := map[uuid.UUID]string{}
		rows, err := d.Admin.Query(ctx, "select id, status::text from conversations where tenant_id = $1 and contact_id = $2",
			tenantID, rowID(tenantID, "contacts", 19))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id uuid.UUID
			var status string
			if err := rows.Scan(&id, &status); err != nil {
				t.Fatal(err)
			}
			statuses[id] = status
		}
		want := map[uuid.UUID]string{
			rowID(tenantID, "conversations", 15): "closed", rowID(tenantID, "conversations", 25): "pending",
			rowID(tenantID, "conversations", 18): "closed", rowID(tenantID, "conversations", 23): "closed",
		}
		if !maps.Equal(statuses, want) {
			t.Errorf("contact 19's conversations = %v, want %v", statuses, want)
		}
	})

	t.Run("conversations agree with their messages", func(t *testing.T) {
		// Expected from the file itself: the newest message's time, and the inbound
		// messages after the last outbound one, ordered by (time, id).
		type order struct {
			at time.Time
			id int
		}
		after := func(a, b order) bool { return a.at.After(b.at) || a.at.Equal(b.at) && a.id > b.id }
		type message struct {
			conversation int
			inbound      bool
			at           order
		}
		var messages []message
		rows, err := openLegacy(t, sampleFile).Query("select id, conversation_id, direction, CAST(created_at AS TEXT) from messages")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, conversation int
			var direction, created string
			if err := rows.Scan(&id, &conversation, &direction, &created); err != nil {
				t.Fatal(err)
			}
			at, err := time.Parse("2006-01-02 15:04:05", strings.Replace(created, "T", " ", 1))
			if err != nil {
				t.Fatal(err)
			}
			messages = append(messages, message{conversation, direction == "inbound", order{at, id}})
		}
		last, lastOutbound, unread := map[int]order{}, map[int]order{}, map[int]int{}
		for _, m := range messages {
			if after(m.at, last[m.conversation]) {
				last[m.conversation] = m.at
			}
			if !m.inbound && after(m.at, lastOutbound[m.conversation]) {
				lastOutbound[m.conversation] = m.at
			}
		}
		for _, m := range messages {
			if m.inbound && after(m.at, lastOutbound[m.conversation]) {
				unread[m.conversation]++
			}
		}
		for conversation, want := range last {
			var lastAt time.Time
			var unreadCount int
			if err := d.Admin.QueryRow(ctx, "select last_message_at, unread_count from conversations where tenant_id = $1 and id = $2",
				tenantID, rowID(tenantID, "conversations", conversation)).Scan(&lastAt, &unreadCount); err != nil {
				t.Fatal(err)
			}
			if !lastAt.Equal(want.at) || unreadCount != unread[conversation] {
				t.Errorf("conversation %d: last_message_at %v, unread %d; want %v, %d", conversation, lastAt, unreadCount, want.at, unread[conversation])
			}
		}
	})

	t.Run("each stage's leads are spread from 0 in V1.5's order", func(t *testing.T) {
		// V1.5 numbered positions across the whole board (stage new: 13, 15, 19).
		want := map[string][]uuid.UUID{}
		rows, err := openLegacy(t, sampleFile).Query("select id, stage from leads_pipeline order by stage, position, id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int
			var stage string
			if err := rows.Scan(&id, &stage); err != nil {
				t.Fatal(err)
			}
			want[stage] = append(want[stage], rowID(tenantID, "leads_pipeline", id))
		}
		for stage, ids := range want {
			for position, id := range ids {
				var got int
				if err := d.Admin.QueryRow(ctx, "select position from leads_pipeline where tenant_id = $1 and id = $2", tenantID, id).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want := position * db.LeadPositionGap; got != want {
					t.Errorf("stage %s: lead %s at position %d, want %d", stage, id, got, want)
				}
			}
		}
	})

	t.Run("no conversation starts after its first message", func(t *testing.T) {
		// In the file every conversation's created_at is later than its messages.
		first := map[int]time.Time{}
		rows, err := openLegacy(t, sampleFile).Query("select conversation_id, CAST(created_at AS TEXT) from messages")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var conversation int
			var created string
			if err := rows.Scan(&conversation, &created); err != nil {
				t.Fatal(err)
			}
			at, err := time.Parse("2006-01-02 15:04:05", strings.Replace(created, "T", " ", 1))
			if err != nil {
				t.Fatal(err)
			}
			if f, ok := first[conversation]; !ok || at.Before(f) {
				first[conversation] = at
			}
		}
		notes := report.Table("conversations").ChangedRows
		for conversation, want := range first {
			var created, last time.Time
			if err := d.Admin.QueryRow(ctx, "select created_at, last_message_at from conversations where tenant_id = $1 and id = $2",
				tenantID, rowID(tenantID, "conversations", conversation)).Scan(&created, &last); err != nil {
				t.Fatal(err)
			}
			if !created.Equal(want) || created.After(last) {
				t.Errorf("conversation %d: created %v, last message %v; want created at its first message, %v", conversation, created, last, want)
			}
			if findNote(notes, strconv.Itoa(conversation), "is after its first message") == "" {
				t.Errorf("conversation %d: the new created_at is not reported", conversation)
			}
		}
	})

	t.Run("a re-run changes nothing and reports every row unchanged", func(t *testing.T) {
		before := snapshot(t, d, tenantID)
		again := mustImport(t, d.Admin, opts)
		if after := snapshot(t, d, tenantID); !maps.Equal(before, after) {
			for table := range before {
				if before[table] != after[table] {
					t.Errorf("%s changed on re-run", table)
				}
			}
		}
		expectNoOpRerun(t, report, again)
	})
}

func TestImportDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	createTenant(t, d, "clinica")
	before := countAll(t, d)

	report := mustImport(t, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica", DryRun: true})
	if report.Landed || !report.DryRun || report.Table("messages").Imported != 1500 {
		t.Errorf("dry run report: landed %v, dry %v, messages imported %d", report.Landed, report.DryRun, report.Table("messages").Imported)
	}
	if after := countAll(t, d); !maps.Equal(before, after) {
		t.Errorf("dry run wrote: before %v, after %v", before, after)
	}
	// A dry run with --create-tenant does not leave the tenant either.
	mustImport(t, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "new-one", CreateTenant: true, TenantName: "New", DryRun: true})
	var tenants int
	if err := d.Admin.QueryRow(ctx, "select count(*) from tenants where slug = 'new-one'").Scan(&tenants); err != nil || tenants != 0 {
		t.Errorf("dry run created the tenant: %d, %v", tenants, err)
	}
}

func TestImportNeedsTheTenant(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	_, err := legacy.Import(context.Background(), d.Admin, legacy.Options{File: sampleFile, TenantSlug: "missing"})
	if !errors.Is(err, legacy.ErrTenantNotFound) {
		t.Fatalf("err = %v, want ErrTenantNotFound", err)
	}
}

func TestImportedRowsAreInvisibleToOtherTenants(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	other := dbtest.SeedTenant(t, d, "outra-clinica")
	report := mustImport(t, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica", CreateTenant: true, TenantName: "Clínica"})
	tenantID := report.TenantID

	var anaID uuid.UUID
	if err := d.Admin.QueryRow(ctx, "select id from auth.users where email = 'ana@clinica.example'").Scan(&anaID); err != nil {
		t.Fatal(err)
	}
	tables := []string{"users", "contacts", "leads_pipeline", "conversations", "messages", "campaigns", "campaign_events",
		"ai_config", "knowledge_documents", "system_settings"}
	// visible counts, as the caller with claims (role authenticated, as every request
	// runs), the rows of each table that belong to the imported tenant.
	visible := func(claims json.RawMessage) map[string]int {
		counts := map[string]int{}
		tx, err := d.App.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", string(claims)); err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			var n int
			if err := tx.QueryRow(ctx, "select count(*) from public."+table+" where tenant_id = $1", tenantID).Scan(&n); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			counts[table] = n
		}
		return counts
	}

	// An imported admin sees the imported rows (the check can fail) ...
	own := visible(dbtest.Claims(anaID))
	for _, table := range tables {
		if own[table] == 0 {
			t.Errorf("an imported admin sees no rows of %s", table)
		}
	}
	// ... and a user of another tenant none of them, also when asking by id.
	for table, n := range visible(other.OwnerClaims()) {
		if n != 0 {
			t.Errorf("another tenant's owner sees %d imported rows of %s", n, table)
		}
	}
	err := d.App.AsCaller(ctx, other.OwnerClaims(), func(q *db.Queries) error {
		_, err := q.ContactGet(ctx, db.ContactGetParams{TenantID: tenantID, ID: rowID(tenantID, "contacts", 1)})
		return err
	})
	if !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another tenant's owner reads an imported contact: err = %v, want ErrNotFound", err)
	}
}
