package legacy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// This file writes a plan: each table's rows are copied (COPY) into a temporary staging
// table shaped like the target, then moved in by one INSERT ... SELECT that skips rows
// already there by primary key (a re-run). Any other conflict fails the statement, and
// so the whole import. Every statement filters by the tenant.

// enumTypes are the enums the staging tables use; pgx must know them to COPY in binary.
var enumTypes = []string{
	"public.user_role", "public.lead_stage", "public.channel", "public.conversation_status",
	"public.message_direction", "public.sender_type", "public.message_status",
	"public.campaign_status", "public.campaign_event_type",
}

// registerEnums teaches conn's type map the enums (once per connection).
func registerEnums(ctx context.Context, conn *pgx.Conn) error {
	if _, ok := conn.TypeMap().TypeForName("public.channel"); ok {
		return nil
	}
	types, err := conn.LoadTypes(ctx, enumTypes)
	if err != nil {
		return fmt.Errorf("load enum types: %w", err)
	}
	conn.TypeMap().RegisterTypes(types)
	return nil
}

// stagedTable is one target table: its columns, its rows, and how staged rows move in.
type stagedTable struct {
	legacy  string // the legacy table, for progress reports
	target  string // the schema-qualified new table
	columns []string
	count   int
	row     func(i int) []any
	// source, when set, streams the rows instead of count and row.
	source func(ctx context.Context) pgx.CopyFromSource
	// copied, when set, runs once the rows are copied, with the table they are in
	// (target, or the staging table before its insert).
	copied func(ctx context.Context, table string) error
	// insert moves the staged rows ($1 is the tenant id) into target; it defaults to
	// skipping rows whose (tenant_id, id) is already there.
	insert string
	// returnIDs asks copyIn for the ids of the rows it inserted.
	returnIDs bool
}

func (st stagedTable) stage() string { return "import_" + strings.ReplaceAll(st.target, ".", "_") }

func (st stagedTable) insertSQL() string {
	if st.insert != "" {
		return st.insert
	}
	cols := strings.Join(st.columns, ", ")
	return fmt.Sprintf("insert into %s (%s) select %s from %s where tenant_id = $1 on conflict (tenant_id, id) do nothing",
		st.target, cols, cols, st.stage())
}

// loader writes one plan inside one transaction.
type loader struct {
	tx       pgx.Tx
	tenantID uuid.UUID
	progress func(table string, rows int)
	every    int
}

// copyIn loads st. A table the tenant has no rows in yet (a first import) is copied
// straight into place: nothing there can conflict, and the server inserts while rows
// stream in (direct). Otherwise the rows go through a staging table and st's insert;
// with st.returnIDs, inserted are the ids of the rows it inserted.
func (l *loader) copyIn(ctx context.Context, st stagedTable) (direct bool, inserted []uuid.UUID, err error) {
	if st.insert == "" {
		query := fmt.Sprintf("select not exists (select from %s where tenant_id = $1)", st.target)
		if err := l.tx.QueryRow(ctx, query, l.tenantID).Scan(&direct); err != nil {
			return false, nil, fmt.Errorf("look into %s: %w", st.target, err)
		}
		if direct {
			if _, err := l.tx.CopyFrom(ctx, pgx.Identifier(strings.Split(st.target, ".")), st.columns, l.source(ctx, st)); err != nil {
				return false, nil, fmt.Errorf("copy %s: %w", st.target, err)
			}
			if st.copied != nil {
				return true, nil, st.copied(ctx, st.target)
			}
			return true, nil, nil
		}
	}
	cols := strings.Join(st.columns, ", ")
	// Same column types as the target, none of its constraints; dropped at commit.
	create := fmt.Sprintf("create temp table %s on commit drop as select %s from %s with no data", st.stage(), cols, st.target)
	if _, err := l.tx.Exec(ctx, create); err != nil {
		return false, nil, fmt.Errorf("stage %s: %w", st.target, err)
	}
	if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{st.stage()}, st.columns, l.source(ctx, st)); err != nil {
		return false, nil, fmt.Errorf("copy %s: %w", st.target, err)
	}
	if st.copied != nil {
		if err := st.copied(ctx, st.stage()); err != nil {
			return false, nil, err
		}
	}
	if !st.returnIDs {
		if _, err := l.tx.Exec(ctx, st.insertSQL(), l.tenantID); err != nil {
			return false, nil, fmt.Errorf("insert %s: %w", st.target, err)
		}
		return false, nil, nil
	}
	rows, err := l.tx.Query(ctx, st.insertSQL()+" returning id", l.tenantID)
	if err == nil {
		inserted, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	}
	if err != nil {
		return false, nil, fmt.Errorf("insert %s: %w", st.target, err)
	}
	return false, inserted, nil
}

// source streams st's rows to COPY, reporting progress.
func (l *loader) source(ctx context.Context, st stagedTable) pgx.CopyFromSource {
	if st.source != nil {
		return st.source(ctx)
	}
	return pgx.CopyFromSlice(st.count, func(i int) ([]any, error) {
		// COPY runs as long as rows come: stop it as soon as the import is cancelled.
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if l.progress != nil && i > 0 && i%l.every == 0 {
			l.progress(st.legacy, i)
		}
		return st.row(i), nil
	})
}

// load writes every table of p's plan, parents first. The messages are read from file,
// planned and copied in one stream; the conversations, written before them as they are
// predicted to end, are completed after them.
func (l *loader) load(ctx context.Context, p *planner, file *legacyFile, predicted *prediction) error {
	pl := p.out
	for _, st := range l.tables(pl) {
		if st.target == "public.conversations" {
			p.predictConversations(predicted.wait())
		}
		direct, inserted, err := l.copyIn(ctx, st)
		if err != nil {
			return err
		}
		if st.target == "public.conversations" {
			for _, cv := range pl.conversations {
				cv.inserted = direct
			}
			for _, id := range inserted {
				p.convByID[id].inserted = true
			}
		}
	}
	messages, src := l.messages(ctx, p, file)
	_, _, err := l.copyIn(ctx, messages)
	src.stop()
	if err != nil {
		// When reading the file failed (e.g. a row over the limits), that error ended
		// the COPY: return it rather than PostgreSQL's echo of its text ("COPY from stdin
		// failed: ..."), which callers cannot match with errors.Is.
		if readErr := src.Err(); readErr != nil {
			return fmt.Errorf("copy %s: %w", messages.target, readErr)
		}
		return err
	}
	p.finishConversations()
	if err := l.completeConversations(ctx, pl); err != nil {
		return err
	}
	// A pending invitation of an imported email can never be accepted now (the account
	// exists): record it as accepted by the imported user. The users are read first:
	// Citus updates a reference table from values, not from a temporary table.
	rows, err := l.tx.Query(ctx, `select id, email from import_auth_users
		where raw_app_meta_data ->> 'tenant_id' = $1::uuid::text`, l.tenantID)
	if err != nil {
		return fmt.Errorf("accept invitations: %w", err)
	}
	var ids []uuid.UUID
	var emails []string
	var id uuid.UUID
	var email string
	if _, err := pgx.ForEachRow(rows, []any{&id, &email}, func() error {
		ids, emails = append(ids, id), append(emails, email)
		return nil
	}); err != nil {
		return fmt.Errorf("accept invitations: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `
		update public.invitations i set accepted_at = now(), accepted_user_id = u.id
		from unnest($2::uuid[], $3::text[]) u(id, email)
		where i.tenant_id = $1 and i.email = u.email and i.accepted_at is null and i.revoked_at is null`,
		l.tenantID, ids, emails); err != nil {
		return fmt.Errorf("accept invitations: %w", err)
	}
	if err := l.checkAIConfig(ctx, pl); err != nil {
		return err
	}
	return l.checkSettings(ctx, pl)
}

// messages is the messages' table: streamed from file through the planner into COPY,
// so that the server inserts while the file is read and planned. A message that a later
// copy of the same delivery changed is fixed once they are all copied (before they move
// in from staging). The source's reader must be stopped once the COPY is over, however
// it ended.
func (l *loader) messages(ctx context.Context, p *planner, file *legacyFile) (stagedTable, *messageSource) {
	src := &messageSource{ctx: ctx, p: p, file: file, tenant: pgUUID(l.tenantID), progress: l.progress, every: l.every}
	return stagedTable{
		legacy: "messages", target: "public.messages",
		columns: []string{"tenant_id", "id", "conversation_id", "channel", "direction", "sender_type", "sender_user_id",
			"content", "media", "status", "external_id", "created_at"},
		source: func(context.Context) pgx.CopyFromSource { return src },
		copied: func(ctx context.Context, table string) error { return l.fixMessages(ctx, table, p.out.messageFixes) },
	}, src
}

// messageSource reads the messages from the file (in a goroutine), plans each one and
// hands the ones to write to COPY: the file is read and planned while the server
// inserts.
type messageSource struct {
	ctx      context.Context
	p        *planner
	file     *legacyFile
	tenant   pgtype.UUID
	progress func(table string, rows int)
	every    int

	started bool
	cancel  context.CancelFunc
	batches chan []row
	readErr error // set before batches is closed
	batch   []row
	m       messageRow
	values  []any
	written int
	err     error
}

// start runs the reader. It stops, and closes batches, once the file is read, on a
// read error, or when the COPY ends first (stop).
func (s *messageSource) start() {
	s.started = true
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(s.ctx)
	s.batches = make(chan []row, 16)
	go func() {
		s.readErr = s.file.streamMessages(ctx, s.batches)
		close(s.batches)
	}()
}

// stop ends the reader, if it runs, and waits for it.
func (s *messageSource) stop() {
	if !s.started {
		return
	}
	s.cancel()
	for range s.batches {
	}
}

func (s *messageSource) Next() bool {
	if !s.started {
		s.start()
	}
	for {
		for len(s.batch) > 0 {
			r := s.batch[0]
			s.batch = s.batch[1:]
			if !s.p.planMessage(r, &s.m) {
				continue
			}
			if s.progress != nil && s.written > 0 && s.written%s.every == 0 {
				s.progress("messages", s.written)
			}
			// COPY runs as long as rows come: stop it as soon as the import is
			// cancelled, before another row goes out.
			if err := s.ctx.Err(); err != nil {
				return s.fail(err)
			}
			s.written++
			return true
		}
		batch, ok := <-s.batches
		if !ok {
			s.cancel()
			if err := s.ctx.Err(); err != nil {
				return s.fail(err)
			}
			s.err = s.readErr
			return false
		}
		s.batch = batch
	}
}

func (s *messageSource) fail(err error) bool {
	s.err = err
	s.stop()
	return false
}

func (s *messageSource) Values() ([]any, error) {
	m := &s.m
	s.values = append(s.values[:0], s.tenant, pgUUID(m.id), pgUUID(m.conversation.id), m.conversation.channel, m.direction, m.senderType,
		optUUID(m.senderUserID), optText(m.content), jsonOrNull(m.media), m.status, optText(m.externalID), m.createdAt)
	return s.values, nil
}

func (s *messageSource) Err() error { return s.err }

// fixMessages writes into table what later copies of a delivery changed in messages
// already copied: the status they advanced to, and the content and media they filled.
func (l *loader) fixMessages(ctx context.Context, table string, fixes []*messageFix) error {
	if len(fixes) == 0 {
		return nil
	}
	ids := make([]pgtype.UUID, len(fixes))
	statuses := make([]string, len(fixes))
	contents := make([]*string, len(fixes))
	media := make([]*string, len(fixes))
	for i, f := range fixes {
		ids[i], statuses[i], contents[i] = pgUUID(f.id), f.status, f.content
		if f.media != nil {
			doc := string(f.media)
			media[i] = &doc
		}
	}
	query := fmt.Sprintf(`
		update %s m set status = f.status::public.message_status,
			content = coalesce(f.content, m.content), media = coalesce(f.media::jsonb, m.media)
		from unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) as f (id, status, content, media)
		where m.tenant_id = $1 and m.id = f.id`, table)
	if _, err := l.tx.Exec(ctx, query, l.tenantID, ids, statuses, contents, media); err != nil {
		return fmt.Errorf("merge repeated deliveries into public.messages: %w", err)
	}
	return nil
}

// completeConversations corrects the conversations this import inserted where they
// were not written as they end (predictConversations): last_message_at (and
// updated_at), unread_count and status. The conversations that close go first, so that
// one contact and channel never has two open ones.
func (l *loader) completeConversations(ctx context.Context, pl *plan) error {
	var closing, others []*conversationRow
	for _, cv := range pl.conversations {
		switch {
		case !cv.inserted || cv.completed():
		case cv.status == "closed" && cv.written.status != "closed":
			closing = append(closing, cv)
		default:
			others = append(others, cv)
		}
	}
	for _, convs := range [][]*conversationRow{closing, others} {
		if len(convs) == 0 {
			continue
		}
		ids, statuses := make([]pgtype.UUID, len(convs)), make([]string, len(convs))
		lasts, unread := make([]time.Time, len(convs)), make([]int32, len(convs))
		for i, cv := range convs {
			ids[i], statuses[i], lasts[i], unread[i] = pgUUID(cv.id), cv.status, cv.lastMessageAt, cv.unreadCount
		}
		if _, err := l.tx.Exec(ctx, `
			update public.conversations c set status = f.status::public.conversation_status,
				last_message_at = f.last_message_at, updated_at = f.last_message_at, unread_count = f.unread_count
			from unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::int4[]) as f (id, status, last_message_at, unread_count)
			where c.tenant_id = $1 and c.id = f.id`, l.tenantID, ids, statuses, lasts, unread); err != nil {
			return fmt.Errorf("complete public.conversations: %w", err)
		}
	}
	return nil
}

// prediction runs predictTallies in the background.
type prediction struct {
	done    chan struct{}
	cancel  context.CancelFunc
	tallies map[int64]*tally
}

func startPrediction(ctx context.Context, file *legacyFile, loc *time.Location) *prediction {
	ctx, cancel := context.WithCancel(ctx)
	pr := &prediction{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(pr.done)
		tallies, err := predictTallies(ctx, file, loc)
		if err == nil { // else no prediction: the messages themselves will say
			pr.tallies = tallies
		}
	}()
	return pr
}

// wait returns the tallies, nil if the prediction failed.
func (pr *prediction) wait() map[int64]*tally {
	<-pr.done
	return pr.tallies
}

// stop ends the prediction if it still runs.
func (pr *prediction) stop() {
	pr.cancel()
	<-pr.done
}

// pgUUID, optUUID and optText hand pgx the types it encodes without reflection, which
// counts at a million rows.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func optUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgUUID(*id)
}

func optText(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

// jsonOrNull passes a JSON document to pgx, or SQL NULL for none.
func jsonOrNull(doc json.RawMessage) any {
	if doc == nil {
		return nil
	}
	return doc
}

// tables lists what load writes before the messages, in dependency order. Nothing but
// the messages depends on the conversations, which go last: they wait for the
// prediction of how their messages end (predictConversations).
func (l *loader) tables(pl *plan) []stagedTable {
	tenant := pgUUID(l.tenantID)
	return []stagedTable{
		{
			legacy: "users", target: "auth.users", count: len(pl.users),
			// Shaped as Supabase Auth writes a confirmed email user. The token columns are
			// '' rather than NULL: Supabase Auth cannot read NULL there.
			columns: []string{"instance_id", "id", "aud", "role", "email", "encrypted_password", "email_confirmed_at",
				"confirmation_token", "recovery_token", "email_change_token_new", "email_change",
				"raw_app_meta_data", "raw_user_meta_data", "is_super_admin", "created_at", "updated_at",
				"banned_until", "is_sso_user", "is_anonymous"},
			row: func(i int) []any {
				u := pl.users[i]
				return []any{pgUUID(uuid.Nil), pgUUID(u.id), "authenticated", "authenticated", u.email, u.passwordHash, u.createdAt,
					"", "", "", "", appMetadata(l.tenantID, u.role), userMetadata(u.fullName), false, u.createdAt, u.createdAt,
					u.bannedUntil, false, false}
			},
			// auth.users has no tenant_id: the tenant is in the app metadata. The
			// on_auth_user_created trigger creates each profile in the tenant.
			insert: `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
					confirmation_token, recovery_token, email_change_token_new, email_change,
					raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
					banned_until, is_sso_user, is_anonymous)
				select instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
					confirmation_token, recovery_token, email_change_token_new, email_change,
					raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
					banned_until, is_sso_user, is_anonymous
				from import_auth_users where raw_app_meta_data ->> 'tenant_id' = $1::text
				on conflict (id) do nothing`,
		},
		{
			legacy: "users", target: "auth.identities", count: len(pl.users),
			// As Supabase Auth writes an email identity: provider_id is the user id.
			columns: []string{"id", "provider_id", "user_id", "identity_data", "provider", "created_at", "updated_at"},
			row: func(i int) []any {
				u := pl.users[i]
				return []any{pgUUID(u.identityID), u.id.String(), pgUUID(u.id), identityData(u), "email", u.createdAt, u.createdAt}
			},
			insert: `insert into auth.identities (id, provider_id, user_id, identity_data, provider, created_at, updated_at)
				select s.id, s.provider_id, s.user_id, s.identity_data, s.provider, s.created_at, s.updated_at
				from import_auth_identities s
				join auth.users u on u.id = s.user_id and u.raw_app_meta_data ->> 'tenant_id' = $1::text
				on conflict do nothing`,
		},
		{
			legacy: "contacts", target: "public.contacts", count: len(pl.contacts),
			columns: []string{"tenant_id", "id", "name", "phone", "email", "tags", "custom_fields", "created_at", "updated_at"},
			row: func(i int) []any {
				c := pl.contacts[i]
				return []any{tenant, pgUUID(c.id), optText(c.name), optText(c.phone), optText(c.email), c.tags, c.customFields, c.createdAt, c.updatedAt}
			},
		},
		{
			legacy: "leads_pipeline", target: "public.leads_pipeline", count: len(pl.leads),
			columns: []string{"tenant_id", "id", "contact_id", "stage", "value", "owner_user_id", "position", "notes", "created_at", "updated_at"},
			row: func(i int) []any {
				ld := pl.leads[i]
				return []any{tenant, pgUUID(ld.id), optUUID(ld.contactID), ld.stage, ld.value, optUUID(ld.ownerUserID), ld.position, optText(ld.notes), ld.createdAt, ld.updatedAt}
			},
		},
		{
			legacy: "campaigns", target: "public.campaigns", count: len(pl.campaigns),
			columns: []string{"tenant_id", "id", "name", "channel", "status", "message_template", "audience_filter",
				"scheduled_at", "started_at", "completed_at", "created_at", "updated_at"},
			row: func(i int) []any {
				c := pl.campaigns[i]
				return []any{tenant, pgUUID(c.id), c.name, c.channel, c.status, optText(c.messageTemplate), c.audienceFilter,
					c.scheduledAt, c.startedAt, c.completedAt, c.createdAt, c.createdAt}
			},
		},
		{
			legacy: "campaign_events", target: "public.campaign_events", count: len(pl.events),
			columns: []string{"tenant_id", "id", "campaign_id", "contact_id", "event_type", "occurred_at", "metadata"},
			row: func(i int) []any {
				e := pl.events[i]
				return []any{tenant, pgUUID(e.id), pgUUID(e.campaignID), pgUUID(e.contactID), e.eventType, e.occurredAt, e.metadata}
			},
		},
		{
			legacy: "ai_config", target: "public.ai_config", count: countOf(pl.aiConfig != nil),
			columns: []string{"tenant_id", "enabled", "model", "system_prompt", "temperature", "business_hours", "updated_at"},
			row: func(int) []any {
				c := pl.aiConfig
				return []any{tenant, c.enabled, c.model, c.systemPrompt, c.temperature, c.businessHours, c.updatedAt}
			},
			// The tenant has one configuration. The legacy one replaces a configuration
			// nobody has touched (the defaults tenant setup seeds); checkAIConfig reports
			// when the tenant's own was kept instead.
			insert: `insert into public.ai_config (tenant_id, enabled, model, system_prompt, temperature, business_hours, updated_at)
				select tenant_id, enabled, model, system_prompt, temperature, business_hours, updated_at
				from import_public_ai_config where tenant_id = $1
				on conflict (tenant_id) do update set enabled = excluded.enabled, model = excluded.model,
					system_prompt = excluded.system_prompt, temperature = excluded.temperature,
					business_hours = excluded.business_hours, updated_at = excluded.updated_at
				where ai_config.enabled and ai_config.model = 'default' and ai_config.system_prompt = ''
					and ai_config.temperature = 0.3::real and ai_config.business_hours = '{}' and ai_config.handoff_rules = '{}'`,
		},
		{
			legacy: "knowledge_documents", target: "public.knowledge_documents", count: len(pl.knowledge),
			columns: []string{"tenant_id", "id", "title", "content", "source_url", "tags", "created_at", "updated_at"},
			row: func(i int) []any {
				d := pl.knowledge[i]
				return []any{tenant, pgUUID(d.id), d.title, d.content, optText(d.sourceURL), d.tags, d.createdAt, d.updatedAt}
			},
		},
		{
			legacy: "system_settings", target: "public.system_settings", count: len(pl.settings),
			columns: []string{"tenant_id", "key", "value", "updated_at"},
			row: func(i int) []any {
				s := pl.settings[i]
				return []any{tenant, s.key, s.value, s.updatedAt}
			},
			// A setting the tenant already has is kept (checkSettings reports it), but
			// for a default that nobody touched since the tenant was created (its
			// updated_at is still the tenant's created_at), which goes first: Citus runs
			// no subquery in a conflict clause.
			copied: func(ctx context.Context, table string) error {
				_, err := l.tx.Exec(ctx, `delete from public.system_settings s using public.tenants t
					where s.tenant_id = $1 and t.id = $1 and s.updated_at = t.created_at
						and s.key in (select i.key from `+table+` i)`, l.tenantID)
				if err != nil {
					return fmt.Errorf("replace untouched default settings: %w", err)
				}
				return nil
			},
			insert: `insert into public.system_settings (tenant_id, key, value, updated_at)
				select tenant_id, key, value, updated_at from import_public_system_settings where tenant_id = $1
				on conflict (tenant_id, key) do nothing`,
		},
		{
			// As far as it is known before the messages: see writtenConversation.
			legacy: "conversations", target: "public.conversations", count: len(pl.conversations),
			columns: []string{"tenant_id", "id", "contact_id", "channel", "status", "assigned_user_id", "ai_enabled",
				"last_message_at", "unread_count", "created_at", "updated_at"},
			row: func(i int) []any {
				c := pl.conversations[i]
				return []any{tenant, pgUUID(c.id), optUUID(c.contactID), c.channel, c.written.status, optUUID(c.assignedUserID), c.aiEnabled,
					c.written.lastMessageAt, c.written.unreadCount, c.createdAt, c.written.lastMessageAt}
			},
			returnIDs: true,
		},
	}
}

func countOf(present bool) int {
	if present {
		return 1
	}
	return 0
}

// checkAIConfig rejects the legacy configuration when the tenant kept its own.
func (l *loader) checkAIConfig(ctx context.Context, pl *plan) error {
	if pl.aiConfig == nil {
		return nil
	}
	var kept bool
	err := l.tx.QueryRow(ctx, `
		select (a.enabled, a.model, a.system_prompt, a.temperature, a.business_hours)
			is distinct from (s.enabled, s.model, s.system_prompt, s.temperature, s.business_hours)
		from public.ai_config a join import_public_ai_config s on s.tenant_id = a.tenant_id
		where a.tenant_id = $1`, l.tenantID).Scan(&kept)
	if err != nil {
		return fmt.Errorf("check ai_config: %w", err)
	}
	if kept {
		pl.report.Table(aiConfigTable.name).rejectImported(pl.aiConfig.r, "the tenant already has its own AI configuration: kept")
	}
	return nil
}

// checkSettings rejects the legacy settings whose key the tenant already has with
// another value.
func (l *loader) checkSettings(ctx context.Context, pl *plan) error {
	rows, err := l.tx.Query(ctx, `
		select s.key from import_public_system_settings s
		join public.system_settings t on t.tenant_id = s.tenant_id and t.key = s.key
		where s.tenant_id = $1 and t.value <> s.value`, l.tenantID)
	if err != nil {
		return fmt.Errorf("check system_settings: %w", err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check system_settings: %w", err)
	}
	tr := pl.report.Table(settingsTable.name)
	for _, key := range kept {
		for _, s := range pl.settings {
			if s.key == key {
				tr.rejectImported(s.r, fmt.Sprintf("the tenant already has setting %q with another value: kept", key))
			}
		}
	}
	return nil
}

func appMetadata(tenantID uuid.UUID, role string) json.RawMessage {
	doc, _ := json.Marshal(map[string]any{
		"provider": "email", "providers": []string{"email"},
		// Read by the on_auth_user_created trigger: the profile's tenant and role.
		"tenant_id": tenantID, "tenant_role": role,
	})
	return doc
}

func userMetadata(fullName *string) json.RawMessage {
	if fullName == nil {
		return json.RawMessage(`{}`)
	}
	doc, _ := json.Marshal(map[string]string{"full_name": *fullName})
	return doc
}

func identityData(u userRow) json.RawMessage {
	doc, _ := json.Marshal(map[string]any{
		"sub": u.id.String(), "email": u.email, "email_verified": true, "phone_verified": false,
	})
	return doc
}

// existingAccounts finds the auth users that already have one of emails, with their
// profile's tenant.
func existingAccounts(ctx context.Context, tx pgx.Tx, emails []string) (map[string]account, error) {
	rows, err := tx.Query(ctx, `
		select lower(u.email), u.id, p.tenant_id
		from auth.users u left join public.users p on p.id = u.id
		where lower(u.email) = any($1)`, emails)
	if err != nil {
		return nil, fmt.Errorf("find existing accounts: %w", err)
	}
	defer rows.Close()
	accounts := map[string]account{}
	for rows.Next() {
		var email string
		var a account
		if err := rows.Scan(&email, &a.id, &a.tenantID); err != nil {
			return nil, fmt.Errorf("find existing accounts: %w", err)
		}
		accounts[email] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find existing accounts: %w", err)
	}
	return accounts, nil
}

// importTime is the transaction's start: the fallback for missing timestamps.
func importTime(ctx context.Context, tx pgx.Tx) (time.Time, error) {
	var now time.Time
	if err := tx.QueryRow(ctx, "select now()").Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("read the time: %w", err)
	}
	return now.UTC(), nil
}
