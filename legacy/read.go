package legacy

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	// The pure-Go SQLite driver (no cgo), registered as "sqlite".
	_ "modernc.org/sqlite"
)

// row is one legacy row as read: its id (the key, for system_settings), its cells in
// the order of the table's column list, and the columns whose text had to be cleaned.
type row struct {
	id      int64
	key     string
	cells   []value
	cleaned []string
}

// legacyTable names a V1.5 table and the columns the importer reads, key column first.
type legacyTable struct {
	name    string
	columns []string
}

// The V1.5 tables (legacy/v15_schema.sql) in the order the importer resolves them:
// parents before children.
var (
	usersTable          = legacyTable{"users", []string{"id", "email", "hashed_password", "full_name", "role", "is_active", "created_at"}}
	contactsTable       = legacyTable{"contacts", []string{"id", "name", "phone", "email", "tags", "custom_fields", "created_at", "updated_at"}}
	campaignsTable      = legacyTable{"campaigns", []string{"id", "name", "channel", "status", "message_template", "audience_filter", "scheduled_at", "started_at", "completed_at", "created_at"}}
	conversationsTable  = legacyTable{"conversations", []string{"id", "contact_id", "channel", "status", "assigned_user_id", "ai_enabled", "last_message_at", "created_at"}}
	messagesTable       = legacyTable{"messages", []string{"id", "conversation_id", "direction", "sender_type", "sender_user_id", "content", "media_url", "status", "external_id", "created_at"}}
	leadsTable          = legacyTable{"leads_pipeline", []string{"id", "contact_id", "stage", "value", "owner_id", "position", "notes", "created_at", "updated_at"}}
	campaignEventsTable = legacyTable{"campaign_events", []string{"id", "campaign_id", "contact_id", "event_type", "occurred_at", "metadata"}}
	aiConfigTable       = legacyTable{"ai_config", []string{"id", "enabled", "model", "system_prompt", "temperature", "business_hours", "updated_at"}}
	knowledgeTable      = legacyTable{"knowledge_documents", []string{"id", "title", "content", "source_url", "tags", "created_at", "updated_at"}}
	settingsTable       = legacyTable{"system_settings", []string{"key", "value", "updated_at"}}

	legacyTables = []legacyTable{usersTable, contactsTable, campaignsTable, conversationsTable, messagesTable,
		leadsTable, campaignEventsTable, aiConfigTable, knowledgeTable, settingsTable}
)

// legacyData is a whole V1.5 file in memory, table name -> rows in key order.
type legacyData map[string][]row

// readFile reads every V1.5 table of the SQLite file at path, read-only.
func readFile(ctx context.Context, path string) (legacyData, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	// mode=ro never creates or writes the file; query_only guards the session too.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&_pragma=query_only(1)"}).String()
	sqlite, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer sqlite.Close()

	data := legacyData{}
	for _, table := range legacyTables {
		rows, err := readTable(ctx, sqlite, table)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table.name, err)
		}
		data[table.name] = rows
	}
	return data, nil
}

// readTable reads one table in key order. Every column is cast to TEXT so that the
// driver hands over exactly what is stored: no date or number guessing.
func readTable(ctx context.Context, sqlite *sql.DB, table legacyTable) ([]row, error) {
	casts := make([]string, len(table.columns))
	for i, c := range table.columns {
		casts[i] = "CAST(" + c + " AS TEXT)"
	}
	query := "SELECT " + strings.Join(casts, ", ") + " FROM " + table.name + " ORDER BY " + table.columns[0]
	rows, err := sqlite.QueryContext(ctx, query)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "no such column") {
			return nil, fmt.Errorf("not a V1.5 file: %w", err)
		}
		return nil, err
	}
	defer rows.Close()

	var out []row
	dest := make([]any, len(table.columns))
	for rows.Next() {
		r := row{cells: make([]value, len(table.columns))}
		for i := range r.cells {
			dest[i] = &r.cells[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for i, c := range r.cells {
			if c.Cleaned {
				r.cleaned = append(r.cleaned, table.columns[i])
			}
		}
		if table.columns[0] == "id" {
			// INTEGER PRIMARY KEY is the rowid: always an integer.
			if r.id, err = strconv.ParseInt(r.cells[0].Text, 10, 64); err != nil {
				return nil, fmt.Errorf("row id %q: %w", r.cells[0].Text, err)
			}
		} else {
			r.key = r.cells[0].Text
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// legacyID is how a row is named in the report: its id, or its key.
func (r row) legacyID() string {
	if r.key != "" {
		return r.key
	}
	return strconv.FormatInt(r.id, 10)
}
