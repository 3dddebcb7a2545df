package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// parityCase is one write a member attempts through SQL as authenticated, as a Supabase
// client (supabase-js, PostgREST) would: refused when the API refuses it to that member
// for their role or for the row's state, done when the API does it — so that each
// table's cases show both sides of its rules and the test can fail.
type parityCase struct {
	name string
	as   string // owner, admin, agent, or invitee (a confirmed user with no tenant)
	// setup runs first, as a superuser, and commits (see dbtest.RunAs): a case with
	// setup gets tenants of its own.
	setup []string
	sql   string
	// refused: the database turns the write down (privilege, policy, check, rule
	// trigger, or no row reachable). Otherwise it must touch at least one row.
	refused bool
}

// parityCases holds, for every table and command granted to authenticated and every
// SECURITY DEFINER function it may call that writes, the writes the API refuses for a
// role or a state, and one it allows. Statements name the fixture with @tenant,
// @other_tenant, @owner, @admin, @agent, @invitee, @contact, @conversation, @campaign,
// @invitation, @agent_email, @invitee_email and @new_contact (the id of a contact that
// only a case's setup creates).
// disconnectWhatsApp removes the seeded tenant's WhatsApp number, so that a case may
// connect one.
const disconnectWhatsApp = `delete from channel_accounts where tenant_id = @tenant`

var parityCases = map[string][]parityCase{
	"tenants/update": {
		{"an agent renames the tenant", "agent", nil, `update tenants set name = 'Tomada' where id = @tenant`, true},
		{"an admin changes the slug directly", "admin", nil, `update tenants set slug = 'outra' where id = @tenant`, true},
		{"an admin claims a custom domain directly", "admin", nil, `update tenants set custom_domain = 'clinica.example' where id = @tenant`, true},
		{"an admin marks a domain verified", "admin", nil, `update tenants set custom_domain_verified_at = now() where id = @tenant`, true},
		{"an admin reactivates or suspends the tenant", "admin", nil, `update tenants set status = 'active' where id = @tenant`, true},
		{"an admin sets a javascript: logo", "admin", nil, `update tenants set logo_url = 'javascript:alert(1)' where id = @tenant`, true},
		{"an admin renames the tenant", "admin", nil, `update tenants set name = 'Clínica Nova', logo_url = 'https://cdn.example/l.png' where id = @tenant`, false},
	},
	"function/tenant_set_address": {
		{"an agent changes the slug", "agent", nil, `select private.tenant_set_address(@tenant, 'outra', false, null)`, true},
		{"an admin takes a reserved slug", "admin", nil, `select private.tenant_set_address(@tenant, 'www', false, null)`, true},
		{"an admin changes another tenant's slug", "admin", nil, `select private.tenant_set_address(@other_tenant, 'outra', false, null)`, true},
		{"an admin changes the slug and domain", "admin", nil,
			`select private.tenant_set_address(@tenant, 'outra', true, 'clinica.example') from tenants
			 where id = @tenant and custom_domain_verified_at is null`, false},
	},
	"function/rotate_webhook_secret": {
		{"an agent rotates the webhook secret", "agent", nil, `select private.rotate_webhook_secret(@tenant)`, true},
		{"an admin rotates another tenant's secret", "admin", nil, `select private.rotate_webhook_secret(@other_tenant)`, true},
		{"an admin rotates the secret", "admin", nil,
			`select private.rotate_webhook_secret(@tenant) from tenant_secrets where tenant_id = @tenant`, false},
	},
	"users/update": {
		{"an admin makes themselves owner", "admin", nil, `update users set role = 'owner' where id = @admin`, true},
		{"an admin makes an agent owner", "admin", nil, `update users set role = 'owner' where id = @agent`, true},
		{"an admin demotes the owner", "admin", nil, `update users set role = 'agent' where id = @owner`, true},
		{"the owner demotes themselves (leaving no owner)", "owner", nil, `update users set role = 'admin' where id = @owner`, true},
		{"an agent makes themselves admin", "agent", nil, `update users set role = 'admin' where id = @agent`, true},
		{"an agent renames a colleague", "agent", nil, `update users set full_name = 'Fulano' where id = @admin`, true},
		{"an admin renames the owner", "admin", nil, `update users set full_name = 'Fulano' where id = @owner`, true},
		{"a member sets a javascript: avatar", "agent", nil, `update users set avatar_url = 'javascript:alert(1)' where id = @agent`, true},
		{"an admin makes an agent admin", "admin", nil, `update users set role = 'admin' where id = @agent`, false},
		{"the owner makes an admin owner", "owner", nil, `update users set role = 'owner' where id = @admin`, false},
		{"an agent renames themselves", "agent", nil, `update users set full_name = 'Eu', avatar_url = 'https://cdn.example/a.png' where id = @agent`, false},
	},
	"users/delete": {
		{"an agent removes a colleague", "agent", nil, `delete from users where id = @admin`, true},
		{"an admin removes the owner", "admin", nil, `delete from users where id = @owner`, true},
		{"an admin removes themselves", "admin", nil, `delete from users where id = @admin`, true},
		{"the owner removes themselves (leaving no owner)", "owner", nil, `delete from users where id = @owner`, true},
		{"an admin removes an agent", "admin", nil, `delete from users where id = @agent`, false},
		{"the owner removes an admin", "owner", nil, `delete from users where id = @admin`, false},
	},
	"invitations/insert": {
		{"an agent invites", "agent", nil, `insert into invitations (tenant_id, email, invited_by_user_id) values (@tenant, 'x@example.com', @agent)`, true},
		{"an admin invites an owner", "admin", nil, `insert into invitations (tenant_id, email, role, invited_by_user_id) values (@tenant, 'x@example.com', 'owner', @admin)`, true},
		{"an admin invites in the owner's name", "admin", nil, `insert into invitations (tenant_id, email, invited_by_user_id) values (@tenant, 'x@example.com', @owner)`, true},
		{"an admin invites a member", "admin", nil, `insert into invitations (tenant_id, email, invited_by_user_id) values (@tenant, @agent_email, @admin)`, true},
		{"an admin invites for a century", "admin", nil,
			`insert into invitations (tenant_id, email, invited_by_user_id, expires_at) values (@tenant, 'x@example.com', @admin, now() + interval '100 years')`, true},
		{"an admin records an acceptance", "admin", nil,
			`insert into invitations (tenant_id, email, invited_by_user_id, accepted_at) values (@tenant, 'x@example.com', @admin, now())`, true},
		{"an admin invites", "admin", nil, `insert into invitations (tenant_id, email, role, invited_by_user_id) values (@tenant, 'x@example.com', 'admin', @admin)`, false},
	},
	"invitations/update": {
		{"an agent revokes", "agent", nil, `update invitations set revoked_at = now() where id = @invitation`, true},
		{"an admin marks an invitation accepted", "admin", nil, `update invitations set accepted_at = now() where id = @invitation`, true},
		{"an admin raises an invitation's role", "admin", nil, `update invitations set role = 'admin' where id = @invitation`, true},
		{"an admin extends an invitation", "admin", nil, `update invitations set expires_at = now() + interval '1 year' where id = @invitation`, true},
		{"an admin revives a revoked invitation", "admin", []string{`update invitations set revoked_at = now() where id = @invitation`},
			`update invitations set revoked_at = null where id = @invitation`, true},
		{"an admin revokes a pending invitation", "admin", nil, `update invitations set revoked_at = now() where id = @invitation`, false},
	},
	"function/accept_invitation": {
		{"a member of a tenant accepts another's invitation", "agent",
			[]string{`insert into invitations (tenant_id, email) values (@other_tenant, @agent_email)`},
			`select private.accept_invitation(id) from invitations where tenant_id = @other_tenant and email = @agent_email`, true},
		{"someone accepts an invitation for another email", "invitee", nil, `select private.accept_invitation(@invitation)`, true},
		{"an unconfirmed account accepts its invitation", "invitee",
			[]string{`update auth.users set email_confirmed_at = null where id = @invitee`},
			`select private.accept_invitation(id) from invitations where email = @invitee_email and tenant_id = @tenant`, true},
		{"a confirmed account with no tenant accepts its invitation", "invitee", nil,
			`select private.accept_invitation(id) from invitations where email = @invitee_email and tenant_id = @tenant`, false},
	},
	"messages/insert": {
		{"an agent forges a message from the contact", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content) values (@tenant, @conversation, 'whatsapp', 'inbound', 'contact', 'Quero cancelar')`, true},
		{"an agent sends as a colleague", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @admin, 'Oi')`, true},
		{"an agent writes as the assistant", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content) values (@tenant, @conversation, 'whatsapp', 'outbound', 'ai', 'Oi')`, true},
		{"an agent writes a reply already read", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, status) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi', 'read')`, true},
		{"an agent writes a provider id", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, external_id) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi', 'wamid.forged')`, true},
		{"an agent backdates a reply", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, created_at) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi', '2020-01-01')`, true},
		{"an agent writes why a reply failed", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, status_reason) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi', 'x')`, true},
		{"an agent files a reply under a campaign", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content, campaign_id) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi', @campaign)`, true},
		{"an agent replies", "agent", nil,
			`insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content) values (@tenant, @conversation, 'whatsapp', 'outbound', 'user', @agent, 'Oi')`, false},
	},
	"channel_accounts/insert": {
		{"an agent connects a WhatsApp number", "agent", []string{disconnectWhatsApp},
			`insert into channel_accounts (tenant_id, channel, phone_number_id, access_token) values (@tenant, 'whatsapp', '123456', 'token')`, true},
		{"an admin connects another tenant's number", "admin", []string{disconnectWhatsApp},
			`insert into channel_accounts (tenant_id, channel, phone_number_id, access_token) values (@other_tenant, 'whatsapp', '123456', 'token')`, true},
		{"an admin connects a WhatsApp number", "admin", []string{disconnectWhatsApp},
			`insert into channel_accounts (tenant_id, channel, phone_number_id, access_token) values (@tenant, 'whatsapp', '123456', 'token')`, false},
	},
	"channel_accounts/update": {
		{"an agent replaces the access token", "agent", nil, `update channel_accounts set access_token = 'mine' where tenant_id = @tenant`, true},
		{"an admin moves the number to another tenant", "admin", nil, `update channel_accounts set tenant_id = @other_tenant where tenant_id = @tenant`, true},
		{"an admin replaces the access token", "admin", nil, `update channel_accounts set access_token = 'new', updated_at = now() where tenant_id = @tenant`, false},
	},
	"channel_accounts/delete": {
		{"an agent disconnects WhatsApp", "agent", nil, `delete from channel_accounts where tenant_id = @tenant`, true},
		{"an admin disconnects WhatsApp", "admin", nil, `delete from channel_accounts where tenant_id = @tenant`, false},
	},
	"campaigns/insert": {
		{"an agent creates a campaign", "agent", nil, `insert into campaigns (tenant_id, name) values (@tenant, 'Promo')`, true},
		{"an admin creates a running campaign", "admin", nil, `insert into campaigns (tenant_id, name, status) values (@tenant, 'Promo', 'running')`, true},
		{"an admin creates a completed campaign", "admin", nil, `insert into campaigns (tenant_id, name, status) values (@tenant, 'Promo', 'completed')`, true},
		{"an admin backdates a campaign's start", "admin", nil, `insert into campaigns (tenant_id, name, started_at) values (@tenant, 'Promo', now())`, true},
		{"an admin creates a draft", "admin", nil, `insert into campaigns (tenant_id, name, status) values (@tenant, 'Promo', 'scheduled')`, false},
	},
	"campaigns/update": {
		{"an agent renames a campaign", "agent", nil, `update campaigns set name = 'X' where id = @campaign`, true},
		{"an admin reopens a completed campaign", "admin", []string{completeCampaign}, `update campaigns set status = 'draft' where id = @campaign`, true},
		{"an admin completes a draft", "admin", nil, `update campaigns set status = 'completed' where id = @campaign`, true},
		{"an admin takes a running campaign back to draft", "admin", []string{runCampaign}, `update campaigns set status = 'draft' where id = @campaign`, true},
		{"an admin rewrites a running campaign's message", "admin", []string{runCampaign}, `update campaigns set message_template = 'Outra' where id = @campaign`, true},
		{"an admin widens a running campaign's audience", "admin", []string{runCampaign}, `update campaigns set audience_filter = '{}' where id = @campaign`, true},
		{"an admin sets when a campaign started", "admin", nil, `update campaigns set started_at = now() where id = @campaign`, true},
		{"an admin schedules a draft", "admin", nil, `update campaigns set status = 'scheduled', scheduled_at = now() + interval '1 day' where id = @campaign`, false},
		{"an admin launches a draft", "admin", nil,
			`update campaigns set status = 'running' where id = @campaign and status = 'draft'`, false},
		{"an admin renames a running campaign", "admin", []string{runCampaign}, `update campaigns set name = 'Promo de verão' where id = @campaign`, false},
	},
	"campaigns/delete": {
		{"an agent deletes a campaign", "agent", nil, `delete from campaigns where id = @campaign`, true},
		{"an admin deletes a campaign", "admin", nil, `delete from campaigns where id = @campaign`, false},
	},
	"campaign_events/insert": {
		{"an agent queues a send", "agent", []string{seedNewContact},
			`insert into campaign_events (tenant_id, campaign_id, contact_id, event_type) values (@tenant, @campaign, @new_contact, 'queued')`, true},
		{"an admin records a delivery", "admin", nil,
			`insert into campaign_events (tenant_id, campaign_id, contact_id, event_type) values (@tenant, @campaign, @contact, 'delivered')`, true},
		{"an admin queues a send", "admin", []string{seedNewContact},
			`insert into campaign_events (tenant_id, campaign_id, contact_id, event_type) values (@tenant, @campaign, @new_contact, 'queued')`, false},
	},
	"ai_config/insert": {
		{"an agent configures the assistant", "agent", []string{`delete from ai_config where tenant_id = @tenant`}, `insert into ai_config (tenant_id) values (@tenant)`, true},
		{"an admin configures the assistant", "admin", []string{`delete from ai_config where tenant_id = @tenant`}, `insert into ai_config (tenant_id) values (@tenant)`, false},
	},
	"ai_config/update": {
		{"an agent changes the prompt", "agent", nil, `update ai_config set system_prompt = 'X' where tenant_id = @tenant`, true},
		{"an admin changes the prompt", "admin", nil, `update ai_config set system_prompt = 'X' where tenant_id = @tenant`, false},
	},
	"system_settings/insert": {
		{"an agent adds a setting", "agent", nil, `insert into system_settings (tenant_id, key, value) values (@tenant, 'x', '1')`, true},
		{"an admin adds a setting", "admin", nil, `insert into system_settings (tenant_id, key, value) values (@tenant, 'x', '1')`, false},
	},
	"system_settings/update": {
		{"an agent changes a setting", "agent", nil, `update system_settings set value = '1' where tenant_id = @tenant`, true},
		{"an admin changes a setting", "admin", nil, `update system_settings set value = '1' where tenant_id = @tenant`, false},
	},
	"system_settings/delete": {
		{"an agent deletes a setting", "agent", nil, `delete from system_settings where tenant_id = @tenant`, true},
		{"an admin deletes a setting", "admin", nil, `delete from system_settings where tenant_id = @tenant`, false},
	},
	// Every member works contacts, leads, conversations and the knowledge base: the API
	// refuses none of these writes for a role or a state.
	"contacts/insert":            {{"an agent adds a contact", "agent", nil, `insert into contacts (tenant_id, name) values (@tenant, 'Nova')`, false}},
	"contacts/update":            {{"an agent edits a contact", "agent", nil, `update contacts set name = 'Maria S.' where id = @contact`, false}},
	"contacts/delete":            {{"an agent deletes a contact", "agent", nil, `delete from contacts where id = @contact`, false}},
	"leads_pipeline/insert":      {{"an agent adds a lead", "agent", nil, `insert into leads_pipeline (tenant_id, contact_id) values (@tenant, @contact)`, false}},
	"leads_pipeline/update":      {{"an agent moves a lead", "agent", nil, `update leads_pipeline set stage = 'won' where tenant_id = @tenant`, false}},
	"leads_pipeline/delete":      {{"an agent deletes a lead", "agent", nil, `delete from leads_pipeline where tenant_id = @tenant`, false}},
	"conversations/insert":       {{"an agent opens a conversation", "agent", nil, `insert into conversations (tenant_id, contact_id, channel) values (@tenant, @contact, 'email')`, false}},
	"conversations/update":       {{"an agent closes a conversation", "agent", nil, `update conversations set status = 'closed' where id = @conversation`, false}},
	"conversations/delete":       {{"an agent deletes a conversation", "agent", nil, `delete from conversations where id = @conversation`, false}},
	"knowledge_documents/insert": {{"an agent writes a document", "agent", nil, `insert into knowledge_documents (tenant_id, title) values (@tenant, 'Preços')`, false}},
	"knowledge_documents/update": {{"an agent edits a document", "agent", nil, `update knowledge_documents set title = 'Preços' where tenant_id = @tenant`, false}},
	"knowledge_documents/delete": {{"an agent deletes a document", "agent", nil, `delete from knowledge_documents where tenant_id = @tenant`, false}},
}

// Setup statements of the campaign and event cases.
const (
	runCampaign      = `update campaigns set status = 'running' where id = @campaign`
	completeCampaign = `update campaigns set status = 'running' where id = @campaign; update campaigns set status = 'completed' where id = @campaign`
	seedNewContact   = `insert into contacts (id, tenant_id, name) values (@new_contact, @tenant, 'Nova')`
)

// TestRulesHoldForSupabaseClients attempts every parity case as authenticated through
// SQL. The grants come from the catalogue: a table command or a writing function granted
// to authenticated without parity cases fails the test, so a new grant cannot slip past
// the rules the API enforces.
func TestRulesHoldForSupabaseClients(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	shared, sharedActors := parityFixture(t, d, "clinica")

	granted := grantedWrites(t, d)
	for _, write := range granted {
		if len(parityCases[write]) == 0 {
			t.Errorf("%s is granted to authenticated but has no parity cases: add the writes the API refuses for a role or a state (and one it allows) to parityCases", write)
		}
	}
	var refusals, allowed, ownCases int
	for write, cases := range parityCases {
		if !slices.Contains(granted, write) {
			t.Errorf("parityCases has %s, which authenticated is not granted: remove it", write)
		}
		for _, c := range cases {
			t.Run(write+"/"+c.name, func(t *testing.T) {
				fixture, actors := shared, sharedActors
				var setup []string
				for _, s := range c.setup {
					setup = append(setup, strings.Split(s, "; ")...)
				}
				if len(setup) > 0 {
					ownCases++
					fixture, actors = parityFixture(t, d, fmt.Sprintf("caso-%d", ownCases))
				}
				got := dbtest.RunAs(t, d.Admin, "authenticated", dbtest.Claims(actors[c.as]), setup, c.sql, fixture)
				switch {
				case c.refused && !got.Refused():
					t.Errorf("as %s: %v, want refused: the API refuses this", c.as, got)
				case !c.refused && (got.Err != nil || got.Rows == 0):
					t.Errorf("as %s: %v, want done: the API does this", c.as, got)
				}
			})
			if c.refused {
				refusals++
			} else {
				allowed++
			}
		}
	}
	t.Logf("parity matrix: %d granted writes, %d refusals and %d allowed writes attempted (%d cases on tenants of their own)", len(granted), refusals, allowed, ownCases)
}

// parityFixture seeds tenant <slug>-a, with an admin besides its owner and agent, tenant
// <slug>-b, and a confirmed account invited by both (so that it joined neither), and
// names them for the cases' statements and actors.
func parityFixture(t *testing.T, d *dbtest.Database, slug string) (pgx.NamedArgs, map[string]uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	tn := dbtest.SeedTenant(t, d, slug+"-a")
	other := dbtest.SeedTenant(t, d, slug+"-b")
	adminID := dbtest.CreateAuthUser(t, d, "admin@"+tn.Slug+".example",
		`{"tenant_id": "`+tn.ID.String()+`", "tenant_role": "admin"}`, `{}`)
	inviteeEmail := "invitee@" + slug + ".example"
	for _, tenant := range []uuid.UUID{tn.ID, other.ID} {
		if _, err := d.Admin.Exec(ctx, `insert into invitations (tenant_id, email) values ($1, $2)`, tenant, inviteeEmail); err != nil {
			t.Fatal(err)
		}
	}
	inviteeID := dbtest.CreateAuthUser(t, d, inviteeEmail, `{}`, `{}`)
	var invitationID uuid.UUID
	if err := d.Admin.QueryRow(ctx, `select id from invitations where tenant_id = $1 and email = $2`,
		tn.ID, "new@"+tn.Slug+".example").Scan(&invitationID); err != nil {
		t.Fatal(err)
	}
	fixture := pgx.NamedArgs{
		"tenant": tn.ID, "other_tenant": other.ID, "owner": tn.OwnerID, "admin": adminID, "agent": tn.AgentID, "invitee": inviteeID,
		"contact": tn.ContactID, "conversation": tn.ConversationID, "campaign": tn.CampaignID, "invitation": invitationID,
		"agent_email": "agent@" + tn.Slug + ".example", "invitee_email": inviteeEmail, "new_contact": uuid.New(),
	}
	return fixture, map[string]uuid.UUID{"owner": tn.OwnerID, "admin": adminID, "agent": tn.AgentID, "invitee": inviteeID}
}

// grantedWrites lists, from the catalogue, every write authenticated may attempt: each
// table of public with an insert, update or delete privilege (on the table or any of its
// columns) as "table/command", and each SECURITY DEFINER volatile function of private it
// may execute as "function/name".
func grantedWrites(t *testing.T, d *dbtest.Database) []string {
	t.Helper()
	var writes []string
	for _, table := range dbtest.Tables(t, d.Admin) {
		for _, cmd := range []string{"insert", "update", "delete"} {
			var granted bool
			err := d.Admin.QueryRow(context.Background(),
				`select case $2 when 'delete' then has_table_privilege('authenticated', $1::regclass, $2)
					else has_any_column_privilege('authenticated', $1::regclass, $2) end`,
				"public."+table.Name, cmd).Scan(&granted)
			if err != nil {
				t.Fatal(err)
			}
			if granted {
				writes = append(writes, fmt.Sprintf("%s/%s", table.Name, cmd))
			}
		}
	}
	for _, fn := range catalogueRows(t, d.Admin, `
		select 'function/' || proname from pg_proc
		where pronamespace = 'private'::regnamespace and prosecdef and provolatile = 'v'
			and has_function_privilege('authenticated', oid, 'execute')`) {
		writes = append(writes, fn)
	}
	return writes
}
