package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

func TestContacts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.AgentID)

	var created struct {
		ID    string   `json:"id"`
		Phone string   `json:"phone"`
		Tags  []string `json:"tags"`
	}
	a.do(request{method: "POST", path: "/api/v1/contacts", token: token,
		body: map[string]any{"name": "Ana Lima", "phone": "(11) 91234-5678", "tags": []string{"vip"}}}).
		expect(t, http.StatusCreated).into(t, &created)
	if created.Phone != "+5511912345678" || len(created.Tags) != 1 {
		t.Fatalf("created %+v, want the phone in E.164 and the tag", created)
	}

	dup := a.do(request{method: "POST", path: "/api/v1/contacts", token: token,
		body: map[string]any{"name": "Ana again", "phone": "+55 11 91234-5678"}}).expect(t, http.StatusConflict)
	if p := dup.problem(t); p.Field != "phone" {
		t.Fatalf("duplicate phone problem names %q, want phone", p.Field)
	}

	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts?q=lima", token: token}).expect(t, http.StatusOK).into(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != created.ID || list.NextCursor != nil {
		t.Fatalf("search for lima: %+v", list)
	}

	a.do(request{method: "PATCH", path: "/api/v1/contacts/" + created.ID, token: token,
		body: map[string]any{"email": "ana@example.com", "phone": nil}}).expect(t, http.StatusOK)
	var got struct {
		Email *string `json:"email"`
		Phone *string `json:"phone"`
		Name  string  `json:"name"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusOK).into(t, &got)
	if got.Email == nil || *got.Email != "ana@example.com" || got.Phone != nil || got.Name != "Ana Lima" {
		t.Fatalf("after patch: %+v", got)
	}

	a.do(request{method: "DELETE", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusNotFound)
}

// contact is a contact as the API answers it, the fields these tests read.
type contact struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenant_id"`
	Name     string  `json:"name"`
	Phone    *string `json:"phone"`
	Email    *string `json:"email"`
}

// searchContacts lists every contact of the token's tenant that q finds and returns
// their names, sorted, failing the test for a contact of another tenant.
func searchContacts(t *testing.T, a *testAPI, token, tenantID, q string) []string {
	t.Helper()
	names := []string{}
	for _, c := range listAll[contact](t, a, token, "/api/v1/contacts?limit=2&q="+url.QueryEscape(q)) {
		if c.TenantID != tenantID {
			t.Errorf("q=%q found %s (%q) of tenant %s", q, c.ID, c.Name, c.TenantID)
		}
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

func TestContactSearch(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Each seeded tenant has Maria (+5511987654321, maria@example.com) and João.
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	jose := postCreated[contact](t, a, token, "/api/v1/contacts",
		map[string]any{"name": "José Álvares", "phone": "(21) 99123-4567", "email": "jose.alvares@example.com"})
	postCreated[contact](t, a, token, "/api/v1/contacts", map[string]any{"name": "Ana Lima", "phone": "(31) 3222-1234"})
	// The other tenant's namesake, and its Maria with the same phone, must not be found.
	othersJose := postCreated[contact](t, a, a.token(other.OwnerID), "/api/v1/contacts",
		map[string]any{"name": "José Álvares", "phone": "(21) 99123-4567"})

	tests := []struct {
		q    string
		want []string
	}{
		{"jose", []string{"José Álvares"}},
		{"alvares", []string{"José Álvares"}},
		{"JOSÉ", []string{"José Álvares"}},
		{"Álv", []string{"José Álvares"}},
		{"josé álvares", []string{"José Álvares"}},
		{"JOSE.ALVARES@", []string{"José Álvares"}},
		{"(11) 98765-4321", []string{"Maria"}},
		{"98765", []string{"Maria"}},
		{"+55 11 98765 4321", []string{"Maria"}},
		{"21 99123", []string{"José Álvares"}},
		{"3222-1234", []string{"Ana Lima"}},
		{"joão", []string{"João"}},
		{"joao", []string{"João"}},
		{"ana", []string{"Ana Lima"}},
		{"álvaro", []string{}},
		{"12345678", []string{}},
		{"  ", []string{"Ana Lima", "José Álvares", "João", "Maria"}}, // blank: everyone
	}
	for _, tt := range tests {
		if got := searchContacts(t, a, token, tn.ID.String(), tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("q=%q found %q, want %q", tt.q, got, tt.want)
		}
	}
	// The other tenant finds its own José, not this one.
	var found listPage[contact]
	a.do(request{method: "GET", path: "/api/v1/contacts?q=jose", token: a.token(other.OwnerID)}).expect(t, http.StatusOK).into(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != othersJose.ID || found.Items[0].ID == jose.ID {
		t.Fatalf("tenant B's search for jose: %+v, want only %s", found.Items, othersJose.ID)
	}
}

func TestContactListCursorHoldsFilters(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a") // Maria has tag vip
	token := a.token(tn.AgentID)
	postCreated[contact](t, a, token, "/api/v1/contacts", map[string]any{"name": "Ana Lima", "tags": []string{"vip"}})

	var first listPage[contact]
	a.do(request{method: "GET", path: "/api/v1/contacts?tag=vip&limit=1", token: token}).expect(t, http.StatusOK).into(t, &first)
	if len(first.Items) != 1 || first.Items[0].Name != "Ana Lima" || first.NextCursor == nil {
		t.Fatalf("first page of tag=vip: %+v", first)
	}
	cursor := "&cursor=" + url.QueryEscape(*first.NextCursor)

	// Its own list continues...
	var second listPage[contact]
	a.do(request{method: "GET", path: "/api/v1/contacts?tag=vip&limit=1" + cursor, token: token}).expect(t, http.StatusOK).into(t, &second)
	if len(second.Items) != 1 || second.Items[0].Name != "Maria" || second.NextCursor != nil {
		t.Fatalf("second page of tag=vip: %+v", second)
	}
	// ...any other is refused: the cursor was signed for tag=vip.
	for _, path := range []string{
		"/api/v1/contacts?q=ana&limit=1",
		"/api/v1/contacts?q=ana&tag=vip&limit=1",
		"/api/v1/contacts?tag=lead&limit=1",
		"/api/v1/contacts?limit=1",
	} {
		a.do(request{method: "GET", path: path + cursor, token: token}).expectProblem(t, http.StatusBadRequest, "cursor")
	}
}

func TestContactEmail(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.AgentID)

	created := postCreated[contact](t, a, token, "/api/v1/contacts", map[string]any{"name": "Ana Lima", "email": "  Ana.Lima@Example.COM "})
	if created.Email == nil || *created.Email != "ana.lima@example.com" {
		t.Fatalf("created email %v, want ana.lima@example.com", created.Email)
	}
	blank := postCreated[contact](t, a, token, "/api/v1/contacts", map[string]any{"name": "Sem email", "email": ""})
	if blank.Email != nil {
		t.Fatalf("blank email stored as %q, want none", *blank.Email)
	}

	path := "/api/v1/contacts/" + created.ID
	a.expectRefusals(t, token, []refusal{
		{"not an address", "POST", "/api/v1/contacts", map[string]any{"name": "X", "email": "ana"}, 400, "email"},
		{"no domain", "POST", "/api/v1/contacts", map[string]any{"name": "X", "email": "ana@"}, 400, "email"},
		{"two ats", "POST", "/api/v1/contacts", map[string]any{"name": "X", "email": "ana@b@example.com"}, 400, "email"},
		{"display name", "POST", "/api/v1/contacts", map[string]any{"name": "X", "email": "Ana <ana@example.com>"}, 400, "email"},
		{"too long", "POST", "/api/v1/contacts", map[string]any{"name": "X", "email": strings.Repeat("a", 310) + "@example.com"}, 400, "email"},
		{"patch not an address", "PATCH", path, map[string]any{"email": "ana at example.com"}, 400, "email"},
	}, tn.ID)

	var patched contact
	a.do(request{method: "PATCH", path: path, token: token, body: map[string]any{"email": "ANA@clinica.example"}}).expect(t, http.StatusOK).into(t, &patched)
	if patched.Email == nil || *patched.Email != "ana@clinica.example" {
		t.Fatalf("patched email %v, want ana@clinica.example", patched.Email)
	}
	a.do(request{method: "PATCH", path: path, token: token, body: map[string]any{"email": nil}}).expect(t, http.StatusOK).into(t, &patched)
	if patched.Email != nil {
		t.Fatalf("email after clearing: %q", *patched.Email)
	}
}

// TestContactAvatar: a contact's picture is an https link, shown in the inbox.
func TestContactAvatar(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	type contact struct {
		ID        string  `json:"id"`
		AvatarURL *string `json:"avatar_url"`
	}
	created := postCreated[contact](t, a, owner, "/api/v1/contacts", map[string]any{"name": "Nova", "avatar_url": "https://cdn.example/nova.jpg"})
	if created.AvatarURL == nil || *created.AvatarURL != "https://cdn.example/nova.jpg" {
		t.Fatalf("created: %+v", created)
	}
	var cleared contact
	a.do(request{method: "PATCH", path: "/api/v1/contacts/" + created.ID, token: owner, body: map[string]any{"avatar_url": nil}}).
		expect(t, http.StatusOK).into(t, &cleared)
	if cleared.AvatarURL != nil {
		t.Fatalf("after clearing: %+v", cleared)
	}
	a.expectRefusals(t, owner, []refusal{
		{"avatar over http", "POST", "/api/v1/contacts", map[string]any{"name": "X", "avatar_url": "http://cdn.example/x.jpg"}, 400, "avatar_url"},
		{"avatar as script", "PATCH", "/api/v1/contacts/" + created.ID, map[string]any{"avatar_url": "javascript:alert(1)"}, 400, "avatar_url"},
	}, tn.ID)
}
