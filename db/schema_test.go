package db_test

import (
	"context"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

// schemaRules are the schema rules of SPEC 3 and 8, read from pg_catalog. Each is a query
// listing the objects that break it, so a new table, index, key or policy is checked
// without anyone editing the rules.
var schemaRules = []struct{ name, query string }{
	{"RLS enabled on every public table and partition", `
			select relname::text from pg_class
			where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity`},
	{"policies on every public table", `
			select c.relname::text from pg_class c
			where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
				and not exists (select from pg_policy p where p.polrelid = c.oid)`},
	{"partitions reachable only through their parent", `
			select relname::text from pg_class
			where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and relispartition
				and (has_table_privilege('authenticated', oid, 'select, insert, update, delete, truncate')
					or has_table_privilege('anon', oid, 'select, insert, update, delete, truncate'))`},
	{"anon has no table privileges (tenant data is never public)", `
			select relname::text from pg_class
			where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v')
				and has_table_privilege('anon', oid, 'select, insert, update, delete, truncate, references, trigger')`},
	{"authenticated cannot truncate (TRUNCATE bypasses RLS)", `
			select relname::text from pg_class
			where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')
				and has_table_privilege('authenticated', oid, 'truncate')`},
	{"policies are TO authenticated with USING and WITH CHECK as their command needs", `
			select c.relname || '.' || p.polname from pg_policy p join pg_class c on c.oid = p.polrelid
			where c.relnamespace = 'public'::regnamespace
				and (p.polroles <> array['authenticated'::regrole::oid]
					or (p.polcmd in ('r', 'w', 'd', '*') and p.polqual is null)
					or (p.polcmd in ('a', 'w', '*') and p.polwithcheck is null))`},
	// A helper of the row (private.invites_caller(id)) cannot run once per statement;
	// it is inlined SQL instead (00042).
	{"policies call helpers wrapped as (select ...), or of a column, and never read user metadata", `
			select c.relname || '.' || p.polname from pg_policy p join pg_class c on c.oid = p.polrelid,
				lateral (select coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' ||
					coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as expr) e
			where c.relnamespace = 'public'::regnamespace
				and (regexp_replace(e.expr, '\( SELECT (private|auth)\.\w+\(\) AS \w+\)|private\.\w+\(\w+\)', '', 'g') ~ '(private|auth)\.'
					or e.expr ~* 'user_metadata')`},
	// Except the policies' inlined helpers (migrations 00032, 00042): plain SQL, which a
	// pinned search_path would stop PostgreSQL inlining; they run with the caller's rights
	// and qualify every name.
	{"helpers in private pin search_path, or are inlined SQL with the caller's rights, and are not callable by anon or public", `
			select p.proname::text from pg_proc p
			where p.pronamespace = 'private'::regnamespace
				and ((not coalesce(p.proconfig @> array['search_path=""'], false)
						and not (p.prolang = (select oid from pg_language where lanname = 'sql') and not p.prosecdef
							and p.proconfig is null))
					or has_function_privilege('anon', p.oid, 'execute')
					or exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
						where a.grantee = 0 and a.privilege_type = 'EXECUTE'))`},
	{"helpers used by policies are STABLE, SECURITY DEFINER or inlined SQL", `
			select distinct p.proname::text from pg_proc p, pg_policy pol
			where p.pronamespace = 'private'::regnamespace
				and coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') like '%private.' || p.proname || '(%'
				and not (p.provolatile = 's' and (p.prosecdef
					or (p.prolang = (select oid from pg_language where lanname = 'sql') and p.proconfig is null)))`},
	// users' primary key is id = auth.users.id, unique across tenants by construction
	// (tenant_id is null until onboarding); users_tenant_id_id_key is what the
	// composite foreign keys reference. channel_accounts_phone_number_id_key: Meta's
	// webhook names only the phone number, so a number is one tenant's platform-wide and
	// is looked up before the tenant is known.
	{"every primary key and unique index of a tenant table includes tenant_id", `
			select i.indexrelid::regclass::text from pg_index i join pg_class c on c.oid = i.indrelid
			where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
				and c.relname <> 'tenants' and i.indisunique
				and i.indexrelid not in ('public.users_pkey'::regclass, 'public.channel_accounts_phone_number_id_key'::regclass)
				and not exists (select from pg_attribute a
					where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum = any(i.indkey))`},
	{"every foreign key between tenant tables is composite on tenant_id", `
			select k.conname::text from pg_constraint k
				join pg_class c on c.oid = k.conrelid
				join pg_class f on f.oid = k.confrelid
			where k.contype = 'f' and k.conparentid = 0
				and c.relnamespace = 'public'::regnamespace and f.relnamespace = 'public'::regnamespace
				and not exists (
					select from unnest(k.conkey, k.confkey) as u(col, ref)
						join pg_attribute x on x.attrelid = k.conrelid and x.attnum = u.col
						join pg_attribute y on y.attrelid = k.confrelid and y.attnum = u.ref
					where x.attname = 'tenant_id' and y.attname = case when f.relname = 'tenants' then 'id' else 'tenant_id' end)`},
	// invitations_email_pending_idx serves the signup trigger, which looks up an
	// invitation by email precisely because it does not know the tenant yet; so does
	// channel_accounts_phone_number_id_key for Meta's webhook.
	{"every index of a tenant table leads with tenant_id", `
			select i.indexrelid::regclass::text from pg_index i join pg_class c on c.oid = i.indrelid
			where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
				and c.relname <> 'tenants'
				and i.indexrelid not in ('public.users_pkey'::regclass, 'public.invitations_email_pending_idx'::regclass,
					'public.channel_accounts_phone_number_id_key'::regclass)
				and (select attname from pg_attribute where attrelid = c.oid and attnum = i.indkey[0]) is distinct from 'tenant_id'`},
	{"views run with the caller's rights", `
			select relname::text from pg_class
			where relnamespace = 'public'::regnamespace and relkind = 'v'
				and not coalesce(reloptions @> array['security_invoker=true'], false)`},
	{"the delivery-tracking tables are hash-partitioned by tenant_id", `
			select t from unnest(array['messages', 'campaign_events']) t
			where not exists (select from pg_partitioned_table p join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
				where p.partrelid = ('public.' || t)::regclass and p.partstrat = 'h' and a.attname = 'tenant_id')`},
}

func TestSchemaRules(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tenantTables(t, d.Admin) // fails when a public table has no tenant column
	for _, rule := range schemaRules {
		t.Run(rule.name, func(t *testing.T) {
			for _, v := range catalogueRows(t, d.Admin, rule.query) {
				t.Errorf("breaks the rule: %s", v)
			}
		})
	}
}

// TestSchemaRulesCatchViolations breaks every rule on purpose and checks that the rule
// names the offender, so that the rules cannot pass vacuously.
func TestSchemaRulesCatchViolations(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	_, err := d.Admin.Exec(context.Background(), `
		create table public.careless (tenant_id uuid not null, id uuid not null, code text, user_id uuid,
			primary key (id), unique (code), foreign key (user_id) references public.users (id));
		create index careless_code_idx on public.careless (code);
		grant all on public.careless to anon, authenticated;
		grant select on public.messages_p0 to authenticated;
		create table public.sloppy (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
		alter table public.sloppy enable row level security;
		create function private.sloppy_tenant() returns uuid language sql volatile as 'select null::uuid';
		grant execute on function private.sloppy_tenant() to public;
		create policy sloppy_all on public.sloppy for all to public
			using (tenant_id = private.sloppy_tenant() or (auth.jwt() -> 'user_metadata') is not null);
		create view public.careless_view as select * from public.careless;
		alter table public.campaign_events rename to campaign_events_old;
		create table public.campaign_events (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));`)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range schemaRules {
		if len(catalogueRows(t, d.Admin, rule.query)) == 0 {
			t.Errorf("rule %q found nothing wrong in a schema that breaks it", rule.name)
		}
	}
}
