package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Volume is how much data SeedVolume writes: tenants, and rows per tenant or per parent.
type Volume struct {
	Tenants                 int
	UsersPerTenant          int
	ContactsPerTenant       int
	ConversationsPerTenant  int // each with its own contact, so at most ContactsPerTenant
	MessagesPerConversation int
	LeadsPerTenant          int
	CampaignsPerTenant      int
	EventsPerCampaign       int // at most ContactsPerTenant
	DocumentsPerTenant      int
	SettingsPerTenant       int
	InvitationsPerTenant    int
}

// SeedVolume fills the database with Volume's rows, set-based, and analyzes it, so that
// plans and benchmarks see realistic statistics. Tenants are named volume-1, volume-2, ….
func SeedVolume(t testing.TB, d *Database, v Volume) {
	t.Helper()
	statements := []string{
		`insert into tenants (name, slug) select 'Clínica ' || g, 'volume-' || g from generate_series(1, @tenants) g`,
		`insert into tenant_secrets (tenant_id) select id from tenants where slug like 'volume-%'`,
		`insert into ai_config (tenant_id) select id from tenants where slug like 'volume-%'`,
		`insert into channel_accounts (tenant_id, channel, phone_number_id, access_token)
		select id, 'whatsapp', (1000000 + row_number() over ())::text, 'token' from tenants where slug like 'volume-%'`,
		// Signups as Supabase Auth makes them; the trigger creates the profiles.
		`insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
		select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
			'user' || u || '@' || t.slug || '.example',
			jsonb_build_object('tenant_id', t.id, 'tenant_role', case when u = 1 then 'owner' else 'agent' end),
			'{}', now(), now()
		from tenants t, generate_series(1, @users) u where t.slug like 'volume-%'`,
		`insert into contacts (tenant_id, name, phone, email, tags, created_at)
		select t.id, 'Contato ' || c, '+551190' || lpad(c::text, 7, '0'), 'contato' || c || '@example.com',
			case when c % 5 = 0 then '{vip}'::text[] else '{}'::text[] end, now() - c * interval '1 minute'
		from tenants t, generate_series(1, @contacts) c where t.slug like 'volume-%'`,
		`insert into conversations (tenant_id, contact_id, channel, status, last_message_at, created_at)
		select c.tenant_id, c.id, 'whatsapp', (array['open', 'pending', 'closed'])[1 + c.n % 3]::conversation_status,
			now() - c.n * interval '1 minute', now() - c.n * interval '1 hour'
		from (select tenant_id, id, row_number() over (partition by tenant_id order by id) as n from contacts) c
		where c.n <= @conversations`,
		`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, status, external_id, created_at)
		select v.tenant_id, v.id, v.channel,
			case when m % 2 = 0 then 'inbound' else 'outbound' end::message_direction,
			case when m % 2 = 0 then 'contact' else 'user' end::sender_type,
			'Mensagem ' || m || ' sobre o agendamento', 'delivered', 'wamid.' || v.id || '.' || m,
			v.created_at + m * interval '1 second'
		from conversations v, generate_series(1, @messages) m`,
		`insert into leads_pipeline (tenant_id, contact_id, stage, value, position)
		select c.tenant_id, c.id, (enum_range(null::lead_stage))[1 + c.n % 6], c.n * 10, c.n / 6
		from (select tenant_id, id, row_number() over (partition by tenant_id order by id) as n from contacts) c
		where c.n <= @leads`,
		`insert into campaigns (tenant_id, name, status) select t.id, 'Campanha ' || k, 'running'
		from tenants t, generate_series(1, @campaigns) k where t.slug like 'volume-%'`,
		`insert into campaign_events (tenant_id, campaign_id, contact_id, event_type)
		select k.tenant_id, k.id, c.id, 'queued'
		from campaigns k
		join (select tenant_id, id, row_number() over (partition by tenant_id order by id) as n from contacts) c
			on c.tenant_id = k.tenant_id and c.n <= @events`,
		`insert into knowledge_documents (tenant_id, title, content)
		select t.id, 'Documento ' || k || ': ' || (array['Implantes', 'Clareamento', 'Ortodontia', 'Horários'])[1 + k % 4],
			repeat('Atendemos de segunda a sexta com agendamento prévio e garantia. ', 20)
		from tenants t, generate_series(1, @documents) k where t.slug like 'volume-%'`,
		`insert into system_settings (tenant_id, key, value) select t.id, 'setting.' || k, to_jsonb(k)
		from tenants t, generate_series(1, @settings) k where t.slug like 'volume-%'`,
		`insert into invitations (tenant_id, email) select t.id, 'convite' || k || '@' || t.slug || '.example'
		from tenants t, generate_series(1, @invitations) k where t.slug like 'volume-%'`,
		`analyze`,
	}
	args := pgx.NamedArgs{
		"tenants": v.Tenants, "users": v.UsersPerTenant, "contacts": v.ContactsPerTenant,
		"conversations": v.ConversationsPerTenant, "messages": v.MessagesPerConversation,
		"leads": v.LeadsPerTenant, "campaigns": v.CampaignsPerTenant, "events": v.EventsPerCampaign,
		"documents": v.DocumentsPerTenant, "settings": v.SettingsPerTenant, "invitations": v.InvitationsPerTenant,
	}
	ctx := context.Background()
	for _, statement := range statements {
		if _, err := d.Admin.Exec(ctx, statement, args); err != nil {
			t.Fatalf("seed volume: %v\n%s", err, statement)
		}
	}
}
