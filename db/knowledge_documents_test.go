package db_test

import (
	"slices"
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
		[2]string{"Clareamento dental", "Clareamento a laser em duas sessões."},
	)
	createDocuments(t, d, other, [2]string{"Implantes para a outra clínica", "Só da clínica B."})

	tests := []struct {
		name  string
		query string
		want  []string // titles, best first
	}{
		{"stem of a plural title word", "implante", []string{"Implantes dentários", "Implante com carga imediata", "Tabela de preços"}},
		{"accents ignored in the query", "dentarios", []string{"Implantes dentários"}},
		{"accents and case ignored", "DENTÁRIOS", []string{"Implantes dentários"}},
		{"two words, both in a title", "implantes dentários", []string{"Implantes dentários"}},
		{"body only", "cirurgia", []string{"Implante com carga imediata"}},
		{"web-search exclusion", "implante -garantia", []string{"Implante com carga imediata", "Tabela de preços"}},
		{"no match", "ortodontia", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// As the tenant's owner (RLS applies) and as the service role (only the query's
			// own tenant filter applies): the other tenant's documents never appear.
			runAsOwner(t, d, tn, func(q *db.Queries) error {
				assertSearch(t, q, tn, tt.query, tt.want)
				return nil
			})
			runAsService(t, d, func(q *db.Queries) error {
				assertSearch(t, q, tn, tt.query, tt.want)
				return nil
			})
		})
	}
}

// assertSearch checks that searching the tenant's documents for query finds the titles
// want, ranked: documents whose title matches come before those matched only in the body.
func assertSearch(t *testing.T, q *db.Queries, tn dbtest.Tenant, query string, want []string) {
	t.Helper()
	rows, err := q.KnowledgeDocumentSearch(t.Context(), db.KnowledgeDocumentSearchParams{TenantID: tn.ID, Query: query, RowLimit: 10})
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
		rows, err := q.KnowledgeDocumentSearch(t.Context(), db.KnowledgeDocumentSearchParams{TenantID: tn.ID, Query: "implante", RowLimit: 1})
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
