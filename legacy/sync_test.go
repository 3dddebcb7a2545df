package legacy_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/google/uuid"
)

// copySample copies the V1.5 sample to a file of the test's own, which it may change as
// V1.5 would.
func copySample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v15.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// changeFile runs statements on a V1.5 file, as V1.5 would write them.
func changeFile(t *testing.T, path string, statements ...string) {
	t.Helper()
	file, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, s := range statements {
		if _, err := file.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// legacyInt reads one integer from a V1.5 file.
func legacyInt(t *testing.T, path, query string) int {
	t.Helper()
	var n int
	if err := openLegacy(t, path).QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// The sample, imported, then changed in V1.5 in every way a customer's file changes
// before cutover — and a few rows changed in V1.6 too — then synced.
func TestSyncBringsEveryChange(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	file := copySample(t)
	opts := legacy.Options{File: file, TenantSlug: "clinica", CreateTenant: true, TenantName: "Clínica"}
	first := mustImport(t, d.Admin, opts)
	tenantID := first.TenantID
	id := func(table string, legacyID int) uuid.UUID { return rowID(tenantID, table, legacyID) }
	exec := func(query string, args ...any) { t.Helper(); execSQL(t, d, query, args...) }
	query := func(query string, args []any, dest ...any) { t.Helper(); scanRow(t, d, query, args, dest...) }

	// Messages whose status V1.5 moves: forward, forward where V1.6 moved it too, and
	// backwards.
	advanced := legacyInt(t, file, "SELECT min(id) FROM messages WHERE direction = 'outbound' AND status = 'sent'")
	bothAdvanced := legacyInt(t, file, "SELECT min(id) FROM messages WHERE direction = 'outbound' AND status = 'sent' AND id > "+itoa(advanced))
	regressed := legacyInt(t, file, "SELECT min(id) FROM messages WHERE direction = 'outbound' AND status = 'read'")
	ahead := legacyInt(t, file, "SELECT min(id) FROM messages WHERE direction = 'outbound' AND status = 'sent' AND id > "+itoa(bothAdvanced))

	// V1.6, meanwhile: a contact's email, a conversation assigned, a delivery report.
	exec("update contacts set email = 'gabriel@v16.example', updated_at = now() where tenant_id = $1 and id = $2", tenantID, id("contacts", 5))
	exec("update conversations set assigned_user_id = $3, updated_at = now() where tenant_id = $1 and id = $2",
		tenantID, id("conversations", 2), id("users", 2))
	exec("update messages set status = 'delivered' where tenant_id = $1 and id = $2", tenantID, id("messages", bothAdvanced))
	exec("update messages set status = 'read' where tenant_id = $1 and id = $2", tenantID, id("messages", ahead))
	var unreadBefore int
	var lastBefore time.Time
	query("select unread_count, last_message_at from conversations where tenant_id = $1 and id = $2",
		[]any{tenantID, id("conversations", 2)}, &unreadBefore, &lastBefore)

	changeFile(t, file,
		// Changed rows.
		"UPDATE contacts SET name = 'Márcia Alves Souza', updated_at = '2024-12-01 10:00:00' WHERE id = 3",
		"UPDATE contacts SET name = 'Gabriel N.', updated_at = '2024-12-01 10:00:00' WHERE id = 5", // and in V1.6
		"UPDATE messages SET status = 'read' WHERE id IN ("+itoa(advanced)+", "+itoa(bothAdvanced)+")",
		"UPDATE messages SET status = 'delivered' WHERE id = "+itoa(regressed),
		"UPDATE conversations SET status = 'closed' WHERE id = 1",
		"UPDATE users SET full_name = 'Carla Dias Ramos' WHERE id = 3",
		"UPDATE users SET is_active = 0 WHERE id = 4",
		"UPDATE campaigns SET status = 'completed', completed_at = '2024-12-02 10:00:00' WHERE id = 1",
		"UPDATE campaigns SET message_template = 'Outro texto' WHERE id = 2", // completed: its content is fixed
		"UPDATE leads_pipeline SET notes = 'Ligar na segunda' WHERE id = 19",
		`UPDATE campaign_events SET metadata = '{"provider": "meta", "retried": true}' WHERE id = 1`,
		"UPDATE knowledge_documents SET content = 'Aceitamos Amil e Unimed.', updated_at = '2024-12-01 10:00:00' WHERE id = 1",
		"UPDATE system_settings SET value = '72' WHERE key = 'auto_close_hours'",
		// New rows in every table.
		"INSERT INTO users (id, email, hashed_password, full_name, role, is_active, created_at) VALUES "+
			"(6, 'fabio@clinica.example', '$2b$10$4Aki099PenRywE2cZ5NQUuBty4bG2drobejezzUU/jR.M/HnAdfLW', 'Fábio Reis', 'agent', 1, '2024-12-01 09:00:00')",
		"INSERT INTO contacts (id, name, phone, tags, custom_fields, created_at) VALUES (61, 'Nova Paciente', '+55 11 97777-0001', '[]', '{}', '2024-12-01 09:00:00')",
		"INSERT INTO campaigns (id, name, channel, status, message_template, audience_filter, created_at) VALUES (4, 'Campanha 4', 'whatsapp', 'draft', 'Olá', '{}', '2024-12-01 09:00:00')",
		"INSERT INTO conversations (id, contact_id, channel, status, ai_enabled, created_at) VALUES (51, 61, 'whatsapp', 'open', 1, '2024-12-01 09:00:00')",
		"INSERT INTO messages (id, conversation_id, direction, sender_type, content, external_id, created_at) VALUES "+
			"(1501, 51, 'inbound', 'contact', 'Oi, quero agendar', 'wamid.new.1501', '2024-12-01 09:01:00'), "+
			"(1502, 2, 'inbound', 'contact', 'Ainda aguardo', 'wamid.new.1502', '2024-12-01 09:02:00'), "+
			"(1503, 1, 'inbound', 'contact', 'Obrigada!', 'wamid.new.1503', '2024-12-01 09:03:00')",
		"INSERT INTO leads_pipeline (id, contact_id, stage, value, position, created_at) VALUES (21, 61, 'new', 300, 99, '2024-12-01 09:00:00')",
		"INSERT INTO campaign_events (id, campaign_id, contact_id, event_type, occurred_at, metadata) VALUES (293, 4, 61, 'queued', '2024-12-01 09:00:00', '{}')",
		"INSERT INTO ai_config (id, enabled, model, system_prompt, temperature, business_hours, updated_at) VALUES (2, 1, 'gpt-4o', 'Atenda bem.', 0.2, '{}', '2024-12-01 09:00:00')",
		"INSERT INTO knowledge_documents (id, title, content, tags, created_at) VALUES (11, 'Agendamento online', 'Pelo site.', '[]', '2024-12-01 09:00:00')",
		`INSERT INTO system_settings (key, value, updated_at) VALUES ('booking.url', '"https://agenda.example"', '2024-12-01 09:00:00')`,
		// Deleted rows.
		"DELETE FROM knowledge_documents WHERE id = 10",
		"DELETE FROM leads_pipeline WHERE id = 20",
	)

	t.Run("without --sync, changes are reported pending and not applied", func(t *testing.T) {
		dry := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica", DryRun: true})
		total := dry.Totals()
		if total.Updated != 0 || total.Pending == 0 || total.New != 11 {
			t.Errorf("plain run: %s", total.Summary())
		}
		if findNote(dry.Table("contacts").PendingRows, "3", "name") == "" {
			t.Errorf("contacts pending %v", dry.Table("contacts").PendingRows)
		}
	})

	before := snapshot(t, d, tenantID)
	report := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica", Sync: true, SyncDeletes: true})
	if !report.Landed || !report.Sync {
		t.Fatal("the sync did not land")
	}

	t.Run("the report says what each row did", func(t *testing.T) {
		type counts struct{ new, updated, conflicts, deleted, removed int }
		want := map[string]counts{
			"users":               {new: 1, updated: 2},
			"contacts":            {new: 1, updated: 1, conflicts: 1},
			"campaigns":           {new: 1, updated: 1, conflicts: 1},
			"conversations":       {new: 1, updated: 1, conflicts: 1},
			"messages":            {new: 3, updated: 2, conflicts: 1},
			"leads_pipeline":      {new: 1, updated: 1, deleted: 1, removed: 1},
			"campaign_events":     {new: 1, updated: 1},
			"ai_config":           {updated: 1},
			"knowledge_documents": {new: 1, updated: 1, deleted: 1, removed: 1},
			"system_settings":     {new: 1, updated: 1},
		}
		for table, w := range want {
			tr := report.Table(table)
			got := counts{tr.New, tr.Updated, tr.Conflicts, tr.DeletedInV15, tr.Removed}
			if got != w {
				t.Errorf("%s: %+v (%s), want %+v", table, got, tr.Summary(), w)
			}
			if tr.New+tr.Updated+tr.Unchanged+tr.Conflicts+tr.Pending != tr.Imported {
				t.Errorf("%s: %s does not add up to %d imported", table, tr.Summary(), tr.Imported)
			}
		}
		contacts := report.Table("contacts")
		if got := findNote(contacts.UpdatedRows, "3", "name, updated_at"); got == "" {
			t.Errorf("contact 3 updated: %v", contacts.UpdatedRows)
		}
		conflict := contacts.ConflictRows[0]
		columns := map[string][2]string{}
		for _, c := range conflict.Columns {
			columns[c.Column] = [2]string{deref(c.V15), deref(c.V16)}
		}
		if conflict.LegacyID != "5" || columns["name"] != [2]string{"Gabriel N.", "Gabriel Nóbrega"} ||
			columns["email"] != [2]string{"NULL", "gabriel@v16.example"} {
			t.Errorf("contact 5's conflict: %+v", conflict)
		}
		if got := report.Table("conversations").ConflictRows; len(got) != 1 || got[0].LegacyID != "2" {
			t.Errorf("conversation conflicts %+v", got)
		}
		messages := report.Table("messages")
		if got := noteIDs(messages.UpdatedRows); !slices.Equal(got, []string{itoa(advanced), itoa(bothAdvanced)}) {
			t.Errorf("updated messages %v, want %d and %d", got, advanced, bothAdvanced)
		}
		if got := messages.ConflictRows; len(got) != 1 || got[0].LegacyID != itoa(regressed) || !strings.Contains(got[0].Reason, "statuses only move forward") ||
			len(got[0].Columns) != 1 || deref(got[0].Columns[0].V15) != "delivered" || deref(got[0].Columns[0].V16) != "read" {
			t.Errorf("message %d's status regression, refused: %+v", regressed, got)
		}
		if got := report.Table("campaigns").ConflictRows; len(got) != 1 || got[0].LegacyID != "2" ||
			!strings.Contains(got[0].Reason, "campaign lifecycle") || got[0].Columns[0].Column != "message_template" {
			t.Errorf("campaign 2's new message, refused once it ran: %+v (updated %+v)", got, report.Table("campaigns").UpdatedRows)
		}
		for table, id := range map[string]string{"knowledge_documents": "10", "leads_pipeline": "20"} {
			if findNote(report.Table(table).DeletedRows, id, "removed") == "" {
				t.Errorf("%s %s not reported removed: %v", table, id, report.Table(table).DeletedRows)
			}
		}
	})

	t.Run("the tenant has every change, row by row", func(t *testing.T) {
		var name, email string
		query("select name, email from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 3)}, &name, &email)
		if name != "Márcia Alves Souza" {
			t.Errorf("contact 3 renamed in V1.5: %q", name)
		}
		query("select name, email from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 5)}, &name, &email)
		if name != "Gabriel Nóbrega" || email != "gabriel@v16.example" {
			t.Errorf("contact 5, changed in both, V1.6 wins: %q %q", name, email)
		}
		for legacyID, want := range map[int]string{advanced: "read", bothAdvanced: "read", regressed: "read"} {
			var status string
			query("select status::text from messages where tenant_id = $1 and id = $2", []any{tenantID, id("messages", legacyID)}, &status)
			if status != want {
				t.Errorf("message %d: %s, want %s", legacyID, status, want)
			}
		}
		newMessage := time.Date(2024, 12, 1, 9, 3, 0, 0, time.UTC)
		var status string
		var unread int
		var last time.Time
		query("select status::text, unread_count, last_message_at from conversations where tenant_id = $1 and id = $2",
			[]any{tenantID, id("conversations", 1)}, &status, &unread, &last)
		if status != "closed" || unread != 1 || !last.Equal(newMessage) {
			t.Errorf("conversation 1: %s, unread %d, last %v; want closed, 1 (the new inbound message), %v", status, unread, last, newMessage)
		}
		var assigned uuid.UUID
		query("select assigned_user_id, unread_count, last_message_at from conversations where tenant_id = $1 and id = $2",
			[]any{tenantID, id("conversations", 2)}, &assigned, &unread, &last)
		if assigned != id("users", 2) || unread != unreadBefore+1 || !last.Equal(time.Date(2024, 12, 1, 9, 2, 0, 0, time.UTC)) {
			t.Errorf("conversation 2 (V1.6 assigned it): assigned %v, unread %d (was %d), last %v: want V1.6's, the new message counted",
				assigned, unread, unreadBefore, last)
		}
		query("select status::text, unread_count from conversations where tenant_id = $1 and id = $2",
			[]any{tenantID, id("conversations", 51)}, &status, &unread)
		if status != "open" || unread != 1 {
			t.Errorf("new conversation 51: %s, unread %d", status, unread)
		}
		var fullName string
		var banned time.Time
		query(`select p.full_name, u.raw_user_meta_data ->> 'full_name' from users p join auth.users u on u.id = p.id where p.id = $1`,
			[]any{id("users", 3)}, &fullName, &name)
		query("select banned_until from auth.users where id = $1", []any{id("users", 4)}, &banned)
		if fullName != "Carla Dias Ramos" || name != fullName || banned.Year() != 2999 {
			t.Errorf("user 3 renamed: %q, %q; user 4 made inactive: banned until %v", fullName, name, banned)
		}
		var campaignStatus, template string
		var completed time.Time
		query("select status::text, completed_at from campaigns where tenant_id = $1 and id = $2", []any{tenantID, id("campaigns", 1)}, &campaignStatus, &completed)
		if campaignStatus != "completed" || !completed.Equal(time.Date(2024, 12, 2, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("campaign 1 completed in V1.5: %s at %v, want V1.5's time", campaignStatus, completed)
		}
		query("select message_template from campaigns where tenant_id = $1 and id = $2", []any{tenantID, id("campaigns", 2)}, &template)
		if template == "Outro texto" {
			t.Error("campaign 2's content changed after it ran")
		}
		var notes, retried, content, hours string
		query("select notes from leads_pipeline where tenant_id = $1 and id = $2", []any{tenantID, id("leads_pipeline", 19)}, &notes)
		query("select metadata ->> 'retried' from campaign_events where tenant_id = $1 and id = $2", []any{tenantID, id("campaign_events", 1)}, &retried)
		query("select content from knowledge_documents where tenant_id = $1 and id = $2", []any{tenantID, id("knowledge_documents", 1)}, &content)
		query("select value::text from system_settings where tenant_id = $1 and key = 'auto_close_hours'", []any{tenantID}, &hours)
		if notes != "Ligar na segunda" || retried != "true" || content != "Aceitamos Amil e Unimed." || hours != "72" {
			t.Errorf("lead 19 notes %q, event 1 retried %q, document 1 %q, auto_close_hours %s", notes, retried, content, hours)
		}
		var position int
		query("select position from leads_pipeline where tenant_id = $1 and id = $2", []any{tenantID, id("leads_pipeline", 21)}, &position)
		if want := 3 * db.LeadPositionGap; position != want {
			t.Errorf("new lead 21 at position %d, want %d: after the stage's three", position, want)
		}
		var model, role, booking string
		query("select model from ai_config where tenant_id = $1", []any{tenantID}, &model)
		query("select role::text from users where tenant_id = $1 and id = $2", []any{tenantID, id("users", 6)}, &role)
		query("select value #>> '{}' from system_settings where tenant_id = $1 and key = 'booking.url'", []any{tenantID}, &booking)
		if model != "gpt-4o" || role != "agent" || booking != "https://agenda.example" {
			t.Errorf("ai_config model %q, user 6 role %q, booking.url %q", model, role, booking)
		}
		var campaigns, events, documents, gone int
		query(`select (select count(*) from campaigns where tenant_id = $1 and id = $2),
			(select count(*) from campaign_events where tenant_id = $1 and id = $3),
			(select count(*) from knowledge_documents where tenant_id = $1 and id = $4),
			(select count(*) from knowledge_documents where tenant_id = $1 and id = $5)
				+ (select count(*) from leads_pipeline where tenant_id = $1 and id = $6)`,
			[]any{tenantID, id("campaigns", 4), id("campaign_events", 293), id("knowledge_documents", 11),
				id("knowledge_documents", 10), id("leads_pipeline", 20)}, &campaigns, &events, &documents, &gone)
		if campaigns != 1 || events != 1 || documents != 1 || gone != 0 {
			t.Errorf("new campaign %d, event %d, document %d; deleted rows left %d", campaigns, events, documents, gone)
		}
		if after := snapshot(t, d, tenantID); after["public.messages"] == before["public.messages"] {
			t.Error("the messages did not change")
		}
	})

	t.Run("verify is clean after the sync", func(t *testing.T) {
		v, err := legacy.Verify(ctx, d.Admin, legacy.Options{File: file, TenantSlug: "clinica"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tv := range v.Tables {
			if len(tv.Differences) > 0 {
				t.Errorf("%s: %d differences: %+v", tv.Table, len(tv.Differences), tv.Differences)
			}
		}
		if tv := tableOf(v, "contacts"); tv.Kept != 1 || tv.Matching != 60 || tv.FileRows != 61 {
			t.Errorf("contacts: %+v; want 60 matching and contact 5 kept", tv)
		}
		if tv := tableOf(v, "campaigns"); tv.Kept != 1 || tv.Matching != 3 {
			t.Errorf("campaigns: %+v; want 3 matching and campaign 2 kept", tv)
		}
		if tv := tableOf(v, "messages"); tv.Matching != 1502 || tv.Kept != 1 || tv.FileChecksum == tv.TenantChecksum {
			t.Errorf("messages: %+v; want 1502 matching (%d with its status ahead of the file's) and %d kept", tv, ahead, regressed)
		}
	})

	t.Run("a re-run of the same file is a no-op", func(t *testing.T) {
		before := snapshot(t, d, tenantID)
		again := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica", Sync: true, SyncDeletes: true})
		expectNoOpRerun(t, report, again)
		if after := snapshot(t, d, tenantID); !maps.Equal(before, after) {
			t.Error("a re-run changed the tenant")
		}
	})

	t.Run("verify lists each row altered behind the import's back", func(t *testing.T) {
		exec("update contacts set name = 'Carlos L.' where tenant_id = $1 and id = $2", tenantID, id("contacts", 7))
		exec("delete from messages where tenant_id = $1 and id = $2", tenantID, id("messages", 3))
		exec("update knowledge_documents set title = 'Outro título' where tenant_id = $1 and id = $2", tenantID, id("knowledge_documents", 1))
		v, err := legacy.Verify(ctx, d.Admin, legacy.Options{File: file, TenantSlug: "clinica"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Differences() != 3 {
			t.Errorf("%d differences, want 3", v.Differences())
		}
		for table, want := range map[string]legacy.Difference{
			"contacts":            {LegacyID: "7", Kind: "different", Columns: []legacy.ColumnConflict{{Column: "name", V15: ptr("Carlos Lima"), V16: ptr("Carlos L.")}}},
			"messages":            {LegacyID: "3", Kind: "missing"},
			"knowledge_documents": {LegacyID: "1", Kind: "different"},
		} {
			got := tableOf(v, table).Differences
			if len(got) != 1 || got[0].LegacyID != want.LegacyID || got[0].Kind != want.Kind {
				t.Errorf("%s differences %+v, want %s %s", table, got, want.LegacyID, want.Kind)
				continue
			}
			if want.Columns != nil && !slices.EqualFunc(got[0].Columns, want.Columns, func(a, b legacy.ColumnConflict) bool {
				return a.Column == b.Column && deref(a.V15) == deref(b.V15) && deref(a.V16) == deref(b.V16)
			}) {
				t.Errorf("%s %s columns %+v, want %+v", table, want.LegacyID, got[0].Columns, want.Columns)
			}
		}
		if tv := tableOf(v, "knowledge_documents"); tv.FileChecksum == tv.TenantChecksum {
			t.Errorf("knowledge_documents checksums agree on different rows: %s", tv.FileChecksum)
		}
	})
}

func tableOf(v *legacy.Verification, name string) *legacy.TableVerification {
	for _, t := range v.Tables {
		if t.Table == name {
			return t
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func ptr(s string) *string { return &s }

func itoa(n int) string { return strconv.Itoa(n) }

func TestKilledSyncLeavesTheTenantAsItWas(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	file := copySample(t)
	report := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica", CreateTenant: true, TenantName: "Clínica"})
	changeFile(t, file,
		"UPDATE contacts SET name = 'Outro Nome' WHERE id = 3",
		"UPDATE messages SET status = 'read' WHERE direction = 'outbound'",
		"INSERT INTO messages (id, conversation_id, direction, sender_type, content, created_at) VALUES (1501, 1, 'inbound', 'contact', 'Oi', '2024-12-01 09:00:00')",
		"DELETE FROM knowledge_documents WHERE id = 10")
	before := snapshot(t, d, report.TenantID)
	allBefore := countAll(t, d)

	ctx, opts, cancelled := cancelDuringMessages(legacy.Options{File: file, TenantSlug: "clinica", Sync: true, SyncDeletes: true})
	_, err := legacy.Import(ctx, d.Admin, opts)
	if !*cancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during the messages: %v; err = %v, want context.Canceled", *cancelled, err)
	}
	if after := snapshot(t, d, report.TenantID); !maps.Equal(before, after) {
		t.Error("the killed sync changed the tenant")
	}
	if allAfter := countAll(t, d); !maps.Equal(allBefore, allAfter) {
		t.Errorf("the killed sync left rows: before %v, after %v", allBefore, allAfter)
	}
}

func TestSyncNeedsAnImport(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	createTenant(t, d, "clinica")
	_, err := legacy.Import(context.Background(), d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica", Sync: true})
	if !errors.Is(err, legacy.ErrNothingToSync) {
		t.Errorf("sync into a tenant without an import: err = %v, want ErrNothingToSync", err)
	}
	report := mustImport(t, d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica"})
	if !report.Landed {
		t.Fatal("import did not land")
	}
	_, err = legacy.Import(context.Background(), d.Admin, legacy.Options{File: sampleFile, TenantSlug: "clinica", Sync: true,
		LegacyTimezone: time.FixedZone("BRT", -3*3600)})
	if !errors.Is(err, legacy.ErrOtherMapping) {
		t.Errorf("sync with another timezone: err = %v, want ErrOtherMapping", err)
	}
}
