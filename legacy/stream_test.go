package legacy_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/google/uuid"
)

// The messages are streamed: the conversations are written before them, as a quick
// first pass predicts they end, and a message is written before a later copy of the
// same delivery is read. These rows make both guesses wrong, so that what is written
// first has to be corrected.
var streamRows = []legacyRows{
	{"users", "id, email, hashed_password, full_name, role, is_active, created_at", [][]any{
		{1, "ana@stream.example", "plain", "Ana", "agent", 1, "2024-01-01 00:00:00"},
	}},
	{"contacts", "id, name, phone, email, tags, custom_fields, created_at, updated_at", [][]any{
		{1, "Paula", "+55 21 99999-1111", nil, "", "", "2024-01-01 00:00:00", nil},
	}},
	{"conversations", "id, contact_id, channel, status, assigned_user_id, ai_enabled, last_message_at, created_at", [][]any{
		{1, 1, "whatsapp", "open", 1, 1, nil, "2024-01-10 08:00:00"},
		{2, 1, "whatsapp", "pendente", nil, 1, nil, "2024-01-10 08:00:00"},
	}},
	{"messages", "id, conversation_id, direction, sender_type, sender_user_id, content, media_url, status, external_id, created_at", [][]any{
		{1, 1, "inbound", "contact", nil, "oi", nil, nil, "wamid.S1", "2024-01-10 10:00:00"},
		// Rejected (unknown status), but the newest of conversation 1 for the first pass,
		// which would keep conversation 1 open.
		{2, 1, "outbound", "user", 1, "x", nil, "borked", nil, "2024-01-10 12:00:00"},
		{3, 2, "inbound", "contact", nil, "olá", nil, nil, "wamid.S3", "2024-01-10 11:00:00"},
		{4, 2, "inbound", "contact", nil, nil, nil, "sent", "wamid.S4", "2024-01-10 11:05:00"},
		// A second delivery of 4: merged into it once 4 is written; it advances 4's
		// status and fills its content and media.
		{5, 2, "inbound", "contact", nil, "segunda cópia", "https://cdn.example/x.png", "read", "wamid.S4", "2024-01-10 11:06:00"},
	}},
}

func writeStreamFile(t *testing.T) string {
	t.Helper()
	return writeLegacyFile(t, "stream.db", streamRows, func(_ string, values []any) []any { return values })
}

func TestImportCorrectsWhatWasWrittenBeforeTheMessages(t *testing.T) {
	t.Parallel()
	file := writeStreamFile(t)
	for name, seed := range map[string]bool{"new tenant (direct COPY)": false, "tenant with rows (staging)": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := dbtest.New(t)
			ctx := context.Background()
			opts := legacy.Options{File: file, TenantSlug: "stream", CreateTenant: true, TenantName: "Stream"}
			if seed {
				dbtest.SeedTenant(t, d, "stream")
			}
			report := mustImport(t, d.Admin, opts)
			tenantID := report.TenantID
			id := func(table string, legacyID int) uuid.UUID { return rowID(tenantID, table, legacyID) }

			messages := report.Table("messages")
			if got := noteIDs(messages.RejectedRows); !slices.Equal(got, []string{"2"}) {
				t.Errorf("rejected messages %v, want [2]", got)
			}
			if got := noteIDs(messages.MergedRows); !slices.Equal(got, []string{"5"}) {
				t.Errorf("merged messages %v, want [5]", got)
			}
			if messages.Imported != 3 {
				t.Errorf("imported messages %d, want 3", messages.Imported)
			}
			if findNote(report.Table("conversations").ChangedRows, "1", "changed to closed: conversation 2") == "" {
				t.Errorf("conversation notes %v", report.Table("conversations").ChangedRows)
			}

			for _, want := range []struct {
				conversation int
				status       string
				last         time.Time
				unread       int
			}{
				{1, "closed", time.Date(2024, 1, 10, 10, 0, 0, 0, time.UTC), 1},
				{2, "pending", time.Date(2024, 1, 10, 11, 5, 0, 0, time.UTC), 2},
			} {
				var status string
				var last, updated time.Time
				var unread int
				if err := d.Admin.QueryRow(ctx, "select status::text, last_message_at, updated_at, unread_count from conversations where tenant_id = $1 and id = $2",
					tenantID, id("conversations", want.conversation)).Scan(&status, &last, &updated, &unread); err != nil {
					t.Fatal(err)
				}
				if status != want.status || !last.Equal(want.last) || !updated.Equal(want.last) || unread != want.unread {
					t.Errorf("conversation %d: %s, last %v, updated %v, unread %d; want %s, %v, %d",
						want.conversation, status, last, updated, unread, want.status, want.last, want.unread)
				}
			}

			var status string
			var content *string
			var media json.RawMessage
			if err := d.Admin.QueryRow(ctx, "select status::text, content, media from messages where tenant_id = $1 and id = $2",
				tenantID, id("messages", 4)).Scan(&status, &content, &media); err != nil {
				t.Fatal(err)
			}
			if status != "read" || content == nil || *content != "segunda cópia" || string(media) != `{"url": "https://cdn.example/x.png"}` {
				t.Errorf("message 4 after its second delivery: %s, %v, %s", status, content, media)
			}
			if err := d.Admin.QueryRow(ctx, "select status::text, content from messages where tenant_id = $1 and id = $2",
				tenantID, id("messages", 3)).Scan(&status, &content); err != nil || status != "delivered" || *content != "olá" {
				t.Errorf("message 3: %s, %v, %v", status, content, err)
			}

			before := snapshot(t, d, tenantID)
			again := mustImport(t, d.Admin, opts)
			if after := snapshot(t, d, tenantID); !maps.Equal(before, after) {
				t.Error("a re-run changed the tenant")
			}
			expectNoOpRerun(t, report, again)
		})
	}
}
