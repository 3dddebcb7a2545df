package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/sql/schema"
	"github.com/jackc/pgx/v5"
)

// Sizes are what the bench database holds: small tenants with SmallMessages messages
// each, and one big tenant with BigMessages messages and Leads leads (it is tenant A of
// the fairness scenario).
type Sizes struct {
	Tenants       int `json:"tenants"`
	SmallMessages int `json:"small_messages"`
	BigMessages   int `json:"big_messages"`
	Leads         int `json:"leads"`
}

const (
	// A small tenant has an owner and two agents; the big one a team large enough that
	// the API's per-user rate limit never binds on the load the bench sends it.
	smallUsers              = 3
	bigUsers                = 200
	messagesPerConversation = 50
	minSmallContacts        = 100
	bigSlug                 = "bench-big"
)

// conversationsFor is how many conversations of messagesPerConversation hold messages
// (rounded down, at least one).
func conversationsFor(messages int) int { return max(1, messages/messagesPerConversation) }

// seedArgs are the named arguments of seedStatements. A small tenant has a lead per
// contact; the big tenant has a contact per conversation, and its leads cycle over them.
func (s Sizes) seedArgs() pgx.NamedArgs {
	small, big := conversationsFor(s.SmallMessages), conversationsFor(s.BigMessages)
	smallContacts := max(minSmallContacts, small)
	return pgx.NamedArgs{
		"tenants": s.Tenants, "small_users": smallUsers, "big_users": bigUsers, "per_conversation": messagesPerConversation, "big_slug": bigSlug,
		"small_contacts": smallContacts, "small_conversations": small, "small_leads": smallContacts,
		"big_contacts": big, "big_conversations": big, "big_leads": s.Leads,
	}
}

// seedStatements fill an empty, migrated database, set-based, as the superuser on one
// connection; shape says how many rows of each kind a tenant gets. Users are inserted
// as Supabase Auth inserts them, so that the signup trigger makes their profiles; the
// bulk tables are then written with triggers off
// (session_replication_role = replica): the live-event triggers have no listener to
// tell, and the rows are consistent by construction, so the foreign-key checks would
// only slow the load down. Any change here changes seedKey, and so reseeds.
var seedStatements = []string{
	`insert into tenants (name, slug)
	select 'Clínica ' || g, 'bench-' || lpad(g::text, 4, '0') from generate_series(1, @tenants::integer) g
	union all select 'Clínica Grande', @big_slug::text`,
	`insert into tenant_secrets (tenant_id) select id from tenants`,
	`insert into ai_config (tenant_id) select id from tenants`,
	`create temp table shape as
	select id as tenant_id,
		case when slug = @big_slug::text then @big_users::integer else @small_users::integer end as users,
		case when slug = @big_slug::text then @big_contacts::integer else @small_contacts::integer end as contacts,
		case when slug = @big_slug::text then @big_conversations::integer else @small_conversations::integer end as conversations,
		case when slug = @big_slug::text then @big_leads::integer else @small_leads::integer end as leads
	from tenants`,
	`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
	select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
		'user' || u || '@' || t.slug || '.example',
		jsonb_build_object('tenant_id', t.id, 'tenant_role', case when u = 1 then 'owner' else 'agent' end),
		'{}', now(), now()
	from tenants t join shape s on s.tenant_id = t.id, generate_series(1, s.users) u`,
	`set session_replication_role = replica`,
	// 400 distinct names (a first name and a surname per i mod 20 and i / 20), so that a
	// search for a surname finds a few contacts of a small tenant and many of the big one.
	`insert into contacts (tenant_id, name, phone, email, tags, created_at)
	select s.tenant_id,
		(array['Ana', 'Maria', 'José', 'João', 'Antônio', 'Francisca', 'Carlos', 'Paulo', 'Lucas', 'Juliana',
			'Fernanda', 'Marcos', 'Patrícia', 'Rafael', 'Aline', 'Bruno', 'Camila', 'Diego', 'Letícia', 'Gustavo'])[1 + i % 20]
		|| ' ' ||
		(array['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes',
			'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa'])[1 + (7 * i + i / 20) % 20],
		'+55119' || (80000000 + i), 'contato' || i || '@example.com',
		case when i % 5 = 0 then '{vip}'::text[] else '{}'::text[] end,
		now() - i * interval '1 minute'
	from shape s, generate_series(1, s.contacts) i`,
	`create temp table numbered_contacts as
	select tenant_id, id, row_number() over (partition by tenant_id order by created_at desc, id) as n from contacts`,
	`create index on numbered_contacts (tenant_id, n)`,
	`insert into conversations (tenant_id, contact_id, channel, status, last_message_at, created_at, updated_at)
	select c.tenant_id, c.id, 'whatsapp', (array['open', 'pending', 'closed'])[1 + c.n % 3]::conversation_status,
		now() - c.n * interval '10 minutes' + @per_conversation::integer * interval '1 second',
		now() - c.n * interval '10 minutes', now() - c.n * interval '10 minutes'
	from numbered_contacts c join shape s on s.tenant_id = c.tenant_id
	where c.n <= s.conversations`,
	`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, status, external_id, created_at)
	select v.tenant_id, v.id, v.channel,
		case when m % 2 = 0 then 'outbound' else 'inbound' end::message_direction,
		case when m % 2 = 0 then 'user' else 'contact' end::sender_type,
		'Mensagem ' || m || ': olá, gostaria de confirmar o horário da consulta de amanhã.',
		'delivered', 'seed.' || v.id || '.' || m, v.created_at + m * interval '1 second'
	from conversations v, generate_series(1, @per_conversation::integer) m`,
	// Positions 1024 apart in each stage, as the schema's bulk writes leave them, so that
	// moves find room between neighbours.
	`insert into leads_pipeline (tenant_id, contact_id, stage, value, position, created_at)
	select s.tenant_id, c.id, (enum_range(null::lead_stage))[1 + l % 6], (l % 100) * 50, (l / 6) * 1024, now() - l * interval '1 second'
	from shape s
		cross join lateral generate_series(0, s.leads - 1) l
		join numbered_contacts c on c.tenant_id = s.tenant_id and c.n = 1 + l % s.contacts`,
	`reset session_replication_role`,
	// Hint bits, the visibility map and statistics, as a database that has been live for a
	// while has them: otherwise the first measurements pay for them.
	`vacuum analyze`,
}

// Database is the bench database.
type Database struct {
	AdminURL string // the superuser: seeding, the bare queries
	AppURL   string // atende_app: the server and the ceiling
	name     string
	maintURL string // the superuser on the postgres database: create and drop
}

// NewDatabase names the bench database from its superuser URL; atende_app reaches it on
// the same host without a password (the local server trusts it).
func NewDatabase(adminURL string) (Database, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return Database{}, fmt.Errorf("database URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || name == "postgres" {
		return Database{}, fmt.Errorf("database URL %s names no bench database (it is dropped and recreated)", adminURL)
	}
	maint, app := *u, *u
	maint.Path = "/postgres"
	app.User = url.User("atende_app")
	return Database{AdminURL: adminURL, AppURL: app.String(), name: name, maintURL: maint.String()}, nil
}

// Prepare makes the database hold sizes: reused when it was seeded with the same sizes,
// seed statements and schema (see seedKey), otherwise dropped, created, migrated and
// seeded. It tells log what it did.
func (d Database) Prepare(ctx context.Context, sizes Sizes, log io.Writer) error {
	key, err := seedKey(sizes)
	if err != nil {
		return err
	}
	if d.seededWith(ctx) == key {
		fmt.Fprintf(log, "reusing %s: seeded with these sizes on this schema\n", d.name)
		return nil
	}
	if err := d.Drop(ctx); err != nil {
		return err
	}
	if err := d.maintenance(ctx, "create database "+pgx.Identifier{d.name}.Sanitize()); err != nil {
		return err
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(log, "seeding %s: %d small tenants × %d messages, one of %d messages and %d leads…\n",
		d.name, sizes.Tenants, sizes.SmallMessages, sizes.BigMessages, sizes.Leads)
	if err := d.seed(ctx, sizes, key); err != nil {
		return err
	}
	fmt.Fprintf(log, "seeded in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// Drop drops the database, if it exists.
func (d Database) Drop(ctx context.Context) error {
	return d.maintenance(ctx, "drop database if exists "+pgx.Identifier{d.name}.Sanitize()+" with (force)")
}

func (d Database) maintenance(ctx context.Context, statement string) error {
	conn, err := pgx.Connect(ctx, d.maintURL)
	if err != nil {
		return fmt.Errorf("connect to the postgres database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, statement); err != nil {
		return fmt.Errorf("%s: %w", statement, err)
	}
	return nil
}

// seededWith is the seed key recorded in the database; empty when there is no database,
// or it was never completely seeded.
func (d Database) seededWith(ctx context.Context) string {
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		return ""
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var key string
	if err := conn.QueryRow(ctx, "select key from bench.seed").Scan(&key); err != nil {
		return ""
	}
	return key
}

func (d Database) migrate(ctx context.Context) error {
	sqlDB, err := db.OpenAdmin(d.AdminURL)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	return db.MigrateUp(ctx, sqlDB)
}

// seed runs seedStatements, then records the key: a seed cut short records none, and is
// redone.
func (d Database) seed(ctx context.Context, sizes Sizes, key string) error {
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	args := sizes.seedArgs()
	for _, statement := range seedStatements {
		// pgx sends a statement left without arguments by the simple protocol, which
		// vacuum needs.
		if _, err := conn.Exec(ctx, statement, args); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, statement)
		}
	}
	sizesJSON, err := json.Marshal(sizes)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `create schema bench;
		grant usage on schema bench to atende_app;
		create table bench.seed (key text not null, sizes jsonb not null, seeded_at timestamptz not null default now())`)
	if err == nil {
		_, err = conn.Exec(ctx, "insert into bench.seed (key, sizes) values ($1, $2)", key, sizesJSON)
	}
	if err != nil {
		return fmt.Errorf("record the seed: %w", err)
	}
	return nil
}

// seedKey identifies what a seeded database holds: the sizes, the seed statements and
// every migration's text. Any change to one of them makes Prepare seed anew, so that a
// database migrated from an older schema, or by a migration edited since, is never
// measured.
func seedKey(sizes Sizes) (string, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(sizes); err != nil {
		return "", err
	}
	for _, statement := range seedStatements {
		io.WriteString(h, statement)
	}
	err := fs.WalkDir(schema.FS, ".", func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		text, err := fs.ReadFile(schema.FS, path)
		io.WriteString(h, path)
		h.Write(text)
		return err
	})
	if err != nil {
		return "", errors.Join(errors.New("hash the migrations"), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
