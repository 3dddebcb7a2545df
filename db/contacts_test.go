package db_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// runAsOwner runs fn in one transaction as the tenant's owner, as a request would, and
// fails the test when it returns an error. Call it from the test's goroutine only.
func runAsOwner(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, fn func(q *db.Queries) error) {
	t.Helper()
	if err := d.App.AsCaller(t.Context(), tn.OwnerClaims(), fn); err != nil {
		t.Fatalf("as owner of %s: %v", tn.Slug, err)
	}
}

// runAsService runs fn in one service-role transaction, as a webhook would, and fails the
// test when it returns an error. Call it from the test's goroutine only.
func runAsService(t *testing.T, d *dbtest.Database, fn func(q *db.Queries) error) {
	t.Helper()
	if err := d.App.AsService(t.Context(), fn); err != nil {
		t.Fatalf("as service: %v", err)
	}
}

// newContact is a contact for ContactCreate; only the fields that matter to a test.
type newContact struct {
	name, phone, email string
	tags               []string
}

// createContacts creates the contacts in one transaction as the tenant's owner and
// returns them in the same order. Empty strings are stored as null.
func createContacts(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, contacts ...newContact) []db.Contact {
	t.Helper()
	created := make([]db.Contact, 0, len(contacts))
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		for _, c := range contacts {
			contact, err := q.ContactCreate(t.Context(), db.ContactCreateParams{
				TenantID:     tn.ID,
				Name:         nullIfEmpty(c.name),
				Phone:        nullIfEmpty(c.phone),
				Email:        nullIfEmpty(c.email),
				Tags:         append([]string{}, c.tags...),
				CustomFields: []byte(`{}`),
			})
			if err != nil {
				return err
			}
			created = append(created, contact)
		}
		return nil
	})
	return created
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// contactNames returns the contacts' names sorted, so that result sets compare
// regardless of order.
func contactNames(contacts []db.Contact) []string {
	names := make([]string, 0, len(contacts))
	for _, c := range contacts {
		names = append(names, *c.Name)
	}
	slices.Sort(names)
	return names
}

func TestContactListFilters(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	// The seed adds Maria (+5511987654321, maria@example.com, tag vip) and João.
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	createContacts(t, d, tn,
		newContact{name: "Ana Souza", phone: "+5521999990001", email: "ana.souza@example.com", tags: []string{"vip", "retorno"}},
		newContact{name: "ANDRÉ Lima", email: "andre_lima@example.org", tags: []string{"lead"}},
		// Matches "e_l" only if '_' were a wildcard.
		newContact{name: "Andrezinho", email: "andrexlima@example.org"},
		newContact{name: "100% Sorriso", tags: []string{"parceiro"}},
		// Matches "100%" only if '%' were a wildcard.
		newContact{name: "1000 Sorrisos"},
		newContact{name: `C:\clinica`},
		// Matches `\c` only if a backslash escaped the next character.
		newContact{name: "Consultório c"},
		newContact{name: "José Carlos Álvares", phone: "+5521987001234", email: "JCA@Clínica.example"},
	)
	// Another tenant's matching contacts must never appear.
	other := dbtest.SeedTenant(t, d, "clinica-b")
	createContacts(t, d, other, newContact{name: "Ana Souza", tags: []string{"vip"}})

	tests := []struct {
		name   string
		q, tag string
		want   []string
	}{
		{"name, any case", "SOUZA", "", []string{"Ana Souza"}},
		// Accents are ignored on both sides: "andré" is "andre", in Andrezinho too.
		{"name with accent, any case", "andré", "", []string{"ANDRÉ Lima", "Andrezinho"}},
		{"accents ignored in the name", "jose alvares", "", []string{"José Carlos Álvares"}},
		{"accents ignored in the query", "ÁLVARES", "", []string{"José Carlos Álvares"}},
		{"prefix with accent", "Álv", "", []string{"José Carlos Álvares"}},
		{"words in order, anything between", "jose  alvares", "", []string{"José Carlos Álvares"}},
		{"words out of order", "alvares jose", "", []string{}},
		{"accents ignored in the email", "jca@clinica", "", []string{"José Carlos Álvares"}},
		{"phone substring", "99990001", "", []string{"Ana Souza"}},
		{"phone with plus", "+5511", "", []string{"Maria"}},
		{"phone as typed", "(11) 98765-4321", "", []string{"Maria"}},
		{"phone with country code as typed", "+55 (21) 98700-1234", "", []string{"José Carlos Álvares"}},
		{"phone part", "98765", "", []string{"Maria"}},
		{"phone part with a separator", "9870-01", "", []string{"José Carlos Álvares"}},
		// Three digits are not read as a phone: "(100)" would otherwise find "1000 Sorrisos".
		{"three digits are text", "(100)", "", []string{}},
		{"email domain, any case", "@EXAMPLE.ORG", "", []string{"ANDRÉ Lima", "Andrezinho"}},
		{"underscore is literal", "e_l", "", []string{"ANDRÉ Lima"}},
		{"underscore alone is literal", "_", "", []string{"ANDRÉ Lima"}},
		{"percent is literal", "100%", "", []string{"100% Sorriso"}},
		{"percent alone is literal", "%", "", []string{"100% Sorriso"}},
		{"backslash is literal", `\c`, "", []string{`C:\clinica`}},
		{"no match", "zzz", "", []string{}},
		{"tag", "", "vip", []string{"Ana Souza", "Maria"}},
		{"tag and q", "ana", "vip", []string{"Ana Souza"}},
		{"unknown tag", "", "nenhuma", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []db.Contact
			runAsOwner(t, d, tn, func(q *db.Queries) error {
				var err error
				got, err = q.ContactList(t.Context(), db.ContactListParams{
					TenantID: tn.ID, Q: nullIfEmpty(tt.q), Tag: nullIfEmpty(tt.tag), RowLimit: 100,
				})
				return err
			})
			for _, c := range got {
				if c.TenantID != tn.ID {
					t.Errorf("contact %s of tenant %s listed", c.ID, c.TenantID)
				}
			}
			if names := contactNames(got); !slices.Equal(names, tt.want) {
				t.Errorf("q=%q tag=%q: got %q, want %q", tt.q, tt.tag, names, tt.want)
			}
		})
	}
}

func TestContactListKeysetPagination(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	// Contacts created in one transaction share created_at, so pages must break ties by
	// id; contacts created in separate transactions do not.
	var batch []newContact
	for i := range 23 {
		batch = append(batch, newContact{name: "Lote " + string(rune('A'+i)), tags: []string{"lote"}})
	}
	createContacts(t, d, tn, batch...)
	for _, name := range []string{"Avulso 1", "Avulso 2", "Avulso 3"} {
		createContacts(t, d, tn, newContact{name: name})
	}
	const seeded = 2 // Maria and João

	tests := []struct {
		name string
		tag  string
		want int
	}{
		{"all contacts", "", seeded + 23 + 3},
		{"one tag", "lote", 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pages := listContactPages(t, d, tn, tt.tag, 5)
			var all []db.Contact
			for _, page := range pages {
				all = append(all, page...)
			}
			if len(all) != tt.want {
				t.Fatalf("listed %d contacts over %d pages, want %d", len(all), len(pages), tt.want)
			}
			seen := make(map[uuid.UUID]bool)
			for i, c := range all {
				if seen[c.ID] {
					t.Errorf("contact %s listed twice", c.ID)
				}
				seen[c.ID] = true
				if i > 0 && !newerFirst(all[i-1], c) {
					t.Errorf("contact %d (%s) is not older than contact %d (%s)", i, c.ID, i-1, all[i-1].ID)
				}
			}
		})
	}
}

// listContactPages follows ContactList's keyset cursor from the newest contact to the
// end, pageSize contacts at a time.
func listContactPages(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, tag string, pageSize int32) [][]db.Contact {
	t.Helper()
	params := db.ContactListParams{TenantID: tn.ID, Tag: nullIfEmpty(tag), RowLimit: pageSize}
	var pages [][]db.Contact
	for {
		var page []db.Contact
		runAsOwner(t, d, tn, func(q *db.Queries) error {
			var err error
			page, err = q.ContactList(t.Context(), params)
			return err
		})
		if len(page) == 0 {
			return pages
		}
		if len(page) > int(pageSize) || len(pages) > 100 {
			t.Fatalf("page %d has %d contacts (limit %d)", len(pages), len(page), pageSize)
		}
		pages = append(pages, page)
		last := page[len(page)-1]
		params.BeforeCreatedAt, params.BeforeID = new(last.CreatedAt), new(last.ID)
	}
}

// newerFirst reports whether a comes strictly before b in ContactList's order,
// (created_at, id) descending; PostgreSQL orders uuids bytewise.
func newerFirst(a, b db.Contact) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return bytes.Compare(a.ID[:], b.ID[:]) > 0
}

// TestStoreInboundContact: an inbound delivery finds its contact by phone, or creates it
// with the name the provider reports; a name the business knows is kept.
func TestStoreInboundContact(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	deliveries := 0
	deliver := func(phone string, name *string) db.Contact {
		t.Helper()
		deliveries++
		stored, err := d.App.StoreInbound(t.Context(), db.MessageStoreInboundParams{
			TenantID: tn.ID, Channel: db.ChannelWhatsapp, Sender: phone, SenderName: name,
			ExternalID: fmt.Sprintf("wamid.%d", deliveries), SentAt: time.Now(),
		})
		if err != nil || stored.Duplicate {
			t.Fatalf("deliver from %s: %+v, %v", phone, stored, err)
		}
		var c db.Contact
		runAsService(t, d, func(q *db.Queries) (err error) {
			c, err = q.ContactGet(t.Context(), db.ContactGetParams{TenantID: tn.ID, ID: stored.ContactID})
			return err
		})
		return c
	}
	const phone = "+5511912345678"

	unnamed := deliver(phone, nil)
	if unnamed.Name != nil || *unnamed.Phone != phone || unnamed.TenantID != tn.ID {
		t.Fatalf("new contact = %+v", unnamed)
	}
	// A contact without a name takes the one the provider reports...
	named := deliver(phone, new("Paula"))
	if named.ID != unnamed.ID || named.Name == nil || *named.Name != "Paula" {
		t.Fatalf("contact after a delivery with a name = %+v, want %s named Paula", named, unnamed.ID)
	}
	// ...but a name the business knows is kept.
	renamed := deliver(phone, new("Paulinha"))
	if renamed.ID != unnamed.ID || *renamed.Name != "Paula" {
		t.Fatalf("contact after a delivery with another name = %+v, want %s still named Paula", renamed, unnamed.ID)
	}
	if maria := deliver("+5511987654321", new("Outra")); maria.ID != tn.ContactID || *maria.Name != "Maria" {
		t.Fatalf("delivery from the seeded phone: contact %+v, want %s named Maria", maria, tn.ContactID)
	}
}
