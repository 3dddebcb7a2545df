package api_test

import (
	"bytes"
	"context"
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
