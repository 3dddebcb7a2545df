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
	"sync"

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

// legacyData is a V1.5 file in memory, table name -> rows in key order: every table
// but messages, which are streamed (legacyFile.streamMessages).
type legacyData map[string][]row

// legacyFile is an open V1.5 file.
type legacyFile struct {
	db *sql.DB
	// messages selects the messages, prepared when the file is opened so that a file
	// without them is refused before anything is written.
	messages *sql.Stmt
}

// openFile opens the SQLite file at path, read-only, and checks that it has the V1.5
// messages table.
func openFile(ctx context.Context, path string) (*legacyFile, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	// mode=ro never creates or writes the file; query_only guards the session too.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&_pragma=query_only(1)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f := &legacyFile{db: db}
	if f.messages, err = db.PrepareContext(ctx, selectSQL(messagesTable)); err != nil {
		db.Close()
		return nil, fmt.Errorf("read %s: %w", messagesTable.name, notV15(err))
	}
	return f, nil
}

func (f *legacyFile) Close() error {
	f.messages.Close()
	return f.db.Close()
}

// read reads every V1.5 table but messages. The tables are small next to the messages
// and read on two connections at once.
func (f *legacyFile) read(ctx context.Context) (legacyData, error) {
	var tables []legacyTable
	for _, table := range legacyTables {
		if table.name != messagesTable.name {
			tables = append(tables, table)
		}
	}
	read := make([][]row, len(tables))
	errs := make([]error, len(tables))
	var wg sync.WaitGroup
	for half := range 2 {
		wg.Go(func() {
			for i := half; i < len(tables); i += 2 {
				read[i], errs[i] = f.readTable(ctx, tables[i])
			}
		})
	}
	wg.Wait()
	data := legacyData{}
	for i, table := range tables {
		if errs[i] != nil {
			return nil, fmt.Errorf("read %s: %w", table.name, errs[i])
		}
		data[table.name] = read[i]
	}
	return data, nil
}

// selectSQL selects table's columns in key order. Every column is cast to TEXT so that
// the driver hands over exactly what is stored: no date or number guessing.
func selectSQL(table legacyTable) string {
	casts := make([]string, len(table.columns))
	for i, c := range table.columns {
		casts[i] = "CAST(" + c + " AS TEXT)"
	}
	return "SELECT " + strings.Join(casts, ", ") + " FROM " + table.name + " ORDER BY " + table.columns[0]
}

func notV15(err error) error {
	if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "no such column") {
		return fmt.Errorf("not a V1.5 file: %w", err)
	}
	return err
}

// readTable reads one table in key order.
func (f *legacyFile) readTable(ctx context.Context, table legacyTable) ([]row, error) {
	var out []row
	err := f.scan(ctx, table, func(batch []row) error {
		out = append(out, batch...)
		return nil
	})
	return out, err
}

// messageTimesTable is the columns of the messages that predictTallies reads.
var messageTimesTable = legacyTable{"messages", []string{"id", "conversation_id", "direction", "created_at"}}

// scan reads table's columns in key order, handing the rows to emit in batches.
func (f *legacyFile) scan(ctx context.Context, table legacyTable, emit func([]row) error) error {
	rows, err := f.db.QueryContext(ctx, selectSQL(table))
	if err != nil {
		return notV15(err)
	}
	return scanRows(rows, table, emit)
}

// streamMessages sends the messages, in id order and in batches, to out until they are
// all read or ctx ends.
func (f *legacyFile) streamMessages(ctx context.Context, out chan<- []row) error {
	rows, err := f.messages.QueryContext(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", messagesTable.name, err)
	}
	err = scanRows(rows, messagesTable, func(batch []row) error {
		select {
		case out <- batch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", messagesTable.name, err)
	}
	return nil
}

// batchRows is how many rows scanRows hands over at once; their cells share one
// allocation.
const batchRows = 512

// scanRows reads rows of table, closing them, and hands them to emit in batches. A
// batch belongs to emit: scanRows does not touch it again.
func scanRows(rows *sql.Rows, table legacyTable, emit func([]row) error) error {
	defer rows.Close()
	width := len(table.columns)
	dest := make([]any, width)
	var cells []value
	batch := make([]row, 0, batchRows)
	for rows.Next() {
		if len(cells) < width {
			cells = make([]value, batchRows*width)
		}
		r := row{cells: cells[:width:width]}
		cells = cells[width:]
		for i := range r.cells {
			dest[i] = &r.cells[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, c := range r.cells {
			if c.Cleaned {
				r.cleaned = append(r.cleaned, table.columns[i])
			}
		}
		if table.columns[0] == "id" {
			// INTEGER PRIMARY KEY is the rowid: always an integer.
			var err error
			if r.id, err = strconv.ParseInt(r.cells[0].Text, 10, 64); err != nil {
				return fmt.Errorf("row id %q: %w", r.cells[0].Text, err)
			}
		} else {
			r.key = r.cells[0].Text
		}
		if batch = append(batch, r); len(batch) == batchRows {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([]row, 0, batchRows)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}

// legacyID is how a row is named in the report: its id, or its key.
func (r row) legacyID() string {
	if r.key != "" {
		return r.key
	}
	return strconv.FormatInt(r.id, 10)
}
