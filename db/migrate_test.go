package db_test

import (
	"context"
	_ "embed"
	"slices"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
)

//go:embed testdata/supabase_auth.sql
var supabaseAuthSchema string

// TestMigrationsUpDownUp applies every migration to an empty database, rolls all of them
// back, and applies them again.
func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	databaseURL := dbtest.Empty(t)
	ctx := context.Background()
	migrator := newTestMigrator(t, databaseURL)
	pool := openTestPool(t, databaseURL)

	up := func() {
		t.Helper()
		if _, err := migrator.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if got := catalogueRows(t, pool, "select relname::text from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition"); len(got) < 12 {
			t.Fatalf("after up: public tables %v", got)
		}
	}
	up()
	if _, err := migrator.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	leftovers := catalogueRows(t, pool, `
		select 'table ' || relname from pg_class where relnamespace = 'public'::regnamespace
		union all select 'type ' || typname from pg_type where typnamespace = 'public'::regnamespace
		union all select 'function ' || proname from pg_proc where pronamespace = 'public'::regnamespace
		union all select 'schema ' || nspname from pg_namespace where nspname in ('private', 'auth')`)
	if len(leftovers) > 0 {
		t.Fatalf("left after down to 0: %v", leftovers)
	}
	up()
}

// TestMigrationsOnSupabaseAuth runs the migrations where Supabase Auth's schema already
// exists, as on a Supabase project: the auth objects are left exactly as they were,
// signups still create profiles, and rolling back leaves Supabase's auth schema in place.
func TestMigrationsOnSupabaseAuth(t *testing.T) {
	t.Parallel()
	databaseURL := dbtest.Empty(t)
	ctx := context.Background()
	pool := openTestPool(t, databaseURL)
	if _, err := pool.Exec(ctx, supabaseAuthSchema); err != nil {
		t.Fatalf("create Supabase auth schema: %v", err)
	}
	authObjects := `
		select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '')
			from information_schema.columns where table_schema = 'auth'
		union all select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'auth'
		union all select 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = 'auth'::regnamespace
		union all select 'function ' || p.oid::regprocedure || ' ' || pg_get_functiondef(p.oid) from pg_proc p where pronamespace = 'auth'::regnamespace
		union all select 'comment ' || c.relname || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '') from pg_class c where relnamespace = 'auth'::regnamespace
		order by 1`
	before := catalogueRows(t, pool, authObjects)

	migrator := newTestMigrator(t, databaseURL)
	if _, err := migrator.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	if after := catalogueRows(t, pool, authObjects); !slices.Equal(before, after) {
		t.Fatalf("migrations changed Supabase's auth schema:\nbefore %v\nafter  %v", before, after)
	}

	var tenantID, profileTenant string
	if err := pool.QueryRow(ctx, "insert into tenants (name, slug) values ('Clínica', 'clinica') returning id").Scan(&tenantID); err != nil {
		t.Fatal(err)
	}
	err := pool.QueryRow(ctx, `
		with signup as (
			insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
			values (gen_random_uuid(), 'authenticated', 'authenticated', 'ana@clinica.example',
				jsonb_build_object('provider', 'email', 'tenant_id', $1::uuid), '{}', now(), now())
			returning id
		)
		select id::text from signup`, tenantID).Scan(new(string))
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	if err := pool.QueryRow(ctx, "select tenant_id::text from public.users where email = 'ana@clinica.example'").Scan(&profileTenant); err != nil || profileTenant != tenantID {
		t.Fatalf("profile tenant = %q (%v), want %s", profileTenant, err, tenantID)
	}

	if _, err := migrator.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	if after := catalogueRows(t, pool, authObjects); !slices.Equal(before, after) {
		t.Fatalf("rolling back changed Supabase's auth schema:\nbefore %v\nafter  %v", before, after)
	}
}

func newTestMigrator(t *testing.T, databaseURL string) *goose.Provider {
	t.Helper()
	sqlDB, err := db.OpenAdmin(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	migrator, err := db.NewMigrator(context.Background(), sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	return migrator
}

func openTestPool(t *testing.T, databaseURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.OpenPool(context.Background(), databaseURL, db.PoolSettings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestQueuedRepliesFailAtTheDeliveryMigration: the replies stored before delivery existed
// (and V1.5's queued messages imported then) were never sent and no job will send them:
// migration 00031 marks them failed with the reason, and leaves every other message as
// it was.
func TestQueuedRepliesFailAtTheDeliveryMigration(t *testing.T) {
	t.Parallel()
	databaseURL := dbtest.Empty(t)
	ctx := context.Background()
	migrator := newTestMigrator(t, databaseURL)
	if _, err := migrator.UpTo(ctx, 30); err != nil {
		t.Fatalf("up to 30: %v", err)
	}
	pool := openTestPool(t, databaseURL)
	if _, err := pool.Exec(ctx, `
		insert into tenants (id, name, slug) values ('00000000-0000-0000-0000-00000000000a', 'Clínica', 'clinica');
		insert into contacts (tenant_id, id, name, phone)
		values ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000c', 'Paciente', '+5511987654321');
		insert into conversations (tenant_id, id, contact_id, channel)
		values ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000c0', '00000000-0000-0000-0000-00000000000c', 'whatsapp');
		insert into messages (tenant_id, id, conversation_id, channel, direction, sender_type, content, status)
		select '00000000-0000-0000-0000-00000000000a', m.id, '00000000-0000-0000-0000-0000000000c0', 'whatsapp', m.direction::message_direction,
			case when m.direction = 'inbound' then 'contact' else 'ai' end::sender_type, 'texto', m.status::message_status
		from (values ('00000000-0000-0000-0000-000000000001'::uuid, 'outbound', 'queued'),
			('00000000-0000-0000-0000-000000000002'::uuid, 'outbound', 'delivered'),
			('00000000-0000-0000-0000-000000000003'::uuid, 'inbound', 'delivered')) as m (id, direction, status)`); err != nil {
		t.Fatalf("seed at version 30: %v", err)
	}
	if _, err := migrator.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	got := catalogueRows(t, pool, "select right(id::text, 1) || ' ' || status || ' ' || coalesce(status_reason, '-') from messages order by id")
	want := []string{"1 failed not sent before migration", "2 delivered -", "3 delivered -"}
	if !slices.Equal(got, want) {
		t.Fatalf("after 00031: %v, want %v", got, want)
	}
}
