package api

import (
	"context"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atende/atende/db"
	"github.com/atende/atende/input"
	"github.com/labstack/echo/v4"
)

// The knowledge base the assistant answers from. Every member may curate it (its
// database policy allows all members to write).
func (s *Server) knowledgeRoutes(g *echo.Group) {
	g.GET("/knowledge", s.listKnowledge)
	g.POST("/knowledge", s.createKnowledge)
	g.GET("/knowledge/:id", s.getKnowledge)
	g.PATCH("/knowledge/:id", s.updateKnowledge)
	g.DELETE("/knowledge/:id", s.deleteKnowledge)
}

const knowledgeTitleMax = 500

type knowledgeCreate struct {
	Title     *string  `json:"title"`
	Content   *string  `json:"content"`
	SourceURL *string  `json:"source_url"`
	Tags      []string `json:"tags"`
}

func (r *knowledgeCreate) validate() error {
	if err := required("title", r.Title != nil); err != nil {
		return err
	}
	if err := textWithin("title", r.Title, knowledgeTitleMax); err != nil {
		return err
	}
	if r.Content == nil {
		r.Content = new(string)
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	var err error
	r.SourceURL, err = sourceURL(r.SourceURL)
	return err
}

type knowledgeUpdate struct {
	Title     Optional[string] `json:"title"`
	Content   Optional[string] `json:"content"`
	SourceURL Optional[string] `json:"source_url"`
	Tags      *[]string        `json:"tags"`
}

func (r *knowledgeUpdate) validate() error {
	if r.Title.Set {
		if err := textWithin("title", r.Title.Value, knowledgeTitleMax); err != nil {
			return err
		}
	}
	// Content is never null: clearing it empties it.
	if r.Content.Set && r.Content.Value == nil {
		r.Content.Value = new(string)
	}
	var err error
	r.SourceURL.Value, err = sourceURL(r.SourceURL.Value)
	return err
}

// sourceURL checks an optional document source: an absolute http(s) URL; blank means
// none.
func sourceURL(raw *string) (*string, error) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, nil
	}
	return optional(raw, func(v string) (string, error) { return input.WebURL("source_url", v) })
}

// listKnowledge lists documents newest first, or with ?q= searches them: a ranked
// search answers one page of at most ?limit= best matches, with no cursor.
func (s *Server) listKnowledge(c echo.Context) error {
	if query := strings.TrimSpace(c.QueryParam("q")); query != "" {
		return s.searchKnowledge(c, query)
	}
	return keysetList(c, s, s.asMember, "knowledge",
		func(ctx context.Context, q *db.Queries, m member, after *timeKey, limit int32) ([]db.KnowledgeDocumentListRow, error) {
			return q.KnowledgeDocumentList(ctx, db.KnowledgeDocumentListParams{
				TenantID: m.TenantID, BeforeCreatedAt: after.at(), BeforeID: after.id(), RowLimit: limit,
			})
		},
		func(last db.KnowledgeDocumentListRow) timeKey { return timeKey{At: last.CreatedAt, ID: last.ID} })
}

func (s *Server) searchKnowledge(c echo.Context, query string) error {
	if c.QueryParam("cursor") != "" {
		return fieldProblem("cursor", "a search (q) answers one ranked page and takes no cursor; raise limit (up to 100) for more matches")
	}
	limit, err := queryInt(c, "limit", 50, 1, 100)
	if err != nil {
		return err
	}
	search := parseKnowledgeQuery(query)
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (page[db.KnowledgeDocumentSearchRow], error) {
		// A query without words (only punctuation, say) has no terms and finds nothing.
		rows, err := q.KnowledgeDocumentSearch(ctx, db.KnowledgeDocumentSearchParams{
			TenantID: m.TenantID, Terms: search.Terms, Exclusions: search.Exclusions, RowLimit: int32(limit),
		})
		return page[db.KnowledgeDocumentSearchRow]{Items: rows}, err
	})
}

// knowledgeQuery is a knowledge-base search as KnowledgeDocumentSearch takes it: a
// document matches when it has any of Terms and none of Exclusions. Each is a tsquery
// built only from the letters and digits of what was typed and the operators written
// here, so no input can break tsquery syntax (to_tsquery then stems each word and drops
// stop words).
type knowledgeQuery struct {
	Terms      []string // 'word':* (a word prefix) or ('word' <-> 'word') (a phrase)
	Exclusions []string // 'word' or a phrase, each matched whole
}

const (
	// knowledgeQueryWordsMax bounds the words a search reads; more are ignored.
	knowledgeQueryWordsMax = 32
	// knowledgeWordMax is the longest word a search reads, in characters; longer ones
	// are not words anyone types, and are ignored.
	knowledgeWordMax = 100
	// knowledgePrefixMin is the shortest word matched as a prefix: shorter ones would
	// find nearly everything, and are matched whole.
	knowledgePrefixMin = 3
)

// parseKnowledgeQuery reads a search as people type it into a search box, in the manner
// of web search engines: words, any of which may match, each as a prefix ("clarea"
// finds "clareamento"); "quoted phrases", whose words must follow each other, matched
// whole; and -word or -"phrase", which no result may contain. A bare OR is dropped:
// every term is an alternative already. Anything but letters and digits separates
// words.
func parseKnowledgeQuery(raw string) knowledgeQuery {
	search := knowledgeQuery{Terms: []string{}, Exclusions: []string{}}
	seen := map[string]bool{}
	words := 0
	add := func(list *[]string, term string) {
		if key := strings.ToLower(term); !seen[key] {
			seen[key] = true
			*list = append(*list, term)
		}
	}
	rest := raw
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" || words >= knowledgeQueryWordsMax {
			return search
		}
		excluded := false
		if strings.HasPrefix(rest, "-") {
			excluded, rest = true, rest[1:]
		}
		quoted := strings.HasPrefix(rest, `"`)
		var token string
		if quoted {
			// An unclosed quote runs to the end.
			token, rest, _ = strings.Cut(rest[1:], `"`)
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			token, rest = rest[:end], rest[end:]
			if !excluded && strings.EqualFold(token, "or") {
				continue
			}
		}
		found := queryWords(token, knowledgeQueryWordsMax-words)
		words += len(found)
		switch {
		case len(found) == 0:
		case excluded:
			// A hyphenated word (-e-mail) is excluded as the phrase it is.
			add(&search.Exclusions, tsPhrase(found))
		case quoted:
			add(&search.Terms, tsPhrase(found))
		default:
			// Unquoted, "preço/valor" is two words, either of which may match.
			for _, w := range found {
				if utf8.RuneCountInString(w) >= knowledgePrefixMin {
					add(&search.Terms, "'"+w+"':*")
				} else {
					add(&search.Terms, "'"+w+"'")
				}
			}
		}
	}
}

// queryWords splits text into its runs of letters and digits, at most max of them,
// leaving out those longer than knowledgeWordMax. Accents typed as combining marks
// separate nothing and are dropped: the search ignores accents anyway.
func queryWords(text string, max int) []string {
	var words []string
	var word strings.Builder
	flush := func() {
		if n := utf8.RuneCountInString(word.String()); n > 0 && n <= knowledgeWordMax && len(words) < max {
			words = append(words, word.String())
		}
		word.Reset()
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		default:
			flush()
		}
	}
	flush()
	return words
}

// tsPhrase is the tsquery of words that must follow each other; one word is itself.
func tsPhrase(words []string) string {
	if len(words) == 1 {
		return "'" + words[0] + "'"
	}
	return "('" + strings.Join(words, "' <-> '") + "')"
}

func (s *Server) createKnowledge(c echo.Context) error {
	var req knowledgeCreate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusCreated, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentCreateRow, error) {
		return q.KnowledgeDocumentCreate(ctx, db.KnowledgeDocumentCreateParams{
			TenantID: m.TenantID, Title: *req.Title, Content: *req.Content, SourceUrl: req.SourceURL, Tags: req.Tags,
		})
	})
}

func (s *Server) getKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentGetRow, error) {
		return q.KnowledgeDocumentGet(ctx, db.KnowledgeDocumentGetParams{TenantID: m.TenantID, ID: id})
	})
}

func (s *Server) updateKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req knowledgeUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return answer(c, http.StatusOK, s.asMember, func(ctx context.Context, q *db.Queries, m member) (db.KnowledgeDocumentUpdateRow, error) {
		return q.KnowledgeDocumentUpdate(ctx, db.KnowledgeDocumentUpdateParams{
			TenantID: m.TenantID, ID: id,
			Title: req.Title.Value, Content: req.Content.Value,
			SetSourceUrl: req.SourceURL.Set, SourceUrl: req.SourceURL.Value,
			Tags: derefSlice(req.Tags),
		})
	})
}

func (s *Server) deleteKnowledge(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return answerNoContent(c, s.asMember, func(ctx context.Context, q *db.Queries, m member) error {
		return deleted(q.KnowledgeDocumentDelete(ctx, db.KnowledgeDocumentDeleteParams{TenantID: m.TenantID, ID: id}))
	})
}
