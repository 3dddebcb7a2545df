// Package legacytest writes Atende V1.5 SQLite files, with the V1.5 schema, for the
// importer's tests and benchmark: empty ones that a test fills row by row, and large
// generated ones.
package legacytest

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"

	_ "modernc.org/sqlite"
)

// Schema is the V1.5 schema (a copy of shared/legacy/v15_schema.sql).
//
//go:embed v15_schema.sql
var Schema string

// Create makes a new V1.5 file at path with the schema and no rows, and returns it open
// for writing.
func Create(ctx context.Context, path string) (*sql.DB, error) {
	file, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	file.SetMaxOpenConns(1)
	if _, err := file.ExecContext(ctx, Schema); err != nil {
		file.Close()
		return nil, fmt.Errorf("create V1.5 schema: %w", err)
	}
	return file, nil
}

// Counts are the rows a generated file holds per table.
type Counts map[string]int

// Total is the number of rows in all tables.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Generate writes a V1.5 file at path with the given number of messages, shaped like a
// busy clinic: 20 messages per conversation, two conversations per contact, both
// timestamp formats, hand-typed phones of which one contact in fifty is a second
// spelling of another's number, and one provider message in a thousand delivered twice.
// The same arguments always write the same file.
func Generate(ctx context.Context, path string, messages int) (Counts, error) {
	file, err := Create(ctx, path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	tx, err := file.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rng := rand.New(rand.NewPCG(15, 16))
	g := generator{tx: tx, rng: rng, counts: Counts{}}

	const users = 20
	conversations := max(messages/20, 1)
	contacts := max(conversations/2, 1)
	g.insertUsers(ctx, users)
	g.insertContacts(ctx, contacts)
	g.insertConversations(ctx, conversations, contacts, users)
	g.insertMessages(ctx, messages, conversations, users)
	g.insertCampaigns(ctx, contacts)
	if g.err != nil {
		return nil, g.err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return g.counts, nil
}

type generator struct {
	tx     *sql.Tx
	rng    *rand.Rand
	counts Counts
	err    error
}

// insert runs one prepared INSERT for each set of values next returns, until it
// returns nil.
func (g *generator) insert(ctx context.Context, table string, columns []string, n int, next func(i int) []any) {
	if g.err != nil {
		return
	}
	stmt, err := g.tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s)",
		table, strings.Join(columns, ", "), strings.Repeat(", ?", len(columns)-1)))
	if err != nil {
		g.err = err
		return
	}
	defer stmt.Close()
	for i := 1; i <= n; i++ {
		if _, err := stmt.ExecContext(ctx, next(i)...); err != nil {
			g.err = fmt.Errorf("insert %s %d: %w", table, i, err)
			return
		}
	}
	g.counts[table] += n
}

// timestamp writes minute m of 2024 in one of the two legacy formats.
func (g *generator) timestamp(m int) string {
	day, minute := 1+m/1440%365, m%1440
	layouts := []string{"2024-%s %02d:%02d:%02d", "2024-%s %02d:%02d:%02d.000000", "2024-%sT%02d:%02d:%02d"}
	month := fmt.Sprintf("%02d-%02d", 1+(day-1)/31%12, 1+(day-1)%28)
	return fmt.Sprintf(layouts[g.rng.IntN(len(layouts))], month, minute/60, minute%60, m%60)
}

func (g *generator) insertUsers(ctx context.Context, n int) {
	// A bcrypt hash of "senha" (cost 4, fast to verify in tests).
	const hash = "$2a$04$zXVtNITa6MC0/a0QJYtUruuLuecTQ1zIT6Oj5FJ7Eu283NNxLq.FK"
	g.insert(ctx, "users", []string{"id", "email", "hashed_password", "full_name", "role", "is_active", "created_at"}, n, func(i int) []any {
		role := "agent"
		if i%5 == 1 {
			role = "admin"
		}
		return []any{i, fmt.Sprintf("user%d@bench.example", i), hash, fmt.Sprintf("User %d", i), role, 1, g.timestamp(i)}
	})
}

func (g *generator) insertContacts(ctx context.Context, n int) {
	g.insert(ctx, "contacts", []string{"id", "name", "phone", "email", "tags", "custom_fields", "created_at", "updated_at"}, n, func(i int) []any {
		number := 900000000 + i
		if i%50 == 0 && i > 1 {
			number = 900000000 + i - 1 // the previous contact's number, spelled differently
		}
		phones := []string{"11%d", "+55 11 %d", "(11) %d", "5511%d"}
		tags := []string{`["vip"]`, "retorno, implante", "", `[]`}
		return []any{i, fmt.Sprintf("Contato %d", i), fmt.Sprintf(phones[i%len(phones)], number), nil,
			tags[i%len(tags)], `{"convenio": "Amil"}`, g.timestamp(i), g.timestamp(i + 1)}
	})
}

func (g *generator) insertConversations(ctx context.Context, n, contacts, users int) {
	channels := []string{"whatsapp", "instagram", "webchat", "email"}
	g.insert(ctx, "conversations", []string{"id", "contact_id", "channel", "status", "assigned_user_id", "ai_enabled", "last_message_at", "created_at"}, n, func(i int) []any {
		status := "closed"
		if i%4 == 0 {
			status = "open"
		}
		return []any{i, 1 + (i-1)%contacts, channels[i%len(channels)], status, 1 + i%users, i % 2, g.timestamp(i * 7), g.timestamp(i * 3)}
	})
}

func (g *generator) insertMessages(ctx context.Context, n, conversations, users int) {
	texts := []string{"Olá, gostaria de marcar uma consulta", "Pode ser amanhã às 15h?", "Confirmo a consulta", "Obrigada! 😊", "Qual o valor da limpeza?"}
	statuses := []string{"sent", "delivered", "read", "lido", "enviado", "failed"}
	g.insert(ctx, "messages", []string{"id", "conversation_id", "direction", "sender_type", "sender_user_id", "content", "media_url", "status", "external_id", "created_at"}, n, func(i int) []any {
		externalID := fmt.Sprintf("wamid.bench.%09d", i)
		conversation := 1 + (i-1)%conversations
		if i%1000 == 0 { // message i-1 delivered twice
			externalID = fmt.Sprintf("wamid.bench.%09d", i-1)
			conversation = 1 + (i-2)%conversations
		}
		if i%2 == 0 && i%1000 != 0 {
			return []any{i, conversation, "inbound", "contact", nil, texts[i%len(texts)], nil, nil, externalID, g.timestamp(i)}
		}
		return []any{i, conversation, "outbound", "user", 1 + i%users, texts[i%len(texts)], nil, statuses[i%len(statuses)], externalID, g.timestamp(i)}
	})
}

func (g *generator) insertCampaigns(ctx context.Context, contacts int) {
	g.insert(ctx, "campaigns", []string{"id", "name", "channel", "status", "message_template", "audience_filter", "created_at"}, 1, func(i int) []any {
		return []any{i, "Retorno semestral", "whatsapp", "completed", "Olá {{nome}}", `{"tags": ["retorno"]}`, g.timestamp(i)}
	})
	events := []string{"queued", "sent", "delivered", "read"}
	g.insert(ctx, "campaign_events", []string{"id", "campaign_id", "contact_id", "event_type", "occurred_at", "metadata"}, contacts, func(i int) []any {
		return []any{i, 1, i, events[i%len(events)], g.timestamp(i), `{"provider": "meta"}`}
	})
}

// Change changes a V1.5 file (one Generate wrote) as its customer would have between an
// import and the final sync: of every table's rows, one in every changes an update
// (a contact renamed, a conversation closed, an outbound message read and an inbound one
// edited, an event's metadata, a lead moved); then new messages, one for every hundred
// changed, in existing conversations, and one in every hundred changed messages deleted.
// It returns how many rows it changed, added and deleted.
func Change(ctx context.Context, path string, every int) (Counts, error) {
	file, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer file.Close()
	file.SetMaxOpenConns(1)
	tx, err := file.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	counts := Counts{}
	step := func(name, query string, args ...any) {
		if err != nil {
			return
		}
		var res sql.Result
		if res, err = tx.ExecContext(ctx, query, args...); err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			return
		}
		n, _ := res.RowsAffected()
		counts[name] += int(n)
	}
	step("contacts", "UPDATE contacts SET name = name || ' (V1.5)', updated_at = '2024-12-30 10:00:00' WHERE id % ? = 0", every)
	step("conversations", "UPDATE conversations SET status = 'closed' WHERE id % ? = 0 AND status <> 'closed'", every)
	step("messages", "UPDATE messages SET status = 'read' WHERE id % ? = 0 AND direction = 'outbound'", every)
	step("messages", "UPDATE messages SET content = content || ' (editada)' WHERE id % ? = 0 AND direction = 'inbound'", every)
	step("campaign_events", `UPDATE campaign_events SET metadata = '{"provider": "meta", "retried": true}' WHERE id % ? = 0`, every)
	var last int
	if err == nil {
		err = tx.QueryRowContext(ctx, "SELECT max(id) FROM messages").Scan(&last)
	}
	step("new messages", `INSERT INTO messages (id, conversation_id, direction, sender_type, content, external_id, created_at)
		SELECT ? + id / ?, conversation_id, 'inbound', 'contact', 'Nova mensagem', 'wamid.new.' || id, '2024-12-31 10:00:00'
		FROM messages WHERE id % ? = 0`, last, every*100, every*100)
	step("deleted messages", "DELETE FROM messages WHERE id % ? = 1", every*100)
	if err != nil {
		return nil, err
	}
	return counts, tx.Commit()
}
