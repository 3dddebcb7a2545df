package dbtest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// Tenant is a tenant seeded by SeedTenant: one row or more in every tenant table.
type Tenant struct {
	ID      uuid.UUID
	Slug    string
	OwnerID uuid.UUID
	AgentID uuid.UUID
	// ContactID has a conversation with messages, a lead and a campaign event.
	ContactID      uuid.UUID
	ConversationID uuid.UUID
	CampaignID     uuid.UUID
	// PhoneNumberID is the tenant's WhatsApp number (channel_accounts), whose access
	// token is "token-<slug>".
	PhoneNumberID string
}

// OwnerClaims are the verified token claims of the tenant's owner.
func (tn Tenant) OwnerClaims() json.RawMessage { return Claims(tn.OwnerID) }

// AgentClaims are the verified token claims of the tenant's agent.
func (tn Tenant) AgentClaims() json.RawMessage { return Claims(tn.AgentID) }

// Claims returns access-token claims for the auth user id, shaped as Supabase Auth issues
// them.
func Claims(userID uuid.UUID) json.RawMessage {
	claims, _ := json.Marshal(map[string]any{
		"sub":  userID,
		"role": "authenticated",
		"aud":  "authenticated",
	})
	return claims
}

// CreateAuthUser inserts an auth.users row as Supabase Auth does at signup when the
// email is confirmed at once (auto-confirm, or an admin-created user), with the given
// app and user metadata (JSON objects), and returns its id. The signup trigger creates
// the profile.
func CreateAuthUser(t testing.TB, d *Database, email string, appMetadata, userMetadata string) uuid.UUID {
	t.Helper()
	defer seeding()()
	return createAuthUser(t, d, email, appMetadata, userMetadata, true)
}

// CreateUnconfirmedAuthUser inserts an auth.users row as Supabase Auth does at signup
// when the email still has to be confirmed: email_confirmed_at is null.
func CreateUnconfirmedAuthUser(t testing.TB, d *Database, email string) uuid.UUID {
	t.Helper()
	defer seeding()()
	return createAuthUser(t, d, email, `{"provider": "email"}`, `{}`, false)
}

// citusSeeding serialises the fixture's writes on the Citus cluster, where concurrent
// transactions that write several reference tables (tenants, users, invitations) can
// deadlock (40P01): each takes the tables' shard locks in its own order. Subtests seed
// tenants in parallel.
var citusSeeding sync.Mutex

// seeding takes citusSeeding on the Citus cluster, and returns its release.
func seeding() func() {
	if !OnCitus() {
		return func() {}
	}
	citusSeeding.Lock()
	return citusSeeding.Unlock
}

func createAuthUser(t testing.TB, d *Database, email string, appMetadata, userMetadata string, confirmed bool) uuid.UUID {
	t.Helper()
	id := uuid.New()
	_, err := d.Admin.Exec(context.Background(), `
		insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
			raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
		values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
			'$2a$10$abcdefghijklmnopqrstuu5Jb2tYbQ2W7n0e2JH2P5y0mUOSqAeWm', case when $5 then now() end, $3::jsonb, $4::jsonb, now(), now())`,
		id, email, appMetadata, userMetadata, confirmed)
	if err != nil {
		t.Fatalf("create auth user %s: %v", email, err)
	}
	return id
}

// SeedTenant creates a tenant named slug with an owner, an agent and a row in every
// tenant table, written as a superuser.
func SeedTenant(t testing.TB, d *Database, slug string) Tenant {
	t.Helper()
	defer seeding()()
	ctx := context.Background()
	tn := Tenant{Slug: slug}
	if err := d.Admin.QueryRow(ctx,
		`insert into tenants (name, slug) values ($1, $1) returning id`, slug).Scan(&tn.ID); err != nil {
		t.Fatalf("seed tenant %s: %v", slug, err)
	}
	member := func(role string) string {
		return `{"provider": "email", "tenant_id": "` + tn.ID.String() + `", "tenant_role": "` + role + `"}`
	}
	tn.OwnerID = createAuthUser(t, d, "owner@"+slug+".example", member("owner"), `{"full_name": "Owner"}`, true)
	tn.AgentID = createAuthUser(t, d, "agent@"+slug+".example", member("agent"), `{}`, true)

	err := d.Admin.QueryRow(ctx, `
		with secret as (
			insert into tenant_secrets (tenant_id) values ($1)
		), contact as (
			insert into contacts (tenant_id, name, phone, email, tags)
			values ($1, 'Maria', '+5511987654321', 'maria@example.com', '{vip}')
			returning id
		), address as (
			insert into contact_addresses (tenant_id, channel, address, contact_id)
			select $1, 'email', 'maria@example.com', id from contact
		), other_contact as (
			insert into contacts (tenant_id, name) values ($1, 'João')
		), conversation as (
			insert into conversations (tenant_id, contact_id, channel, assigned_user_id)
			select $1, id, 'whatsapp', $2 from contact
			returning id
		), message as (
			insert into messages (tenant_id, conversation_id, channel, direction, sender_type, content, status, external_id)
			select $1, id, 'whatsapp', 'inbound', 'contact', 'Olá', 'delivered', 'wamid.' || $4 from conversation
		), reply as (
			insert into messages (tenant_id, conversation_id, channel, direction, sender_type, sender_user_id, content)
			select $1, id, 'whatsapp', 'outbound', 'user', $2, 'Bom dia' from conversation
		), lead as (
			insert into leads_pipeline (tenant_id, contact_id, stage, value, owner_user_id)
			select $1, id, 'new', 1500, $3 from contact
		), campaign as (
			insert into campaigns (tenant_id, name, audience_filter, message_template) values ($1, 'Promo', '{"tags": ["vip"]}', 'Promoção!')
			returning id
		), event as (
			insert into campaign_events (tenant_id, campaign_id, contact_id, event_type)
			select $1, campaign.id, contact.id, 'queued' from campaign, contact
		), ai as (
			insert into ai_config (tenant_id, system_prompt) values ($1, 'Você é a recepcionista.')
		), document as (
			insert into knowledge_documents (tenant_id, title, content, tags)
			values ($1, 'Implantes dentários', 'Fazemos implantes com garantia.', '{servicos}')
		), setting as (
			insert into system_settings (tenant_id, key, value) values ($1, 'inbox.greeting', '"Olá!"')
		), channel_account as (
			insert into channel_accounts (tenant_id, channel, phone_number_id, display_phone_number, access_token)
			values ($1, 'whatsapp', (('x' || substr(md5($1::text), 1, 12))::bit(48)::bigint)::text, '+55 11 4000-0000', 'token-' || $4)
			returning phone_number_id
		), invitation as (
			insert into invitations (tenant_id, email, role, invited_by_user_id)
			values ($1, 'new@' || $4 || '.example', 'agent', $3)
		)
		select contact.id, conversation.id, campaign.id, channel_account.phone_number_id from contact, conversation, campaign, channel_account`,
		tn.ID, tn.AgentID, tn.OwnerID, slug).Scan(&tn.ContactID, &tn.ConversationID, &tn.CampaignID, &tn.PhoneNumberID)
	if err != nil {
		t.Fatalf("seed tenant %s rows: %v", slug, err)
	}
	return tn
}
