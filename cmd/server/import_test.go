package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/atende/atende/legacy"
	_ "modernc.org/sqlite"
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
		"sync-deletes alone":      {"--file", "x.db", "--tenant", "a", "--sync-deletes"},
		"verify with sync":        {"--file", "x.db", "--tenant", "a", "--verify", "--sync"},
		"verify dry":              {"--file", "x.db", "--tenant", "a", "--verify", "--dry-run"},
	} {
		if _, err := parseImportFlags(args, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("%s: err = %v, want errUsage", name, err)
		}
	}
	f, err := parseImportFlags([]string{"--file", "x.db", "--tenant", "a", "--create-tenant", "--name", "A",
		"--dry-run", "--report-json", "r.json", "--legacy-timezone", "America/Sao_Paulo"}, &bytes.Buffer{})
	opts := f.opts
	if err != nil || !opts.CreateTenant || !opts.DryRun || opts.TenantName != "A" || f.reportJSON != "r.json" || opts.LegacyTimezone.String() != "America/Sao_Paulo" {
		t.Errorf("parse = %+v, %v", f, err)
	}
	f, err = parseImportFlags([]string{"--file", "x.db", "--tenant", "a", "--sync", "--sync-deletes"}, &bytes.Buffer{})
	if err != nil || !f.opts.Sync || !f.opts.SyncDeletes || f.verify {
		t.Errorf("parse --sync --sync-deletes = %+v, %v", f, err)
	}
	if f, err = parseImportFlags([]string{"--file", "x.db", "--tenant", "a", "--verify"}, &bytes.Buffer{}); err != nil || !f.verify {
		t.Errorf("parse --verify = %+v, %v", f, err)
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

// The runbook's commands: an import, a sync of the file changed since, a re-run that
// changes nothing, and --verify, which fails once a row is altered behind its back.
func TestImportSyncAndVerifyCommands(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v15.db")
	sample, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := importSQLite(ctx, append([]string{"--file", file, "--tenant", "clinica"}, args...), d.AdminURL, &stdout, &stderr)
		return stdout.String(), err
	}
	if out, err := run("--create-tenant", "--name", "Clínica"); err != nil || !strings.Contains(out, "rows: 1946 new, 0 updated, 0 unchanged") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	legacyFile, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := legacyFile.Exec("UPDATE contacts SET name = 'Outra Pessoa', updated_at = '2024-12-01 00:00:00' WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	legacyFile.Close()

	if out, err := run("--sync"); err != nil || !strings.Contains(out, "rows: 0 new, 1 updated, 1945 unchanged, 0 conflicts, 0 deleted in V1.5") ||
		!strings.Contains(out, "contacts 3 updated: name, updated_at") {
		t.Errorf("sync: %v\n%s", err, out)
	}
	if out, err := run("--sync"); err != nil || !strings.Contains(out, "rows: 0 new, 0 updated, 1946 unchanged") {
		t.Errorf("re-run: %v\n%s", err, out)
	}
	if out, err := run("--verify"); err != nil || !strings.Contains(out, "verify: the tenant has every row of the file") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	if _, err := d.Admin.Exec(ctx, "update contacts set name = 'Alguém' where name = 'Outra Pessoa'"); err != nil {
		t.Fatal(err)
	}
	out, err := run("--verify")
	if !errors.Is(err, errDifferences) || !strings.Contains(out, `contacts 3 different: name: V1.5 "Outra Pessoa", V1.6 "Alguém"`) {
		t.Errorf("verify after a change behind its back: %v\n%s", err, out)
	}
}
