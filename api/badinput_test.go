package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/getkin/kin-openapi/openapi3"
)

// badBody is a request body that must be refused, and how.
type badBody struct {
	name   string
	body   string
	status int
	field  string // the field the problem must name; "" when none
}

// badBodies derives, from an operation's request schema, bodies that break it: malformed
// JSON, not an object, an unknown field, an unknown key inside each closed object the
// body nests (at any depth), each required field missing, each typed field with a value
// of another type, each UUID or time field malformed, each enum field with an unknown
// value, and a body over the size limit.
func badBodies(s *openapi3.Schema) []badBody {
	valid := sample(s).(map[string]any)
	encode := func(v map[string]any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	with := func(name string, value any) map[string]any {
		v := map[string]any{}
		for k, x := range valid {
			v[k] = x
		}
		if value == nil {
			delete(v, name)
		} else {
			v[name] = value
		}
		return v
	}
	bodies := []badBody{
		{"malformed JSON", `{"name": `, http.StatusBadRequest, ""},
		{"not an object", `[1, 2]`, http.StatusBadRequest, ""},
		{"unknown field", encode(with("no_such_field", 1)), http.StatusBadRequest, "no_such_field"},
		{"oversize", `{"x": "` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, ""},
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		prop := s.Properties[name].Value
		if slices.Contains(s.Required, name) {
			bodies = append(bodies, badBody{"missing " + name, encode(with(name, nil)), http.StatusBadRequest, name})
		}
		if wrong, ok := wrongType(prop); ok {
			bodies = append(bodies, badBody{name + " of the wrong type", encode(with(name, wrong)), http.StatusBadRequest, name})
		}
		if prop.Format == "uuid" || prop.Format == "date-time" {
			bodies = append(bodies, badBody{name + " not a " + prop.Format, encode(with(name, "not-a-"+prop.Format)), http.StatusBadRequest, name})
		}
		if len(prop.Enum) > 0 {
			bodies = append(bodies, badBody{name + " not one of its values", encode(with(name, "no-such-value")), http.StatusBadRequest, name})
		}
		// A misspelt key deep in a field is refused like one at the top, and the problem
		// names the top-level field.
		for _, n := range unknownKeyInside(prop, name) {
			bodies = append(bodies, badBody{"unknown key in " + n.where, encode(with(name, n.value)), http.StatusBadRequest, name})
		}
	}
	return bodies
}

// nestedValue is a value for a field, and where in it the unknown key is.
type nestedValue struct {
	where string
	value any
}

// unknownKeyInside returns, for each closed object schema s is or holds (in its
// properties, items and alternatives, at any depth), a value s would accept but for an
// unknown key in that object.
func unknownKeyInside(s *openapi3.Schema, where string) []nestedValue {
	var found []nestedValue
	isObject := s.Type.Includes("object") || len(s.Properties) > 0 || len(s.AllOf) > 0
	closed := func(b openapi3.BoolSchema) bool { return b.Has != nil && !*b.Has }
	if isObject && (closed(s.AdditionalProperties) || closed(s.UnevaluatedProperties)) {
		object := objectSample(s)
		object["no_such_field"] = 1
		found = append(found, nestedValue{where, object})
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, inner := range unknownKeyInside(s.Properties[name].Value, where+"."+name) {
			object := objectSample(s)
			object[name] = inner.value
			found = append(found, nestedValue{inner.where, object})
		}
	}
	if s.Items != nil {
		for _, inner := range unknownKeyInside(s.Items.Value, where+"[0]") {
			found = append(found, nestedValue{inner.where, []any{inner.value}})
		}
	}
	for _, alternatives := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		for _, a := range alternatives {
			found = append(found, unknownKeyInside(a.Value, where)...)
		}
	}
	return found
}

// objectSample is the smallest object the schema accepts, to add keys to.
func objectSample(s *openapi3.Schema) map[string]any {
	if object, ok := sample(s).(map[string]any); ok {
		return object
	}
	return map[string]any{}
}

// wrongType is a value of a JSON type the schema does not allow, if it restricts types.
func wrongType(s *openapi3.Schema) (any, bool) {
	types := s.Type.Slice()
	anyJSON := !slices.ContainsFunc([]string{"object", "array", "string", "number", "boolean", "null"}, func(t string) bool {
		return !slices.Contains(types, t)
	})
	switch {
	case len(types) == 0, anyJSON: // any JSON value is of the right type
		return nil, false
	case slices.Contains(types, "string"):
		return 12345, true
	default:
		return "not the right type", true
	}
}

// TestBadInputOnEveryWriteRoute sends every write route of the route table the bad
// bodies its OpenAPI schema implies, and every route with an id a malformed one: each
// is a 4xx problem naming the field, and nothing of the tenant is written.
func TestBadInputOnEveryWriteRoute(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.OwnerID)
	doc := openAPIDoc(t)

	// Every route but the lists, which take no body and no id.
	probes := slices.DeleteFunc(a.probes(t, tn.ID), func(p probe) bool {
		return len(p.route.params()) == 0 && p.route.Method == http.MethodGet
	})
	before := a.tenantSnapshot(t, tn.ID)

	var sent int
	check := func(what string, res response, status int, field string) {
		t.Helper()
		sent++
		if res.status != status {
			t.Errorf("%s: status %d, want %d: %s", what, res.status, status, res.body)
			return
		}
		if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q, want application/problem+json", what, ct)
		}
		if p := res.problem(t); p.Field != field || p.Detail == "" {
			t.Errorf("%s: problem %+v, want one naming field %q", what, p, field)
		}
	}
	for _, p := range probes {
		if slices.Contains(p.route.params(), "id") {
			path := p.route.with(map[string]string{"id": "not-a-uuid", "key": tenantKeySetting})
			check(p.route.String()+" with a malformed id", a.do(request{method: p.route.Method, path: path, token: token, body: "{}"}), http.StatusBadRequest, "id")
		}
		schema := requestSchema(p.route.operation(t, doc))
		if schema == nil {
			continue
		}
		for _, bad := range badBodies(schema) {
			res := a.do(request{method: p.route.Method, path: p.path, token: token, body: bad.body})
			check(p.route.String()+": "+bad.name, res, bad.status, bad.field)
		}
	}
	expectSnapshot(t, "after every bad request", before, a.tenantSnapshot(t, tn.ID))
	t.Logf("%d bad requests on %d routes", sent, len(probes))
}

// TestBadCursorOnEveryList sends every list route that takes a cursor a forged one, and
// one minted for another tenant's list: both are a 400 naming the cursor.
func TestBadCursorOnEveryList(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tenantA := dbtest.SeedTenant(t, a.db, "clinica-a")
	tenantB := dbtest.SeedTenant(t, a.db, "clinica-b")
	doc := openAPIDoc(t)

	// A real cursor of tenant B's contact list.
	for i := range 3 {
		a.do(request{method: "POST", path: "/api/v1/contacts", token: a.token(tenantB.OwnerID),
			body: map[string]any{"name": "Contato " + string(rune('a'+i))}}).expect(t, http.StatusCreated)
	}
	var bPage struct {
		NextCursor *string `json:"next_cursor"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts?limit=1", token: a.token(tenantB.OwnerID)}).expect(t, http.StatusOK).into(t, &bPage)
	if bPage.NextCursor == nil {
		t.Fatal("tenant B's first page has no next_cursor")
	}
	forged := "eyJsIjoiY29udGFjdHMifQ.c2lnbmF0dXJl"

	var lists int
	for _, r := range a.apiRoutes() {
		if r.Method != http.MethodGet || slices.ContainsFunc(r.operation(t, doc).Parameters, func(p *openapi3.ParameterRef) bool {
			return p.Value.Name == "cursor"
		}) == false {
			continue
		}
		if _, skip := skippedRoutes[r.resource()]; skip {
			continue
		}
		path := r.Path
		if len(r.params()) > 0 {
			path = r.with(a.pathValues(t, r, tenantA.ID))
		}
		lists++
		for _, cursor := range []string{forged, *bPage.NextCursor, "%%%"} {
			res := a.do(request{method: "GET", path: path + "?cursor=" + strings.ReplaceAll(cursor, "%", "%25"), token: a.token(tenantA.OwnerID)})
			if res.status != http.StatusBadRequest || res.problem(t).Field != "cursor" {
				t.Errorf("%s with cursor %q: %d %s, want 400 naming cursor", r, cursor, res.status, res.body)
			}
		}
	}
	if lists == 0 {
		t.Fatal("no list route takes a cursor")
	}
}
