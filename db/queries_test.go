package db_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// notTenantScoped marks a query that cannot take tenant_id, with the reason after it.
const notTenantScoped = "-- Not tenant-scoped:"

var (
	queryHeader    = regexp.MustCompile(`(?m)^-- name: (\w+) :\w+\s*$`)
	tenantIDParam  = regexp.MustCompile(`@tenant_id\b|sqlc\.n?arg\(\s*'?tenant_id'?\s*\)`)
	allowlist      = regexp.MustCompile(`query\.name in \[([^\]]*)\]`)
	allowlistEntry = regexp.MustCompile(`"(\w+)"`)
)

// TestQueriesTakeTenantID is layer 1 of isolation: every query in sql/queries takes the
// tenant as a parameter — not merely mentions the column — unless it says why it cannot
// on a "-- Not tenant-scoped:" line. The sqlc vet rule tenant-scoped checks the compiled
// SQL; its allowlist must name only queries that exist.
func TestQueriesTakeTenantID(t *testing.T) {
	files, err := filepath.Glob("../sql/queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files found (%v)", err)
	}
	var names []string
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range splitQueries(string(text)) {
			names = append(names, name)
			scoped := tenantIDParam.MatchString(body)
			exempt := strings.Contains(body, notTenantScoped)
			switch {
			case !scoped && !exempt:
				t.Errorf("%s: %s takes no tenant_id parameter and has no %q line", filepath.Base(file), name, notTenantScoped)
			case scoped && exempt:
				t.Errorf("%s: %s takes tenant_id but is marked %q", filepath.Base(file), name, notTenantScoped)
			}
		}
	}

	config, err := os.ReadFile("../sqlc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sqlc struct {
		Rules []struct{ Name, Rule string }
	}
	if err := yaml.Unmarshal(config, &sqlc); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sqlc.Rules, func(r struct{ Name, Rule string }) bool { return r.Name == "tenant-scoped" })
	if i < 0 {
		t.Fatal("sqlc.yaml has no tenant-scoped rule")
	}
	list := allowlist.FindStringSubmatch(sqlc.Rules[i].Rule)
	if list == nil {
		t.Fatal("the tenant-scoped rule has no `query.name in [...]` allowlist")
	}
	for _, m := range allowlistEntry.FindAllStringSubmatch(list[1], -1) {
		if !slices.Contains(names, m[1]) {
			t.Errorf("sqlc.yaml allowlists %s, which is not a query", m[1])
		}
	}
}

// splitQueries maps each query name in a sqlc query file to its text (comments included).
func splitQueries(text string) map[string]string {
	queries := map[string]string{}
	headers := queryHeader.FindAllStringSubmatchIndex(text, -1)
	for i, h := range headers {
		end := len(text)
		if i+1 < len(headers) {
			end = headers[i+1][0]
		}
		queries[text[h[2]:h[3]]] = text[h[1]:end]
	}
	return queries
}
