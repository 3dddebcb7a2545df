package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

type knowledgeDocument struct {
	ID        string   `json:"id"`
	TenantID  string   `json:"tenant_id"`
	Title     string   `json:"title"`
	Content   string   `json:"content"`
	SourceURL *string  `json:"source_url"`
	Tags      []string `json:"tags"`
	Rank      *float64 `json:"rank"`
	Snippet   *string  `json:"snippet"`
}

// knowledgeSearch searches the token's tenant's documents and returns the titles found,
// best first, failing the test for a hit without a rank or a snippet, or of another
// tenant.
func knowledgeSearch(t *testing.T, a *testAPI, token, tenantID, query string) []string {
	t.Helper()
	titles := []string{}
	for _, d := range knowledgeSearchDocuments(t, a, token, tenantID, query) {
		titles = append(titles, d.Title)
	}
	return titles
}

// knowledgeSearchDocuments is knowledgeSearch returning the documents found.
func knowledgeSearchDocuments(t *testing.T, a *testAPI, token, tenantID, query string) []knowledgeDocument {
	t.Helper()
	var page listPage[knowledgeDocument]
	a.do(request{method: "GET", path: "/api/v1/knowledge?q=" + url.QueryEscape(query), token: token}).expect(t, http.StatusOK).into(t, &page)
	if page.NextCursor != nil {
		t.Errorf("search %q has a next_cursor", query)
	}
	for _, d := range page.Items {
		if d.TenantID != tenantID {
			t.Errorf("search %q found %q of tenant %s", query, d.Title, d.TenantID)
		}
		if d.Rank == nil || *d.Rank <= 0 {
			t.Errorf("search %q: %q has rank %v", query, d.Title, d.Rank)
		}
		if d.Snippet == nil {
			t.Errorf("search %q: %q has no snippet", query, d.Title)
		}
	}
	return page.Items
}

func TestKnowledgeSearch(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Each seeded tenant has "Implantes dentários": "Fazemos implantes com garantia.".
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Implantes", "content": "Próteses fixas sobre implantes, com anestesia local."})
	postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Clareamento", "content": "Clareamento a laser em duas sessões."})
	postCreated[knowledgeDocument](t, a, a.token(other.OwnerID), "/api/v1/knowledge", map[string]any{"title": "Implantes na clínica B", "content": "Prótese da outra clínica."})

	tests := []struct {
		query string
		want  []string
	}{
		{"implante", []string{"Implantes", "Implantes dentários"}},
		{"Implantes", []string{"Implantes", "Implantes dentários"}},
		{"prótese", []string{"Implantes"}},
		{"protese", []string{"Implantes"}},
		{"ANESTÉSIA", []string{"Implantes"}},
		{"dentarios", []string{"Implantes dentários"}},
		{"implante -garantia", []string{"Implantes"}},
		{"ortodontia", []string{}},
	}
	for _, tt := range tests {
		// Equal ranks come in id order, so the order of equals is not asserted.
		got := knowledgeSearch(t, a, token, tn.ID.String(), tt.query)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("search %q = %q, want %q", tt.query, got, tt.want)
		}
	}

	var limited listPage[knowledgeDocument]
	a.do(request{method: "GET", path: "/api/v1/knowledge?q=implante&limit=1", token: token}).expect(t, http.StatusOK).into(t, &limited)
	if len(limited.Items) != 1 || limited.NextCursor != nil {
		t.Fatalf("search with limit 1: %+v", limited)
	}
	var firstPage listPage[knowledgeDocument]
	a.do(request{method: "GET", path: "/api/v1/knowledge?limit=1", token: token}).expect(t, http.StatusOK).into(t, &firstPage)
	a.do(request{method: "GET", path: "/api/v1/knowledge?q=implante&cursor=" + *firstPage.NextCursor, token: token}).
		expectProblem(t, http.StatusBadRequest, "cursor")
	a.do(request{method: "GET", path: "/api/v1/knowledge?q=implante&limit=101", token: token}).
		expectProblem(t, http.StatusBadRequest, "limit")
}

// TestKnowledgeSearchWebStyle searches as people type into a search box: any word may
// match, also as the start of a longer one, best match first.
func TestKnowledgeSearchWebStyle(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Each seeded tenant has "Implantes dentários": "Fazemos implantes com garantia.".
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	whitening := postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Clareamento dental",
		"content": "O «clareamento» a laser custa a partir de R$ 800, em duas sessões. Preços de «pacotes» na recepção."})
	postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Ortodontia", "content": "Aparelhos fixos e alinhadores."})
	postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Horários", "content": "Atendemos de segunda a sexta; a consulta custa R$ 150."})
	postCreated[knowledgeDocument](t, a, a.token(other.OwnerID), "/api/v1/knowledge", map[string]any{"title": "Clareamento na clínica B", "content": "Quanto custa: R$ 500."})

	tests := []struct {
		query string
		want  []string // titles, best first
	}{
		// Any word may match; the document with more of them comes first.
		{"quanto custa clareamento", []string{"Clareamento dental", "Horários"}},
		{"clarea", []string{"Clareamento dental"}},
		{"CLAREÁ", []string{"Clareamento dental"}},
		{"preco", []string{"Clareamento dental"}},
		{`"duas sessões"`, []string{"Clareamento dental"}},
		{`"sessões duas"`, []string{}},
		{`custa -"a laser"`, []string{"Horários"}},
		{"clareamento -laser", []string{}},
		// OR is no word: "or" would otherwise find Ortodontia as a prefix. Both match one
		// word in their title; the implants document also in its body.
		{"implante OR clareamento", []string{"Implantes dentários", "Clareamento dental"}},
		{"alinha", []string{"Ortodontia"}},
		// tsquery syntax typed into the box is punctuation between words.
		{"clarea:* & !custa", []string{"Clareamento dental", "Horários"}},
		{"(clarea | 'x') <-> ortodontia:A", []string{"Clareamento dental", "Ortodontia"}},
	}
	for _, tt := range tests {
		if got := knowledgeSearch(t, a, token, tn.ID.String(), tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("search %q = %q, want %q", tt.query, got, tt.want)
		}
	}

	// A query of punctuation alone, tsquery operators included, finds nothing and is no
	// error.
	for _, query := range []string{":* & | !", "!", "'", `\`, `"`, "-", "--", `-""`, "()", "<->", "<2>", "&&&", "' | '", "or", "a:* | de"} {
		if got := knowledgeSearch(t, a, token, tn.ID.String(), query); len(got) != 0 {
			t.Errorf("search %q = %q, want nothing", query, got)
		}
	}

	// The snippet marks the matched words with « »; the body's own « » become ‹ ›.
	found := knowledgeSearchDocuments(t, a, token, tn.ID.String(), "clarea pacote")
	if len(found) != 1 || found[0].ID != whitening.ID {
		t.Fatalf("search for clarea pacote found %+v, want %s", found, whitening.ID)
	}
	snippet := *found[0].Snippet
	for _, want := range []string{"«clareamento»", "‹«pacotes»›", "laser"} {
		if !strings.Contains(snippet, want) {
			t.Errorf("snippet %q lacks %q", snippet, want)
		}
	}
	if strings.Contains(snippet, "«laser»") {
		t.Errorf("snippet %q marks a word that was not searched", snippet)
	}
}

func TestKnowledgeList(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	first := postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Horários"})
	second := postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Convênios"})

	var titles []string
	for _, d := range listAll[knowledgeDocument](t, a, token, "/api/v1/knowledge?limit=2") {
		if d.Rank != nil || d.Snippet != nil {
			t.Errorf("listed %q with a rank or a snippet", d.Title)
		}
		titles = append(titles, d.Title)
	}
	if want := []string{second.Title, first.Title, "Implantes dentários"}; !slices.Equal(titles, want) {
		t.Fatalf("listed %q, want %q (newest first, only this tenant's)", titles, want)
	}
}

func TestKnowledgeCRUD(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID) // every member curates the knowledge base

	created := postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{
		"title": "Pagamento", "content": "Pix ou cartão.", "source_url": "https://clinica.example/pagamento", "tags": []string{"financeiro"},
	})
	if created.Title != "Pagamento" || created.Content != "Pix ou cartão." || created.SourceURL == nil ||
		*created.SourceURL != "https://clinica.example/pagamento" || !slices.Equal(created.Tags, []string{"financeiro"}) {
		t.Fatalf("created %+v", created)
	}
	bare := postCreated[knowledgeDocument](t, a, token, "/api/v1/knowledge", map[string]any{"title": "Só título"})
	if bare.Content != "" || bare.SourceURL != nil || bare.Tags == nil || len(bare.Tags) != 0 {
		t.Fatalf("defaults %+v, want empty content and tags, no source", bare)
	}

	path := "/api/v1/knowledge/" + created.ID
	var patched knowledgeDocument
	a.do(request{method: "PATCH", path: path, token: token, body: map[string]any{"content": nil, "source_url": nil, "tags": []string{}}}).
		expect(t, http.StatusOK).into(t, &patched)
	if patched.Title != "Pagamento" || patched.Content != "" || patched.SourceURL != nil || len(patched.Tags) != 0 {
		t.Fatalf("after patch: %+v", patched)
	}
	a.do(request{method: "PATCH", path: path, token: token, body: map[string]any{"title": "Formas de pagamento", "content": "Boleto."}}).
		expect(t, http.StatusOK)
	var got knowledgeDocument
	a.do(request{method: "GET", path: path, token: token}).expect(t, http.StatusOK).into(t, &got)
	if got.Title != "Formas de pagamento" || got.Content != "Boleto." {
		t.Fatalf("get: %+v", got)
	}
	// The new title is searchable.
	if titles := knowledgeSearch(t, a, token, tn.ID.String(), "formas"); !slices.Equal(titles, []string{"Formas de pagamento"}) {
		t.Fatalf("search for the new title: %q", titles)
	}

	a.do(request{method: "DELETE", path: path, token: token}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: path, token: token}).expect(t, http.StatusNotFound)
	a.do(request{method: "DELETE", path: path, token: token}).expect(t, http.StatusNotFound)

	// Another tenant's document and an unknown one are not found.
	var othersDocument string
	if err := a.db.Admin.QueryRow(t.Context(), "select id from knowledge_documents where tenant_id = $1", other.ID).Scan(&othersDocument); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{othersDocument, uuid.NewString()} {
		a.do(request{method: "GET", path: "/api/v1/knowledge/" + id, token: token}).expect(t, http.StatusNotFound)
		a.do(request{method: "PATCH", path: "/api/v1/knowledge/" + id, token: token, body: map[string]any{"title": "x"}}).expect(t, http.StatusNotFound)
		a.do(request{method: "DELETE", path: "/api/v1/knowledge/" + id, token: token}).expect(t, http.StatusNotFound)
	}
}

func TestKnowledgeBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.OwnerID)
	var id string
	if err := a.db.Admin.QueryRow(t.Context(), "select id from knowledge_documents where tenant_id = $1", tn.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	document := "/api/v1/knowledge/" + id
	a.expectRefusals(t, token, []refusal{
		{"no title", "POST", "/api/v1/knowledge", map[string]any{"content": "x"}, 400, "title"},
		{"blank title", "POST", "/api/v1/knowledge", map[string]any{"title": ""}, 400, "title"},
		{"title too long", "POST", "/api/v1/knowledge", map[string]any{"title": strings.Repeat("t", 501)}, 400, "title"},
		{"relative source", "POST", "/api/v1/knowledge", map[string]any{"title": "x", "source_url": "/pagamento"}, 400, "source_url"},
		{"ftp source", "POST", "/api/v1/knowledge", map[string]any{"title": "x", "source_url": "ftp://clinica.example/a"}, 400, "source_url"},
		{"source too long", "POST", "/api/v1/knowledge", map[string]any{"title": "x", "source_url": "https://a.example/" + strings.Repeat("a", 2048)}, 400, "source_url"},
		{"tags not strings", "POST", "/api/v1/knowledge", map[string]any{"title": "x", "tags": []int{1}}, 400, "tags"},
		{"patch null title", "PATCH", document, map[string]any{"title": nil}, 400, "title"},
		{"patch bad source", "PATCH", document, map[string]any{"source_url": "not a url"}, 400, "source_url"},
		{"malformed id", "GET", "/api/v1/knowledge/abc", nil, 400, "id"},
	}, tn.ID)
}
