package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/api"
	"github.com/atende/atende/db"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"
)

// openAPIDoc loads the served document, failing the test when it is invalid OpenAPI 3.1.
func openAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.IsOpenAPI31OrLater()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	return doc
}

var echoParam = regexp.MustCompile(`:(\w+)`)

// routeKeys lists Echo's routes as "METHOD /path/{param}", the document's notation.
func routeKeys(e *echo.Echo) []string {
	var keys []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		keys = append(keys, r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// TestOpenAPIMatchesRoutes fails when a route is missing from the document or the
// document names a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	e := api.New(api.Config{}, db.DB{}, nil)
	served := routeKeys(e)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in api/openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("api/openapi.yaml documents %s, which is not a route", d)
		}
	}
	if len(served) < 3 {
		t.Fatalf("only %d routes found", len(served))
	}
}

// TestOpenAPIServed checks that the document is served as JSON.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	res := a.do(request{method: "GET", path: "/api/v1/openapi.json"}).expect(t, http.StatusOK)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	res.into(t, &doc)
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) == 0 {
		t.Fatalf("served document: openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

// responseValidator wraps the API so that every response the test suite provokes is
// checked against the document: its status must be documented and its body must match
// the schema. Violations fail the test that made the request.
type responseValidator struct {
	t       *testing.T
	next    http.Handler
	router  routers.Router
	options *openapi3filter.Options
}

func newResponseValidator(t *testing.T, next http.Handler) *responseValidator {
	t.Helper()
	router, err := legacy.NewRouter(openAPIDoc(t))
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	return &responseValidator{t: t, next: next, router: router, options: &openapi3filter.Options{
		IncludeResponseStatus:   true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()},
	}}
}

func (v *responseValidator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The event stream does not end while the test reads it: it is not recorded, and
	// its wire format is checked by the event tests.
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/events" {
		v.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	v.next.ServeHTTP(rec, r)
	for k, values := range rec.Header() {
		w.Header()[k] = values
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())

	// The router matches on path and method; the host names a tenant, not a server.
	routed := r.Clone(context.Background())
	routed.Host, routed.URL.Host = "", ""
	route, params, err := v.router.FindRoute(routed)
	if err != nil {
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			v.t.Errorf("%s %s answered %d but is not in the OpenAPI document", r.Method, r.URL.Path, rec.Code)
		}
		return
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Options:                v.options,
	}
	input.SetBodyBytes(bytes.Clone(rec.Body.Bytes()))
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		v.t.Errorf("%s %s: response %d does not match the OpenAPI document: %v", r.Method, r.URL.Path, rec.Code, err)
	}
}

// operationID is a camelCase verb phrase: listContacts, rotateWebhookSecret.
var operationID = regexp.MustCompile(`^[a-z]+[A-Za-z0-9]*$`)

// TestOpenAPIOperationIDs fails for an operation without an operationId, or one whose
// operationId another operation has: generated clients name their functions and types
// after them.
func TestOpenAPIOperationIDs(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			switch id := op.OperationID; {
			case id == "":
				t.Errorf("%s has no operationId", where)
			case !operationID.MatchString(id):
				t.Errorf("%s: operationId %q is not camelCase", where, id)
			case seen[id] != "":
				t.Errorf("%s: operationId %q is also %s's", where, id, seen[id])
			default:
				seen[id] = where
			}
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d operations found", len(seen))
	}
}

// schemaSite is a schema where the document writes it.
type schemaSite struct {
	where     string
	component string // its name, for a component schema
	schema    *openapi3.Schema
	member    bool // written inline as a member of an allOf
}

// documentSchemas lists every schema the document writes, each once: the component
// schemas under their names and the inline schemas of the paths and components, with
// their subschemas. A reference is not followed (its target is listed as a component);
// the component names referenced from an allOf are returned as members.
func documentSchemas(doc *openapi3.T) (sites []schemaSite, members, direct map[string]bool) {
	members, direct = map[string]bool{}, map[string]bool{}
	var walk func(where, component string, ref *openapi3.SchemaRef, member bool)
	walk = func(where, component string, ref *openapi3.SchemaRef, member bool) {
		if ref == nil {
			return
		}
		if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok && component == "" {
			if member {
				members[name] = true
			} else {
				direct[name] = true
			}
			return
		}
		s := ref.Value
		sites = append(sites, schemaSite{where, component, s, member})
		sub := func(where string, ref *openapi3.SchemaRef, member bool) { walk(where, "", ref, member) }
		for name, p := range s.Properties {
			sub(where+".properties."+name, p, false)
		}
		sub(where+".items", s.Items, false)
		sub(where+".additionalProperties", s.AdditionalProperties.Schema, false)
		sub(where+".not", s.Not, false)
		for kind, refs := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "anyOf": s.AnyOf, "oneOf": s.OneOf, "prefixItems": s.PrefixItems} {
			for i, r := range refs {
				sub(fmt.Sprintf("%s.%s[%d]", where, kind, i), r, kind == "allOf")
			}
		}
	}
	content := func(where string, c openapi3.Content) {
		for mediaType, m := range c {
			walk(where+" "+mediaType, "", m.Schema, false)
		}
	}
	parameters := func(where string, ps openapi3.Parameters) {
		for _, p := range ps {
			if p.Ref == "" {
				walk(where+" parameter "+p.Value.Name, "", p.Value.Schema, false)
			}
		}
	}
	responses := func(where string, rs map[string]*openapi3.ResponseRef) {
		for status, r := range rs {
			if r.Ref == "" {
				content(where+" "+status, r.Value.Content)
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, name, s, false)
	}
	for name, p := range doc.Components.Parameters {
		walk("parameter "+name, "", p.Value.Schema, false)
	}
	responses("response", doc.Components.Responses)
	for path, item := range doc.Paths.Map() {
		parameters(path, item.Parameters)
		for method, op := range item.Operations() {
			where := method + " " + path
			parameters(where, op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Ref == "" {
				content(where+" request", op.RequestBody.Value.Content)
			}
			responses(where, op.Responses.Map())
		}
	}
	return sites, members, direct
}

// TestOpenAPIObjectsSayWhetherOpen fails for an object schema that does not say whether
// it takes keys besides its properties, so that generated clients type it right: without
// additionalProperties, openapi-typescript makes a free-form object Record<string,
// never>. Closed objects state additionalProperties: false (the server refuses unknown
// keys), free-form ones true.
//
// With JSON Schema 2020-12, additionalProperties sees only its own schema's properties:
// on a member of an allOf, false would refuse the other members' properties. So a
// composition closes itself with unevaluatedProperties (which sees every member's), and
// its members, inline or referenced, leave additionalProperties out or true.
func TestOpenAPIObjectsSayWhetherOpen(t *testing.T) {
	t.Parallel()
	sites, members, direct := documentSchemas(openAPIDoc(t))
	closes := func(b openapi3.BoolSchema) bool { return b.Has != nil && !*b.Has }
	var objects int
	for _, site := range sites {
		s := site.schema
		// A component referenced only from allOf is a member; one referenced nowhere is
		// checked as a schema of its own.
		member := site.member || members[site.component] && !direct[site.component]
		stated := s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil
		object := s.Type.Includes("object") || len(s.Properties) > 0
		switch {
		case len(s.AllOf) > 0 && s.UnevaluatedProperties.Has == nil && s.UnevaluatedProperties.Schema == nil:
			t.Errorf("%s: an allOf composition must state unevaluatedProperties: false (closed) or true", site.where)
		case (site.member || members[site.component]) && (closes(s.AdditionalProperties) || closes(s.UnevaluatedProperties)):
			t.Errorf("%s is a member of an allOf: closing it refuses the other members' properties; close the composition with unevaluatedProperties: false", site.where)
		case object && !member && !stated:
			t.Errorf("%s: an object schema must state additionalProperties: false (closed) or true (free-form)", site.where)
		}
		if object || len(s.AllOf) > 0 {
			objects++
		}
	}
	if objects < 3 {
		t.Fatalf("only %d object schemas found", objects)
	}
}
