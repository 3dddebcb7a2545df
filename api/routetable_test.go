package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// This file derives test requests from the route table and the OpenAPI document, so
// that the isolation matrix and the bad-input sweep cover a new route without anyone
// editing them.

// route is one method and path of Echo's route table.
type route struct {
	Method string
	Path   string // Echo's notation: /api/v1/contacts/:id
}

// apiRoutes lists the test server's routes under /api/v1.
func (a *testAPI) apiRoutes() []route {
	var routes []route
	for _, r := range a.echo.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") && r.Method != "echo_route_not_found" && !strings.HasSuffix(r.Path, "/*") {
			routes = append(routes, route{Method: r.Method, Path: r.Path})
		}
	}
	slices.SortFunc(routes, func(x, y route) int { return strings.Compare(x.Method+x.Path, y.Method+y.Path) })
	return routes
}

func (r route) String() string { return r.Method + " " + r.Path }

// params lists the route's path parameters.
func (r route) params() []string {
	var names []string
	for _, part := range strings.Split(r.Path, "/") {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			names = append(names, name)
		}
	}
	return names
}

// resource is the first path segment after /api/v1/.
func (r route) resource() string {
	rest := strings.TrimPrefix(r.Path, "/api/v1/")
	resource, _, _ := strings.Cut(rest, "/")
	return resource
}

// with fills the route's path parameters.
func (r route) with(values map[string]string) string {
	parts := strings.Split(r.Path, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			parts[i] = values[name]
		}
	}
	return strings.Join(parts, "/")
}

// operation returns the document's operation for the route.
func (r route) operation(t *testing.T, doc *openapi3.T) *openapi3.Operation {
	t.Helper()
	path := echoParam.ReplaceAllString(r.Path, "{$1}")
	item := doc.Paths.Value(path)
	if item == nil || item.GetOperation(r.Method) == nil {
		t.Fatalf("%s is not in the OpenAPI document", r)
	}
	return item.GetOperation(r.Method)
}

// requestSchema is the JSON schema of the operation's request body, or nil.
func requestSchema(op *openapi3.Operation) *openapi3.Schema {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return nil
	}
	return media.Schema.Value
}

// sample builds the smallest value the schema accepts: its example when it has one (a
// pattern the generator cannot satisfy), an object with its required properties, the
// first enum value, the minimum, a UUID for format uuid, and so on.
func sample(s *openapi3.Schema) any {
	if s.Example != nil {
		return s.Example
	}
	for _, e := range s.Enum {
		if e != nil {
			return e
		}
	}
	types := s.Type.Slice()
	types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == "null" })
	if len(types) == 0 {
		return "sample"
	}
	switch types[0] {
	case "object":
		// The required properties, and those of the first alternative when the schema
		// requires one of several (anyOf / oneOf).
		required := slices.Clone(s.Required)
		for _, alternatives := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf} {
			if len(alternatives) > 0 && alternatives[0].Value != nil {
				required = append(required, alternatives[0].Value.Required...)
			}
		}
		object := map[string]any{}
		for _, name := range required {
			object[name] = sample(s.Properties[name].Value)
		}
		return object
	case "array":
		return []any{}
	case "integer", "number":
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case "boolean":
		return false
	}
	switch s.Format {
	case "uuid":
		return uuid.NewString()
	case "date-time":
		return time.Now().UTC().Format(time.RFC3339)
	case "email":
		return "sample@example.com"
	}
	return strings.Repeat("x", max(1, int(s.MinLength)))
}

// resourceTables maps a path's resource to the table its :id or :key names. A route
// with a parameter whose resource is missing here fails the tests until it is added.
var resourceTables = map[string]string{
	"contacts":      "contacts",
	"leads":         "leads_pipeline",
	"conversations": "conversations",
	"campaigns":     "campaigns",
	"knowledge":     "knowledge_documents",
	"invitations":   "invitations",
	"users":         "users",
	"settings":      "system_settings",
}

// skippedRoutes are routes the generated sweeps cannot drive, with the reason.
var skippedRoutes = map[string]string{
	"webhooks": "addressed by tenant id (or, for WhatsApp, by Meta's phone number id) and authenticated by an HMAC signature, not by a token; webhooks_test.go and whatsapp_test.go cover foreign tenants, bad signatures and bad bodies",
}

// tenantKeySetting is a setting key that only the tenant it is created for has.
const tenantKeySetting = "only.this.tenant"

// pathValues returns, for each parameter of the route, the value naming one of the
// tenant's rows: its id, or for settings a key only that tenant has.
func (a *testAPI) pathValues(t *testing.T, r route, tenantID uuid.UUID) map[string]string {
	t.Helper()
	table, ok := resourceTables[r.resource()]
	if !ok {
		t.Fatalf("%s: add its resource %q to resourceTables (or skippedRoutes, with the reason)", r, r.resource())
	}
	values := map[string]string{}
	ctx := context.Background()
	for _, name := range r.params() {
		column := name
		if column == "key" {
			if _, err := a.db.Admin.Exec(ctx, `insert into system_settings (tenant_id, key, value) values ($1, $2, '"x"') on conflict do nothing`, tenantID, tenantKeySetting); err != nil {
				t.Fatal(err)
			}
			values[name] = tenantKeySetting
			continue
		}
		var id uuid.UUID
		// The last-created row: for users, the agent rather than the owner.
		query := fmt.Sprintf("select %s from public.%s where tenant_id = $1 order by created_at desc limit 1", pgx.Identifier{column}.Sanitize(), table)
		if err := a.db.Admin.QueryRow(ctx, query, tenantID).Scan(&id); err != nil {
			t.Fatalf("%s: no %s row of tenant %s: %v", r, table, tenantID, err)
		}
		values[name] = id.String()
	}
	return values
}

// probe is a route with its path filled in for one tenant.
type probe struct {
	route route
	path  string
}

// probes fills every route's path parameters with rows of the tenant, logging the
// routes skipped and why. Naming a settings key creates it, so call this before taking
// a snapshot of the tenant.
func (a *testAPI) probes(t *testing.T, tenantID uuid.UUID) []probe {
	t.Helper()
	var probes []probe
	for _, r := range a.apiRoutes() {
		if reason, skip := skippedRoutes[r.resource()]; skip {
			t.Logf("not probed: %s: %s", r, reason)
			continue
		}
		path := r.Path
		if len(r.params()) > 0 {
			path = r.with(a.pathValues(t, r, tenantID))
		}
		probes = append(probes, probe{r, path})
	}
	return probes
}

// tenantTable is a table of public and the column naming its tenant.
type tenantTable struct{ name, column string }

// tenantTables lists the tables of public from the catalogue.
func (a *testAPI) tenantTables(t *testing.T) []tenantTable {
	t.Helper()
	rows, err := a.db.Admin.Query(context.Background(), `
		select relname::text, case when relname = 'tenants' then 'id' else 'tenant_id' end
		from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (tenantTable, error) {
		var tb tenantTable
		return tb, row.Scan(&tb.name, &tb.column)
	})
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// tenantSnapshot renders every row of the tenant, in every table, as sorted JSON: equal
// snapshots mean nothing of the tenant changed.
func (a *testAPI) tenantSnapshot(t *testing.T, tenantID uuid.UUID) map[string]string {
	t.Helper()
	snapshot := map[string]string{}
	for _, tb := range a.tenantTables(t) {
		var rendered string
		query := fmt.Sprintf(`select coalesce(string_agg(to_jsonb(t)::text, E'\n' order by to_jsonb(t)::text), '') from public.%s t where %s = $1`,
			pgx.Identifier{tb.name}.Sanitize(), pgx.Identifier{tb.column}.Sanitize())
		if err := a.db.Admin.QueryRow(context.Background(), query, tenantID).Scan(&rendered); err != nil {
			t.Fatal(err)
		}
		snapshot[tb.name] = rendered
	}
	return snapshot
}

// expectSnapshot fails the test for every table whose rows of the tenant changed.
func expectSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for table, rows := range before {
		if after[table] != rows {
			t.Errorf("%s: rows of %s changed:\nbefore %s\nafter  %s", what, table, rows, after[table])
		}
	}
}

// tenantIDs lists the tenant's id and the id of every row it has, to look for in
// responses that must not show them.
func (a *testAPI) tenantIDs(t *testing.T, tenantID uuid.UUID) []string {
	t.Helper()
	ids := []string{tenantID.String()}
	for _, tb := range a.tenantTables(t) {
		var found []string
		query := fmt.Sprintf(`select coalesce(array_agg(to_jsonb(t) ->> 'id') filter (where to_jsonb(t) ? 'id'), '{}') from public.%s t where %s = $1`,
			pgx.Identifier{tb.name}.Sanitize(), pgx.Identifier{tb.column}.Sanitize())
		if err := a.db.Admin.QueryRow(context.Background(), query, tenantID).Scan(&found); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, found...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
