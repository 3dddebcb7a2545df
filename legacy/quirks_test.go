package legacy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// quirkRows is a V1.5 file holding every quirk the schema header lists, and the few the
// new schema adds (one open conversation per contact and channel, unique campaign
// events). Comments give the rule each row exercises.
var quirkRows = []legacyRows{
	{"users", "id, email, hashed_password, full_name, role, is_active, created_at", [][]any{
		{1, "Ana@Clinica.example", "hash:ana-1", "Ana", "admin", 1, "2024-01-01 08:00:00"},       // survivor of the case duplicates
		{2, "ana@clinica.example", "hash:ana-2", nil, "agent", 1, "2024-02-01 08:00:00"},         // merged into 1
		{3, "bruno@clinica.example", "hash:bruno", "Bruno", "agent", 0, "2024-01-02T08:00:00"},   // inactive: banned
		{4, "carla@clinica.example", "hash:carla", "Carla", "administrador", 1, nil},             // Portuguese role; invited
		{5, "not-an-email", "hash:x", "X", "agent", 1, nil},                                      // rejected
		{6, "diego@clinica.example", "hash:diego", "Diego", "gerente-geral", 1, nil},             // unknown role: rejected
		{7, "eva@clinica.example", "plain-text", "Eva", "agent", 1, nil},                         // no usable password
		{8, "existing@clinica.example", "hash:existing", "Existing", "agent", 1, nil},            // merged into the tenant's account
		{9, "other@elsewhere.example", "hash:other", "Other", "agent", 1, "2024-01-01 00:00:00"}, // account of another tenant: rejected
	}},
	{"contacts", "id, name, phone, email, tags, custom_fields, created_at, updated_at", [][]any{
		{1, "Maria", "+55 11 98765-4321", "maria@x.example", `["vip"]`, `{"convenio": "Amil"}`, "2024-01-01 10:00:00", nil},
		{2, "Maria S.", "(11) 98765-4321", nil, "retorno, vip", `{"convenio": "Unimed", "nascimento": "1980-01-01"}`, "2023-12-01T09:00:00", nil}, // oldest: survivor
		{3, "João", "5511987654321", nil, "", "", nil, "2024-03-01 00:00:00"},                                                                     // same number, no creation time: merged
		{4, "Pedro", "12345", nil, "", "", "2024-01-01 00:00:00", nil},                                                                            // phone kept aside
		{5, "Ana", "", nil, "", "", "2024-01-01 00:00:00", nil},
		{6, "Nul\x00Name", "21 99999-0000", nil, `"vip"`, "{}", "2024-01-01 00:00:00", nil}, // NUL removed
		{7, "Bad", "21 99999-0001", nil, "", "", "ontem", nil},                              // bad timestamp: rejected
		{8, "Tags", "21 99999-0002", nil, " vip ,  novo,,vip ", "convenio=Amil", "2024-01-01 00:00:00", nil},
	}},
	{"conversations", "id, contact_id, channel, status, assigned_user_id, ai_enabled, last_message_at, created_at", [][]any{
		{1, 1, "whatsapp", "aberto", 2, 1, "xx", "2024-01-10 08:00:00"},                  // contact merged into 2; closed (2 is more recent)
		{2, 3, "whatsapp", "pendente", nil, 0, nil, "2024-01-10 08:00:00"},               // contact merged into 2; stays pending
		{3, 99, "instagram", "closed", 42, 1, nil, "2024-01-10 08:00:00"},                // orphan contact and user: cleared
		{4, 7, "telegram", "open", nil, 1, nil, "2024-01-10 08:00:00"},                   // unknown channel: rejected
		{5, 4, "webchat", "fechada", 5, 1, "2024-05-01T12:00:00", "2024-01-10 08:00:00"}, // no messages
	}},
	{"messages", "id, conversation_id, direction, sender_type, sender_user_id, content, media_url, status, external_id, created_at", [][]any{
		{1, 1, "inbound", "contact", nil, "Oi", nil, nil, "wamid.A", "2024-01-10 10:00:00"},
		{2, 1, "outbound", "user", 2, "Olá!", nil, "enviado", "wamid.B", "2024-01-10 10:05:00"},
		{3, 2, "inbound", "contact", nil, "Quero marcar", nil, nil, "wamid.C", "2024-01-10 10:30:00.123456"},
		{4, 2, "inbound", "contact", nil, "Quero marcar", nil, "lido", "wamid.C", "2024-01-10 10:30:01"}, // delivered twice
		{5, 2, "inbound", "contact", nil, "oi\x00tudo", nil, nil, nil, "2024-01-10T11:00:00"},
		{6, 999, "inbound", "contact", nil, "órfã", nil, nil, nil, "2024-01-10 11:00:00"}, // orphan: rejected
		{7, 4, "inbound", "contact", nil, "x", nil, nil, nil, "2024-01-10 11:00:00"},      // conversation rejected
		{8, nil, "inbound", "contact", nil, "x", nil, nil, nil, "2024-01-10 11:00:00"},    // no conversation
		{9, 3, "outbound", "ai", nil, "x", nil, "borked", nil, "2024-01-10 11:00:00"},     // unknown status
		{10, 3, "inbound", "contact", nil, longText, "https://cdn.example/a.png", nil, nil, "2024-02-01 00:00:00"},
		{11, 3, "inbound", "contact", nil, "x", nil, nil, nil, "amanhã"}, // bad timestamp
		{12, 1, "entrada", "contato", nil, "Bom dia", nil, nil, nil, "2024-01-10 09:00:00"},
	}},
	{"leads_pipeline", "id, contact_id, stage, value, owner_id, position, notes, created_at, updated_at", [][]any{
		{1, 3, "novo", "1500.50", 3, 0, "n", "2024-01-01 00:00:00", nil},
		{2, 77, "ganho", 10, 66, 1, nil, "2024-01-01 00:00:00", nil},  // orphans: cleared
		{3, 1, "sei lá", 10, nil, 2, nil, "2024-01-01 00:00:00", nil}, // unknown stage
		{4, 1, "new", "-10", nil, 3, nil, "2024-01-01 00:00:00", nil}, // negative value
		{5, 1, "new", nil, nil, -3, nil, "2024-01-01 00:00:00", nil},  // negative position
	}},
	{"campaigns", "id, name, channel, status, message_template, audience_filter, scheduled_at, started_at, completed_at, created_at", [][]any{
		{1, "Promo", "whatsapp", "concluído", "Olá", `{"tags": ["vip"]}`, nil, "2024-01-05 09:00:00", nil, "2024-01-04 00:00:00"},
		{2, "", "zap", "rascunho", nil, "vip", nil, nil, nil, "2024-01-04 00:00:00"},
	}},
	{"campaign_events", "id, campaign_id, contact_id, event_type, occurred_at, metadata", [][]any{
		{1, 1, 1, "enviado", "2024-01-05 09:01:00", `{"a": 1}`},
		{2, 1, 3, "sent", "2024-01-05 09:00:30", `{"b": 2}`}, // same key once contacts merged, earlier: survivor
		{3, 1, 404, "sent", "2024-01-05 09:00:00", "{}"},     // orphan contact
		{4, 9, 1, "sent", "2024-01-05 09:00:00", "{}"},       // orphan campaign
		{5, 1, 4, "entregue", nil, ""},                       // no time: the campaign's start
		{6, 1, 5, "clicked", "2024-01-05 09:00:00", "{}"},    // unknown event type
	}},
	{"ai_config", "id, enabled, model, system_prompt, temperature, business_hours, updated_at", [][]any{
		{1, 1, "old", "antigo", 0.5, "{}", "2024-01-01 00:00:00"},
		{2, 1, "gpt-4o-mini", "Você é a recepcionista.", 3.5, `{"mon": [["08:00", "18:00"]]}`, "2024-06-01 00:00:00"},
	}},
	{"knowledge_documents", "id, title, content, source_url, tags, created_at, updated_at", [][]any{
		{1, "", longText, "", "faq, preços", "2024-01-01 00:00:00", nil},
	}},
	{"system_settings", "key, value, updated_at", [][]any{
		{"Clinic Name", "Clínica", "2024-01-01 00:00:00"}, // key renamed, value not JSON
		{"clinic_name", `"Outra"`, "2024-01-01 00:00:00"}, // collides with the above
		{"!!!", "1", nil},     // cannot be a key
		{"timezone", "", nil}, // the tenant has its own
		{"pipeline.stages", `["new", "won"]`, nil},
	}},
}

// longText is kept whole: 1 MiB and more of text.
var longText = strings.Repeat("Texto muito longo, ", 60000)

// writeQuirkFile writes quirkRows to a new V1.5 file, turning "hash:PASSWORD" into a
// bcrypt hash of PASSWORD.
func writeQuirkFile(t *testing.T) string {
	t.Helper()
	return writeLegacyFile(t, "quirks.db", quirkRows, func(table string, values []any) []any {
		if s, ok := values[2].(string); ok && table == "users" && strings.HasPrefix(s, "hash:") {
			hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimPrefix(s, "hash:")), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			values[2] = string(hash)
		}
		return values
	})
}

func TestImportQuirks(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	file := writeQuirkFile(t)

	// The tenant as setup leaves it: an account, a pending invitation, default AI
	// configuration, one setting. And an account in another tenant.
	tenantID := createTenant(t, d, "clinica")
	otherID := createTenant(t, d, "elsewhere")
	existingID := dbtest.CreateAuthUser(t, d, "existing@clinica.example",
		`{"tenant_id": "`+tenantID.String()+`", "tenant_role": "owner"}`, `{}`)
	dbtest.CreateAuthUser(t, d, "other@elsewhere.example", `{"tenant_id": "`+otherID.String()+`", "tenant_role": "agent"}`, `{}`)
	for _, setup := range []string{
		"insert into invitations (tenant_id, email, role) values ($1, 'carla@clinica.example', 'agent')",
		"insert into ai_config (tenant_id) values ($1)",
		`insert into system_settings (tenant_id, key, value) values ($1, 'timezone', '"America/Sao_Paulo"')`,
	} {
		if _, err := d.Admin.Exec(ctx, setup, tenantID); err != nil {
			t.Fatalf("%s: %v", setup, err)
		}
	}

	report := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica"})
	id := func(table string, legacyID int) uuid.UUID { return rowID(tenantID, table, legacyID) }
	query := func(sql string, args []any, dest ...any) {
		t.Helper()
		if err := d.Admin.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	expectIDs := func(t *testing.T, what string, notes []legacy.RowNote, want ...string) {
		t.Helper()
		if got := noteIDs(notes); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	t.Run("counts add up", func(t *testing.T) {
		for _, table := range quirkRows {
			tr := report.Table(table.table)
			if tr.Read != len(table.rows) || tr.Imported+tr.Merged+tr.Rejected != len(table.rows) {
				t.Errorf("%s: read %d = imported %d + merged %d + rejected %d? the file has %d", table.table, tr.Read, tr.Imported, tr.Merged, tr.Rejected, len(table.rows))
			}
		}
	})

	t.Run("users", func(t *testing.T) {
		users := report.Table("users")
		expectIDs(t, "merged users", users.MergedRows, "2", "8")
		expectIDs(t, "rejected users", users.RejectedRows, "5", "6", "9")
		if into := users.MergedRows[1].Into; into != existingID.String() {
			t.Errorf("user 8 merged into %s, want the existing account %s", into, existingID)
		}
		// Case duplicates: one account, lower-cased, with the oldest one's password.
		var email, hash string
		query("select email, encrypted_password from auth.users where id = $1", []any{id("users", 1)}, &email, &hash)
		if email != "ana@clinica.example" || bcrypt.CompareHashAndPassword([]byte(hash), []byte("ana-1")) != nil {
			t.Errorf("user 1: email %q, password ana-1 verifies: %v", email, bcrypt.CompareHashAndPassword([]byte(hash), []byte("ana-1")))
		}
		var banned *time.Time
		query("select banned_until from auth.users where id = $1", []any{id("users", 3)}, &banned)
		if banned == nil || banned.Before(time.Now().AddDate(100, 0, 0)) {
			t.Errorf("inactive user 3: banned_until = %v", banned)
		}
		var role string
		query("select role::text from public.users where id = $1 and tenant_id = $2", []any{id("users", 4), tenantID}, &role)
		if role != "admin" {
			t.Errorf("user 4 ('administrador') role = %s", role)
		}
		query("select encrypted_password from auth.users where id = $1", []any{id("users", 7)}, &hash)
		if hash != "" || findNote(users.ChangedRows, "7", "bcrypt") == "" {
			t.Errorf("user 7 (no bcrypt hash): encrypted_password %q, notes %v", hash, users.ChangedRows)
		}
		var accepted *uuid.UUID
		query("select accepted_user_id from invitations where tenant_id = $1 and email = 'carla@clinica.example'", []any{tenantID}, &accepted)
		if accepted == nil || *accepted != id("users", 4) {
			t.Errorf("carla's invitation accepted by %v, want user 4", accepted)
		}
		var others int
		query("select count(*) from auth.users where email = 'other@elsewhere.example'", nil, &others)
		if others != 1 {
			t.Errorf("%d accounts for other@elsewhere.example", others)
		}
	})

	t.Run("contacts merged by phone, oldest wins, fields filled", func(t *testing.T) {
		contacts := report.Table("contacts")
		expectIDs(t, "merged contacts", contacts.MergedRows, "1", "3")
		expectIDs(t, "rejected contacts", contacts.RejectedRows, "7")
		var name, phone string
		var email *string
		var tags []string
		var fields map[string]string
		query("select name, phone, email, tags, custom_fields from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 2)},
			&name, &phone, &email, &tags, &fields)
		if name != "Maria S." || phone != "+5511987654321" || email == nil || *email != "maria@x.example" {
			t.Errorf("survivor: %q %q %v", name, phone, email)
		}
		if !slices.Equal(tags, []string{"retorno", "vip"}) || fields["convenio"] != "Unimed" || fields["nascimento"] != "1980-01-01" {
			t.Errorf("survivor tags %q, custom fields %v", tags, fields)
		}
		var gone int
		query("select count(*) from contacts where tenant_id = $1 and id = any($2)", []any{tenantID, []uuid.UUID{id("contacts", 1), id("contacts", 3)}}, &gone)
		if gone != 0 {
			t.Errorf("%d merged contacts still have rows", gone)
		}
		// Every reference follows the merge.
		var conversations, leads, events int
		query(`select (select count(*) from conversations where tenant_id = $1 and contact_id = $2),
			(select count(*) from leads_pipeline where tenant_id = $1 and contact_id = $2),
			(select count(*) from campaign_events where tenant_id = $1 and contact_id = $2)`,
			[]any{tenantID, id("contacts", 2)}, &conversations, &leads, &events)
		// Conversations 1 and 2; leads 1 and 5; events 1 and 2, merged into one.
		if conversations != 2 || leads != 2 || events != 1 {
			t.Errorf("merged contact's conversations %d, leads %d, events %d; want 2, 2, 1", conversations, leads, events)
		}
		var pedroPhone *string
		var legacyPhone string
		query("select phone, custom_fields ->> 'legacy_phone' from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 4)}, &pedroPhone, &legacyPhone)
		if pedroPhone != nil || legacyPhone != "12345" || findNote(contacts.ChangedRows, "4", "not a valid number") == "" {
			t.Errorf("unparseable phone: phone %v, legacy_phone %q", pedroPhone, legacyPhone)
		}
		query("select name from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 6)}, &name)
		if name != "NulName" || findNote(contacts.ChangedRows, "6", "NUL") == "" {
			t.Errorf("NUL name = %q", name)
		}
		var raw string
		query("select tags, custom_fields ->> 'legacy_custom_fields' from contacts where tenant_id = $1 and id = $2", []any{tenantID, id("contacts", 8)}, &tags, &raw)
		if !slices.Equal(tags, []string{"vip", "novo"}) || raw != "convenio=Amil" {
			t.Errorf("comma tags %q, raw custom fields %q", tags, raw)
		}
	})

	t.Run("conversations", func(t *testing.T) {
		conversations := report.Table("conversations")
		expectIDs(t, "rejected conversations", conversations.RejectedRows, "4")
		statuses := map[int]string{}
		for _, n := range []int{1, 2, 3, 5} {
			var status string
			var contact, assigned *uuid.UUID
			var last time.Time
			var unread int
			query("select status::text, contact_id, assigned_user_id, last_message_at, unread_count from conversations where tenant_id = $1 and id = $2",
				[]any{tenantID, id("conversations", n)}, &status, &contact, &assigned, &last, &unread)
			statuses[n] = status
			switch n {
			case 1: // messages 12 (in 09:00), 1 (in 10:00), 2 (out 10:05)
				if *contact != id("contacts", 2) || *assigned != id("users", 1) || !last.Equal(time.Date(2024, 1, 10, 10, 5, 0, 0, time.UTC)) || unread != 0 {
					t.Errorf("conversation 1: contact %v, assigned %v, last %v, unread %d", contact, assigned, last, unread)
				}
			case 2: // messages 3 (in 10:30), 5 (in 11:00); 4 merged into 3
				if !last.Equal(time.Date(2024, 1, 10, 11, 0, 0, 0, time.UTC)) || unread != 2 {
					t.Errorf("conversation 2: last %v, unread %d", last, unread)
				}
			case 3: // orphans cleared; message 10 (in 2024-02-01)
				if contact != nil || assigned != nil || unread != 1 || findNote(conversations.ChangedRows, "3", "contacts 99 does not exist") == "" {
					t.Errorf("conversation 3: contact %v, assigned %v, unread %d", contact, assigned, unread)
				}
			case 5: // no messages: the legacy last_message_at
				if !last.Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) || assigned != nil {
					t.Errorf("conversation 5: last %v, assigned %v", last, assigned)
				}
			}
		}
		if statuses[1] != "closed" || statuses[2] != "pending" || statuses[5] != "closed" || findNote(conversations.ChangedRows, "1", "changed to closed") == "" {
			t.Errorf("statuses %v", statuses)
		}
	})

	t.Run("messages", func(t *testing.T) {
		messages := report.Table("messages")
		expectIDs(t, "merged messages", messages.MergedRows, "4")
		expectIDs(t, "rejected messages", messages.RejectedRows, "6", "7", "8", "9", "11")
		for legacyID, reason := range map[string]string{"6": "conversations 999 does not exist", "7": "conversations 4 was rejected", "8": "conversation_id is empty", "9": "borked", "11": "amanhã"} {
			if findNote(messages.RejectedRows, legacyID, reason) == "" {
				t.Errorf("message %s: no rejection mentioning %q in %v", legacyID, reason, messages.RejectedRows)
			}
		}
		var status, channel string
		var count int
		query("select status::text, channel::text, (select count(*) from messages where tenant_id = $1 and external_id = 'wamid.C') from messages where tenant_id = $1 and id = $2",
			[]any{tenantID, id("messages", 3)}, &status, &channel, &count)
		if status != "read" || channel != "whatsapp" || count != 1 {
			t.Errorf("duplicate delivery: status %s (want read), channel %s, %d rows", status, channel, count)
		}
		var content, media string
		query("select content, media::text from messages where tenant_id = $1 and id = $2", []any{tenantID, id("messages", 10)}, &content, &media)
		if content != longText || media != `{"url": "https://cdn.example/a.png"}` {
			t.Errorf("long message: %d characters (want %d), media %s", len(content), len(longText), media)
		}
		query("select content from messages where tenant_id = $1 and id = $2", []any{tenantID, id("messages", 5)}, &content)
		if content != "oitudo" || findNote(messages.ChangedRows, "5", "NUL") == "" {
			t.Errorf("NUL content = %q", content)
		}
		var direction, sender string
		query("select direction::text, sender_type::text, status::text from messages where tenant_id = $1 and id = $2", []any{tenantID, id("messages", 12)}, &direction, &sender, &status)
		if direction != "inbound" || sender != "contact" || status != "delivered" {
			t.Errorf("Portuguese message 12: %s %s %s", direction, sender, status)
		}
		query("select status::text from messages where tenant_id = $1 and id = $2", []any{tenantID, id("messages", 2)}, &status)
		if status != "sent" {
			t.Errorf("'enviado' = %s", status)
		}
	})

	t.Run("leads", func(t *testing.T) {
		leads := report.Table("leads_pipeline")
		expectIDs(t, "rejected leads", leads.RejectedRows, "3", "4")
		var contact, owner *uuid.UUID
		var stage, value string
		query("select contact_id, owner_user_id, stage::text, value::text from leads_pipeline where tenant_id = $1 and id = $2", []any{tenantID, id("leads_pipeline", 2)}, &contact, &owner, &stage, &value)
		if contact != nil || owner != nil || stage != "won" || value != "10.00" {
			t.Errorf("orphan lead: contact %v, owner %v, stage %s, value %s", contact, owner, stage, value)
		}
		query("select contact_id, owner_user_id, stage::text, value::text from leads_pipeline where tenant_id = $1 and id = $2", []any{tenantID, id("leads_pipeline", 1)}, &contact, &owner, &stage, &value)
		if *contact != id("contacts", 2) || *owner != id("users", 3) || stage != "new" || value != "1500.50" {
			t.Errorf("lead 1: contact %v, owner %v, stage %s, value %s", contact, owner, stage, value)
		}
		var position int
		query("select position from leads_pipeline where tenant_id = $1 and id = $2", []any{tenantID, id("leads_pipeline", 5)}, &position)
		if position != 0 {
			t.Errorf("negative position became %d", position)
		}
	})

	t.Run("campaigns and events", func(t *testing.T) {
		events := report.Table("campaign_events")
		expectIDs(t, "merged events", events.MergedRows, "1")
		expectIDs(t, "rejected events", events.RejectedRows, "3", "4", "6")
		var occurred time.Time
		var metadata map[string]int
		query("select occurred_at, metadata from campaign_events where tenant_id = $1 and id = $2", []any{tenantID, id("campaign_events", 2)}, &occurred, &metadata)
		if !occurred.Equal(time.Date(2024, 1, 5, 9, 0, 30, 0, time.UTC)) || metadata["a"] != 1 || metadata["b"] != 2 {
			t.Errorf("merged event: %v %v", occurred, metadata)
		}
		query("select occurred_at from campaign_events where tenant_id = $1 and id = $2", []any{tenantID, id("campaign_events", 5)}, &occurred)
		if !occurred.Equal(time.Date(2024, 1, 5, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("event without a time: %v, want the campaign's start", occurred)
		}
		var name, channel, status, filter string
		query("select name, channel::text, status::text, audience_filter ->> 'legacy_audience_filter' from campaigns where tenant_id = $1 and id = $2", []any{tenantID, id("campaigns", 2)}, &name, &channel, &status, &filter)
		if name != "Campanha 2" || channel != "whatsapp" || status != "draft" || filter != "vip" {
			t.Errorf("campaign 2: %q %s %s %q", name, channel, status, filter)
		}
		query("select status::text from campaigns where tenant_id = $1 and id = $2", []any{tenantID, id("campaigns", 1)}, &status)
		if status != "completed" {
			t.Errorf("'concluído' = %s", status)
		}
	})

	t.Run("ai_config, knowledge and settings", func(t *testing.T) {
		expectIDs(t, "rejected ai_config", report.Table("ai_config").RejectedRows, "1")
		var model string
		var temperature float32
		var hours json.RawMessage
		query("select model, temperature, business_hours from ai_config where tenant_id = $1", []any{tenantID}, &model, &temperature, &hours)
		if model != "gpt-4o-mini" || temperature != 2 || !strings.Contains(string(hours), "08:00") {
			t.Errorf("ai_config replaced the untouched default? model %s, temperature %v, hours %s", model, temperature, hours)
		}
		var title, content string
		var tags []string
		query("select title, content, tags from knowledge_documents where tenant_id = $1 and id = $2", []any{tenantID, id("knowledge_documents", 1)}, &title, &content, &tags)
		if title != "Documento 1" || content != longText || !slices.Equal(tags, []string{"faq", "preços"}) {
			t.Errorf("document: %q, %d characters, tags %q", title, len(content), tags)
		}
		settings := report.Table("system_settings")
		expectIDs(t, "rejected settings", settings.RejectedRows, "!!!", "clinic_name", "timezone")
		var clinic, timezone string
		query("select (select value::text from system_settings where tenant_id = $1 and key = 'clinic_name'), (select value::text from system_settings where tenant_id = $1 and key = 'timezone')", []any{tenantID}, &clinic, &timezone)
		if clinic != `"Clínica"` || timezone != `"America/Sao_Paulo"` {
			t.Errorf("clinic_name %s, timezone %s (the tenant's own must stay)", clinic, timezone)
		}
	})

	t.Run("a re-run is a no-op", func(t *testing.T) {
		before := snapshot(t, d, tenantID)
		again := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica"})
		after := snapshot(t, d, tenantID)
		for table := range before {
			if before[table] != after[table] {
				t.Errorf("%s changed on re-run", table)
			}
		}
		expectNoOpRerun(t, report, again)
	})
}
