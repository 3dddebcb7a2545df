package db_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
)

// createDocuments creates knowledge documents from title/content pairs as the owner.
func createDocuments(t *testing.T, d *dbtest.Database, tn dbtest.Tenant, titleAndContent ...[2]string) {
	t.Helper()
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		for _, doc := range titleAndContent {
			_, err := q.KnowledgeDocumentCreate(t.Context(), db.KnowledgeDocumentCreateParams{
				TenantID: tn.ID, Title: doc[0], Content: doc[1], Tags: []string{},
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func TestKnowledgeDocumentSearch(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	// Each seeded tenant has "Implantes dentários" / "Fazemos implantes com garantia.".
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	other := dbtest.SeedTenant(t, d, "clinica-b")
	createDocuments(t, d, tn,
		[2]string{"Implante com carga imediata", "A prótese é instalada no mesmo dia da cirurgia."},
		// The body names implants often, but only in passing: a title match must still
		// rank above it.
		[2]string{"Tabela de preços", "Avaliação para implante: R$ 150. Implante unitário a partir de R$ 2.500; " +
			"cada implante inclui a coroa. Parcelamos implantes em até 12 vezes."},
		[2]string{"Clareamento dental", "O clareamento a laser custa a partir de R$ 800, em duas sessões."},
	)
	createDocuments(t, d, other, [2]string{"Implantes para a outra clínica", "Só da clínica B."})

	// The terms and exclusions are tsquery texts, as the API writes them from what was
	// typed (api.parseKnowledgeQuery): a word prefix, 'word':*, or a phrase.
	tests := []struct {
		name              string
		terms, exclusions []string
		want              []string // titles, best first
	}{
		{"stem of a plural title word", []string{"'implante'"}, nil, []string{"Implantes dentários", "Implante com carga imediata", "Tabela de preços"}},
		{"accents ignored in the query", []string{"'dentarios'"}, nil, []string{"Implantes dentários"}},
		{"accents and case ignored", []string{"'DENTÁRIOS'"}, nil, []string{"Implantes dentários"}},
		{"body only", []string{"'cirurgia'"}, nil, []string{"Implante com carga imediata"}},
		{"prefix", []string{"'clarea':*"}, nil, []string{"Clareamento dental"}},
		{"phrase", []string{"('carga' <-> 'imediata')"}, nil, []string{"Implante com carga imediata"}},
		{"phrase out of order", []string{"('imediata' <-> 'carga')"}, nil, []string{}},
		{"exclusion", []string{"'implante'"}, []string{"'garantia'"}, []string{"Implante com carga imediata", "Tabela de preços"}},
		{"any word", []string{"'quanto':*", "'custa':*", "'clareamento':*"}, nil, []string{"Clareamento dental"}},
		// Tabela de preços has both words, in its body; the others one, in their title.
		{"more words matched first", []string{"'implante':*", "'coroa':*"}, nil,
			[]string{"Tabela de preços", "Implantes dentários", "Implante com carga imediata"}},
		{"as many words: the title first", []string{"'avaliação':*", "'dentários':*"}, nil,
			[]string{"Implantes dentários", "Tabela de preços"}},
		{"no match", []string{"'ortodontia':*"}, nil, []string{}},
		{"stop words only", []string{"'a'", "'de'"}, nil, []string{}},
		{"no terms", []string{}, nil, []string{}},
		{"no terms (null)", nil, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// As the tenant's owner (RLS applies) and as the service role (only the query's
			// own tenant filter applies): the other tenant's documents never appear.
			runAsOwner(t, d, tn, func(q *db.Queries) error {
				assertSearch(t, q, tn, tt.terms, tt.exclusions, tt.want)
				return nil
			})
			runAsService(t, d, func(q *db.Queries) error {
				assertSearch(t, q, tn, tt.terms, tt.exclusions, tt.want)
				return nil
			})
		})
	}
}

// assertSearch checks that searching the tenant's documents for any of terms and none
// of exclusions finds the titles want, best first.
func assertSearch(t *testing.T, q *db.Queries, tn dbtest.Tenant, terms, exclusions, want []string) {
	t.Helper()
	query := strings.Join(terms, " | ") + " -" + strings.Join(exclusions, " -")
	rows, err := q.KnowledgeDocumentSearch(t.Context(), db.KnowledgeDocumentSearchParams{
		TenantID: tn.ID, Terms: terms, Exclusions: exclusions, RowLimit: 10,
	})
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	titles := make([]string, 0, len(rows))
	for _, row := range rows {
		if row.TenantID != tn.ID {
			t.Errorf("search %q found %q of tenant %s", query, row.Title, row.TenantID)
		}
		if row.Rank <= 0 {
			t.Errorf("search %q: %q has rank %v", query, row.Title, row.Rank)
		}
		titles = append(titles, row.Title)
	}
	if !slices.Equal(titles, want) {
		t.Errorf("search %q = %q, want %q", query, titles, want)
	}
}

func TestKnowledgeDocumentSearchRowLimit(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	createDocuments(t, d, tn,
		[2]string{"Manutenção de implante", ""},
		[2]string{"Cuidados após o implante", ""},
	)
	runAsOwner(t, d, tn, func(q *db.Queries) error {
		rows, err := q.KnowledgeDocumentSearch(t.Context(), db.KnowledgeDocumentSearchParams{TenantID: tn.ID, Terms: []string{"'implante':*"}, RowLimit: 1})
		if err != nil {
			return err
		}
		// The seeded document matches in title and body, so it ranks first.
		if len(rows) != 1 || rows[0].Title != "Implantes dentários" {
			t.Errorf("search with limit 1 = %+v, want only Implantes dentários", rows)
		}
		return nil
	})
}

func TestKnowledgeDocumentSearchSnippet(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	tn := dbtest.SeedTenant(t, d, "clinica-a")
	filler := strings.Repeat("Atendemos de segunda a sexta com hora marcada. ", 30)
	createDocuments(t, d, tn, [2]string{"Clareamento dental",
		filler + "O «clareamento» a laser custa a partir de R$ 800. " + filler})

	tests := []struct {
		name  string
		terms []string
		want  []string // in the snippet
		not   []string // not in the snippet
	}{
		// The body's own « » become ‹ ›, so « » mark only the matched word.
		{"a body match is marked", []string{"'clarea':*"}, []string{"‹«clareamento»›", "laser"}, nil},
		{"every matched word is marked", []string{"'clareamento':*", "'custa':*"}, []string{"«clareamento»", "«custa»"}, nil},
		// Only the title matches: the beginning of the body, unmarked.
		{"a title match", []string{"'dental':*"}, []string{"Atendemos de segunda"}, []string{"«", "»"}},
	}
	for _, tt := range tests {
		runAsOwner(t, d, tn, func(q *db.Queries) error {
			rows, err := q.KnowledgeDocumentSearch(t.Context(), db.KnowledgeDocumentSearchParams{TenantID: tn.ID, Terms: tt.terms, RowLimit: 10})
			if err != nil {
				return err
			}
			if len(rows) != 1 {
				t.Fatalf("%s: found %d documents, want 1", tt.name, len(rows))
			}
			snippet := rows[0].Snippet
			for _, w := range tt.want {
				if !strings.Contains(snippet, w) {
					t.Errorf("%s: snippet %q lacks %q", tt.name, snippet, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(snippet, w) {
					t.Errorf("%s: snippet %q has %q", tt.name, snippet, w)
				}
			}
			// A passage, not the body.
			if n := len(strings.Fields(snippet)); n > 2*20+2 {
				t.Errorf("%s: snippet has %d words: %q", tt.name, n, snippet)
			}
			return nil
		})
	}
}
