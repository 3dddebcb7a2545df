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

// row is one legacy row as read: its id (the key, for system_settings), its cells, and
// the columns whose text had to be cleaned. The rules read a cell by its column
// (row.cell), never by its place in the row.
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

// column is one column the importer reads from a legacyTable.
type column struct {
	name  string
	index int // where the column's cell is in the table's rows
}

// col names column name of t. The rules look their columns up once, when the package is
// initialised, so a column the importer does not read panics before anything runs.
func (t legacyTable) col(name string) column {
	for i, c := range t.columns {
		if c == name {
			return column{name: name, index: i}
		}
	}
	panic(fmt.Sprintf("legacy: the importer reads no column %s of %s", name, t.name))
}

// key is t's key column: id, or key for system_settings.
func (t legacyTable) key() column { return column{name: t.columns[0], index: 0} }

// cell is the value of c in r.
func (r row) cell(c column) value { return r.cells[c.index] }

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
	db     *sql.DB
	limits limits
	// messages selects a range of messages (streamMessages), prepared when the file is
	// opened so that a file without them is refused before anything is written.
	messages *sql.Stmt
	// counts are each table's rows, as checkTable counted them.
	counts map[string]int64
}

// limits caps what the importer reads from a file, whatever the file holds
// (Options.MaxCellBytes, MaxMessages and MaxRows).
type limits struct {
	cellBytes int64
	messages  int // rows of messages, which are streamed
	rows      int // rows of every other table, which are held in memory
}

// rowsOf is the most rows table may have.
func (lim limits) rowsOf(table legacyTable) int {
	if table.name == messagesTable.name {
		return lim.messages
	}
	return lim.rows
}

// openFile opens the SQLite file at path, read-only, and checks, before any row is
// read, that every table the importer reads is a stored V1.5 table within lim.
func openFile(ctx context.Context, path string, lim limits) (*legacyFile, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("legacy file: %w", err)
	}
	// mode=ro never creates or writes the file; query_only guards the session too. The
	// file is untrusted: trusted_schema(0) lets its schema call only innocuous
	// functions, and cell_size_check(1) catches a corrupt page as it is read (SQLite's
	// advice for files from elsewhere).
	query := "mode=ro&_pragma=query_only(1)&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)"
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: query}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f := &legacyFile{db: db, limits: lim, counts: map[string]int64{}}
	for _, table := range legacyTables {
		if err := f.checkTable(ctx, table); err != nil {
			db.Close()
			return nil, err
		}
	}
	if f.messages, err = db.PrepareContext(ctx, selectSQL(messagesTable, lim.cellBytes, "id BETWEEN ? AND ?")); err != nil {
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

// checkTable makes sure that table is a plain table of the file with the columns the
// importer reads, stored as written: a view (which can compute rows without end or
// values of any size), a virtual table (whose module computes its rows) or a generated
// column (computed as it is read) is refused, and so is a table with more rows than
// the limit. Nothing here runs the schema's SQL: it reads sqlite_master, the columns'
// declarations, and counts the table's b-tree entries.
func (f *legacyFile) checkTable(ctx context.Context, table legacyTable) error {
	rows, err := f.db.QueryContext(ctx,
		"SELECT type, coalesce(sql, '') FROM main.sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE", table.name)
	if err != nil {
		return fmt.Errorf("read the schema of %s: %w", table.name, err)
	}
	var kinds, defs []string
	for rows.Next() {
		var kind, def string
		if err := rows.Scan(&kind, &def); err != nil {
			rows.Close()
			return fmt.Errorf("read the schema of %s: %w", table.name, err)
		}
		kinds, defs = append(kinds, kind), append(defs, def)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read the schema of %s: %w", table.name, err)
	}
	switch {
	case len(kinds) == 0:
		// Every table is required: V1.5 created them all.
		return fmt.Errorf("not a V1.5 file: it has no table %s", table.name)
	case len(kinds) > 1:
		return fmt.Errorf("%w: %s is defined %d times", ErrRefusedFile, table.name, len(kinds))
	case kinds[0] == "view":
		return fmt.Errorf("%w: %s is a view, not a plain table", ErrRefusedFile, table.name)
	// sqlite_master says "table" for a virtual table too; SQLite writes a table's
	// definition as "CREATE TABLE ..." and a virtual one's as "CREATE VIRTUAL TABLE ...".
	// Anything else was not written by SQLite, and is not trusted either.
	case strings.HasPrefix(defs[0], "CREATE VIRTUAL TABLE"):
		return fmt.Errorf("%w: %s is a virtual table, not a plain table", ErrRefusedFile, table.name)
	case !strings.HasPrefix(defs[0], "CREATE TABLE"):
		return fmt.Errorf("%w: %s is not defined as SQLite defines a plain table: %.60q", ErrRefusedFile, table.name, defs[0])
	}

	// table_xinfo lists generated columns too: hidden is 2 for a VIRTUAL one (computed
	// as it is read, so of any size) and 3 for a STORED one. V1.5 had neither.
	rows, err = f.db.QueryContext(ctx, "SELECT name, hidden FROM pragma_table_xinfo(?, 'main')", table.name)
	if err != nil {
		return fmt.Errorf("read the columns of %s: %w", table.name, err)
	}
	hidden := map[string]int{}
	for rows.Next() {
		var name string
		var h int
		if err := rows.Scan(&name, &h); err != nil {
			rows.Close()
			return fmt.Errorf("read the columns of %s: %w", table.name, err)
		}
		hidden[strings.ToLower(name)] = h
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read the columns of %s: %w", table.name, err)
	}
	for _, c := range table.columns {
		h, ok := hidden[c]
		switch {
		case !ok:
			return fmt.Errorf("not a V1.5 file: %s has no column %s", table.name, c)
		case h == 2 || h == 3:
			return fmt.Errorf("%w: column %s of %s is generated (GENERATED ALWAYS AS ...), not stored as written", ErrRefusedFile, c, table.name)
		case h != 0:
			return fmt.Errorf("%w: column %s of %s is hidden, not stored as written", ErrRefusedFile, c, table.name)
		}
	}

	// A file with more rows than the limit is refused before any is read, rather than
	// after a long COPY. count(*) walks the table's b-tree without reading the rows.
	var count int64
	if err := f.db.QueryRowContext(ctx, "SELECT count(*) FROM main."+table.name).Scan(&count); err != nil {
		return fmt.Errorf("count %s: %w", table.name, err)
	}
	f.counts[table.name] = count
	if limit := f.limits.rowsOf(table); count > int64(limit) {
		return fmt.Errorf("%w: %s has %d rows, over the limit of %d rows", ErrRefusedFile, table.name, count, limit)
	}
	return nil
}

// selectSQL selects table's columns in key order, of the rows where says (all when it is
// empty). Every column is cast to TEXT so that the driver hands over exactly what is
// stored: no date or number guessing. A cell of more than maxCell bytes is selected as
// its size, an integer, instead: octet_length reads a stored value's size from the row's
// header without reading the value (SQLite 3.43 and later), so that an oversize value is
// never loaded, neither by SQLite nor into Go, and scanRows refuses the row.
func selectSQL(table legacyTable, maxCell int64, where string) string {
	casts := make([]string, len(table.columns))
	for i, c := range table.columns {
		casts[i] = fmt.Sprintf("CASE WHEN octet_length(%[1]s) > %[2]d THEN octet_length(%[1]s) ELSE CAST(%[1]s AS TEXT) END", c, maxCell)
	}
	if where != "" {
		where = " WHERE " + where
	}
	return "SELECT " + strings.Join(casts, ", ") + " FROM main." + table.name + where + " ORDER BY " + table.key().name
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

// scan reads table's columns in key order, handing the rows to emit in batches.
func (f *legacyFile) scan(ctx context.Context, table legacyTable, emit func([]row) error) error {
	rows, err := f.db.QueryContext(ctx, selectSQL(table, f.limits.cellBytes, ""))
	if err != nil {
		return notV15(err)
	}
	return scanRows(rows, table, f.limits, emit)
}

// messagesByID reads the messages of ids again (a few: the first copies of repeated
// deliveries, whose rows the stream has passed), in id order.
func (f *legacyFile) messagesByID(ctx context.Context, ids []int64) ([]row, error) {
	var out []row
	for start := 0; start < len(ids); start += batchRows {
		batch := ids[start:min(len(ids), start+batchRows)]
		list := make([]string, len(batch))
		for i, id := range batch {
			list[i] = strconv.FormatInt(id, 10)
		}
		rows, err := f.db.QueryContext(ctx, selectSQL(messagesTable, f.limits.cellBytes, "id IN ("+strings.Join(list, ", ")+")"))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", messagesTable.name, err)
		}
		err = scanRows(rows, messagesTable, f.limits, func(batch []row) error {
			out = append(out, batch...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", messagesTable.name, err)
		}
	}
	return out, nil
}

// batchRows is how many rows scanRows hands over at once; their cells share one
// allocation.
const batchRows = 512

// scanRows reads rows of table, closing them, and hands them to emit in batches. A
// batch belongs to emit: scanRows does not touch it again. A row with a cell over the
// limit (which selectSQL selects as its size), or a row past the table's limit, ends
// the scan with an error naming it.
func scanRows(rows *sql.Rows, table legacyTable, lim limits, emit func([]row) error) error {
	defer rows.Close()
	width := len(table.columns)
	scanners := make([]cellScanner, width)
	dest := make([]any, width)
	for i := range dest {
		dest[i] = &scanners[i]
	}
	maxRows := lim.rowsOf(table)
	read := 0
	var cells []value
	batch := make([]row, 0, batchRows)
	for rows.Next() {
		if len(cells) < width {
			cells = make([]value, batchRows*width)
		}
		r := row{cells: cells[:width:width]}
		cells = cells[width:]
		for i := range r.cells {
			scanners[i].v = &r.cells[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		read++
		for i, s := range scanners {
			if s.size > 0 {
				return fmt.Errorf("%w: %s, column %s: %d bytes, over the limit of %d bytes per cell",
					ErrRefusedFile, rowName(table, r, i, read), table.columns[i], s.size, lim.cellBytes)
			}
		}
		// checkTable counted the rows first; this holds also if the file changed since.
		if read > maxRows {
			return fmt.Errorf("%w: %s has more than %d rows, the limit (%s is one too many)",
				ErrRefusedFile, table.name, maxRows, rowName(table, r, -1, read))
		}
		for i, c := range r.cells {
			if c.Cleaned {
				r.cleaned = append(r.cleaned, table.columns[i])
			}
		}
		if key := r.cell(table.key()); table.key().name == "id" {
			// INTEGER PRIMARY KEY is the rowid: always an integer.
			var err error
			if r.id, err = strconv.ParseInt(key.Text, 10, 64); err != nil {
				return fmt.Errorf("row id %q: %w", key.Text, err)
			}
		} else {
			r.key = key.Text
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

// cellScanner scans one cell of a row into v: its text or, for a cell over the limit,
// which selectSQL selects as an integer (every other cell is TEXT or NULL), its size.
type cellScanner struct {
	v    *value
	size int64 // the size of a cell over the limit; 0 for a cell read
}

func (s *cellScanner) Scan(src any) error {
	if size, ok := src.(int64); ok {
		s.size, *s.v = size, value{}
		return nil
	}
	s.size = 0
	return s.v.Scan(src)
}

// rowName names row r of table, the read-th in key order, in an error: by its id (or
// key), unless its key column is the one over the limit (overColumn, -1 for none).
func rowName(table legacyTable, r row, overColumn, read int) string {
	key := table.key()
	switch {
	case overColumn == key.index:
		return fmt.Sprintf("row %d in %s order", read, key.name)
	case key.name == "id":
		return "row " + r.cell(key).Text
	default:
		return fmt.Sprintf("row %s %q", key.name, r.cell(key).Text)
	}
}

// legacyID is how a row is named in the report: its id, or its key.
func (r row) legacyID() string {
	if r.key != "" {
		return r.key
	}
	return strconv.FormatInt(r.id, 10)
}
