package legacy_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// The policy for imported accounts: the customer vouches for its own staff, so an
// imported user's email is confirmed (V1.5 had no confirmation, and the users log in
// with their V1.5 passwords); an email that already belongs to an auth user outside
// the tenant (another tenant's member, or an account of no tenant) is refused, never
// merged, and that account is left as it was.
func TestImportedAccountsPolicy(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	tenantID := createTenant(t, d, "clinica")
	otherID := createTenant(t, d, "elsewhere")
	memberID := dbtest.CreateAuthUser(t, d, "member@elsewhere.example",
		`{"tenant_id": "`+otherID.String()+`", "tenant_role": "agent"}`, `{}`)
	tenantlessID := dbtest.CreateAuthUser(t, d, "alone@nowhere.example", `{}`, `{}`)

	hash := func(password string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	file := writeLegacyFile(t, "accounts.db", []legacyRows{
		{"users", "id, email, hashed_password, full_name, role, is_active, created_at", [][]any{
			{1, "ana@clinica.example", hash("senha-ana"), "Ana", "agent", 1, "2023-05-06 07:08:09"},
			{2, "Member@Elsewhere.example", hash("x"), "Member", "admin", 1, "2023-01-01 00:00:00"}, // another tenant's member
			{3, "alone@nowhere.example", hash("y"), "Alone", "admin", 1, nil},                       // an account of no tenant
		}},
		{"conversations", "id, contact_id, channel, status, assigned_user_id, ai_enabled, last_message_at, created_at", [][]any{
			{1, nil, "whatsapp", "open", 3, 1, nil, "2024-01-10 08:00:00"}, // assigned to a refused user: cleared
		}},
	}, func(_ string, values []any) []any { return values })

	// The accounts outside the tenant, auth user and profile, as text.
	accounts := func() []string {
		t.Helper()
		var rows []string
		for _, id := range []uuid.UUID{memberID, tenantlessID} {
			var row string
			if err := d.Admin.QueryRow(ctx, "select (select u::text from auth.users u where id = $1) || (select p::text from public.users p where id = $1)", id).Scan(&row); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		return rows
	}
	before := accounts()
	var tenantless bool
	if err := d.Admin.QueryRow(ctx, "select tenant_id is null from public.users where id = $1", tenantlessID).Scan(&tenantless); err != nil || !tenantless {
		t.Fatalf("alone@nowhere.example has a tenant (%v): the test needs a tenantless account", err)
	}

	report := mustImport(t, d.Admin, legacy.Options{File: file, TenantSlug: "clinica"})
	users := report.Table("users")
	if users.Imported != 1 || users.Merged != 0 || !slices.Equal(noteIDs(users.RejectedRows), []string{"2", "3"}) {
		t.Errorf("users: imported %d, merged %v, rejected %v; want 1, none, [2 3]", users.Imported, users.MergedRows, users.RejectedRows)
	}
	for _, id := range []string{"2", "3"} {
		if findNote(users.RejectedRows, id, "an account with this email already exists outside this tenant") == "" {
			t.Errorf("user %s: rejection %v", id, users.RejectedRows)
		}
	}
	if after := accounts(); !slices.Equal(before, after) {
		t.Errorf("an account outside the tenant changed:\n%v\n%v", before, after)
	}
	var members int
	if err := d.Admin.QueryRow(ctx, "select count(*) from public.users where tenant_id = $1", tenantID).Scan(&members); err != nil || members != 1 {
		t.Errorf("the tenant has %d members (%v), want 1: ana", members, err)
	}
	var assigned *uuid.UUID
	if err := d.Admin.QueryRow(ctx, "select assigned_user_id from conversations where tenant_id = $1", tenantID).Scan(&assigned); err != nil || assigned != nil {
		t.Errorf("conversation assigned to the refused user: %v, %v", assigned, err)
	}

	// The imported user: email confirmed as of the legacy creation, a verified email
	// identity, the V1.5 password.
	var confirmed time.Time
	var verified bool
	var password string
	err := d.Admin.QueryRow(ctx, `
		select u.email_confirmed_at, (i.identity_data ->> 'email_verified')::boolean, u.encrypted_password
		from auth.users u join auth.identities i on i.user_id = u.id and i.provider = 'email'
		where u.id = $1`, rowID(tenantID, "users", 1)).Scan(&confirmed, &verified, &password)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC); !confirmed.Equal(want) || !verified {
		t.Errorf("ana: email_confirmed_at %v (want %v), email_verified %v", confirmed, want, verified)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(password), []byte("senha-ana")); err != nil {
		t.Errorf("ana's V1.5 password: %v", err)
	}
}
