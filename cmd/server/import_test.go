package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
)

const sampleFile = "../../legacy/testdata/sample_v15.db"

func TestImportFlags(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"no flags":                {},
		"no tenant":               {"--file", "x.db"},
		"create without name":     {"--file", "x.db", "--tenant", "a", "--create-tenant"},
		"name without create":     {"--file", "x.db", "--tenant", "a", "--name", "A"},
		"unknown flag":            {"--file", "x.db", "--tenant", "a", "--force"},
		"stray argument":          {"--file", "x.db", "--tenant", "a", "extra"},
		"unknown legacy timezone": {"--file", "x.db", "--tenant", "a", "--legacy-timezone", "Mars/Olympus"},
	} {
		if _, _, err := parseImportFlags(args, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("%s: err = %v, want errUsage", name, err)
		}
	}
	opts, reportJSON, err := parseImportFlags([]string{"--file", "x.db", "--tenant", "a", "--create-tenant", "--name", "A",
		"--dry-run", "--report-json", "r.json", "--legacy-timezone", "America/Sao_Paulo"}, &bytes.Buffer{})
	if err != nil || !opts.CreateTenant || !opts.DryRun || opts.TenantName != "A" || reportJSON != "r.json" || opts.LegacyTimezone.String() != "America/Sao_Paulo" {
		t.Errorf("parse = %+v, %q, %v", opts, reportJSON, err)
	}
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	reportPath := filepath.Join(t.TempDir(), "report.json")

	var stdout, stderr bytes.Buffer
	err := importSQLite(ctx, []string{"--file", sampleFile, "--tenant", "clinica", "--create-tenant", "--name", "Clínica", "--report-json", reportPath},
		d.AdminURL, &stdout, &stderr)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "messages") || !strings.Contains(stdout.String(), "1500") || !strings.Contains(stderr.String(), "rows/s") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var report legacy.Report
	if err := json.Unmarshal(data, &report); err != nil || !report.Landed || report.Table("messages").Imported != 1500 {
		t.Errorf("report file: landed %v, err %v", report.Landed, err)
	}

	// The tenant was made as every tenant is (db.CreateTenant): with its secret and its
	// default settings, the locale among them though the file has none.
	var locale string
	var secrets int
	if err := d.Admin.QueryRow(ctx, `
		select s.value #>> '{}', (select count(*) from tenant_secrets x where x.tenant_id = t.id)
		from tenants t join system_settings s on s.tenant_id = t.id and s.key = 'locale'
		where t.slug = 'clinica'`).Scan(&locale, &secrets); err != nil || locale != "pt-BR" || secrets != 1 {
		t.Errorf("created tenant: locale %q, %d secrets (%v); want pt-BR and 1", locale, secrets, err)
	}
	// The same rules as the API's for the new tenant's slug.
	for _, slug := range []string{"www", "api", "-clinica"} {
		err := importSQLite(ctx, []string{"--file", sampleFile, "--tenant", slug, "--create-tenant", "--name", "X"}, d.AdminURL, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "slug") {
			t.Errorf("--tenant %s --create-tenant: err = %v, want the slug refused", slug, err)
		}
	}

	// A tenant that does not exist: the command fails, and not as a usage error.
	err = importSQLite(ctx, []string{"--file", sampleFile, "--tenant", "missing"}, d.AdminURL, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, legacy.ErrTenantNotFound) || errors.Is(err, errUsage) {
		t.Errorf("missing tenant: err = %v", err)
	}
}
