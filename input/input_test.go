package input_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/atende/atende/input"
)

// check runs a rule on inputs that must pass (with the normalised value expected) and on
// inputs that must fail naming the field.
func check(t *testing.T, rule func(string) (string, error), field string, valid map[string]string, invalid []string) {
	t.Helper()
	for in, want := range valid {
		if got, err := rule(in); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range invalid {
		got, err := rule(in)
		var inputErr *input.Error
		if !errors.As(err, &inputErr) || inputErr.Field != field || !strings.Contains(inputErr.Reason, field) {
			t.Errorf("%q: got %q, %v; want an error naming %s", in, got, err, field)
		}
	}
}

func TestSlug(t *testing.T) {
	t.Parallel()
	check(t, input.Slug, "slug",
		map[string]string{"clinica-a": "clinica-a", " Clinica-A ": "clinica-a", "a": "a", strings.Repeat("a", 63): strings.Repeat("a", 63)},
		[]string{"", "-a", "a-", "a_b", "a.b", "clínica", strings.Repeat("a", 64)})
}

func TestTenantName(t *testing.T) {
	t.Parallel()
	check(t, input.TenantName, "name",
		map[string]string{"  Clínica A ": "Clínica A", strings.Repeat("é", 200): strings.Repeat("é", 200)},
		[]string{"", "   ", strings.Repeat("é", 201)})
}

func TestCustomDomain(t *testing.T) {
	t.Parallel()
	rule := func(raw string) (string, error) { return input.CustomDomain(raw, "atende.com.br") }
	check(t, rule, "custom_domain",
		map[string]string{"Atendimento.Clinica.com.BR.": "atendimento.clinica.com.br", "clinica.com": "clinica.com"},
		[]string{"clinica", "https://clinica.com", "clinica.com:8443", "clinica.com/x", "x.atende.com.br", "atende.com.br", "1.2.3.4"})
}

func TestEmail(t *testing.T) {
	t.Parallel()
	rule := func(raw string) (string, error) { return input.Email("email", raw) }
	check(t, rule, "email",
		map[string]string{"  Ana@Example.COM ": "ana@example.com", "ana.souza+1@clinica.com.br": "ana.souza+1@clinica.com.br"},
		[]string{"", "ana", "ana@", "@example.com", "Ana <ana@example.com>", "ana @example.com", strings.Repeat("a", 320) + "@x.com"})
}

func TestPhone(t *testing.T) {
	t.Parallel()
	rule := func(raw string) (string, error) { return input.Phone("phone", raw, "BR") }
	valid := map[string]string{}
	for _, in := range []string{"+55 11 98765-4321", "(11) 98765-4321", "11987654321", "5511987654321", "011 98765 4321"} {
		valid[in] = "+5511987654321"
	}
	check(t, rule, "phone", valid, []string{"12345", "abc", "987654321", ""})
}

func TestURLs(t *testing.T) {
	t.Parallel()
	https := func(raw string) (string, error) { return input.HTTPSURL("logo_url", raw) }
	check(t, https, "logo_url",
		map[string]string{" https://cdn.example/a.png ": "https://cdn.example/a.png"},
		[]string{"http://cdn.example/a.png", "javascript:alert(1)", "data:image/png;base64,AAAA", "//cdn.example/a.png", "https://", "https://x.example/" + strings.Repeat("a", 2048)})
	web := func(raw string) (string, error) { return input.WebURL("source_url", raw) }
	check(t, web, "source_url",
		map[string]string{"http://clinica.example/precos": "http://clinica.example/precos", "https://clinica.example": "https://clinica.example"},
		[]string{"javascript:alert(1)", "ftp://clinica.example", "clinica.example"})
}

func TestSettingKeyAndText(t *testing.T) {
	t.Parallel()
	check(t, input.SettingKey, "key",
		map[string]string{"inbox.greeting": "inbox.greeting", "a-b_c.1": "a-b_c.1"},
		[]string{"", "Inbox", ".x", "a b", strings.Repeat("a", 101)})
	text := func(raw string) (string, error) { return input.Text("title", raw, 6) }
	check(t, text, "title", map[string]string{" ação ": " ação "}, []string{"", "   ", "sete ch"})
}

func TestTime(t *testing.T) {
	t.Parallel()
	got, err := input.Time("at", "2026-03-01T12:00:00.123456789-03:00")
	if err != nil || got.UTC().Format("2006-01-02T15:04:05.000000000Z") != "2026-03-01T15:00:00.123456000Z" {
		t.Errorf("got %v, %v; want 15:00:00.123456 UTC, truncated to microseconds", got, err)
	}
	var inputErr *input.Error
	if _, err := input.Time("at", "yesterday"); !errors.As(err, &inputErr) || inputErr.Field != "at" {
		t.Errorf("yesterday: %v, want an error naming at", err)
	}
}
