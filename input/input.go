// Package input holds the rules for the values people type into Atende — a tenant's
// name and address, emails, phone numbers, links, setting keys, times — so that every
// entry point (the HTTP API, the command line, the V1.5 importer) applies the same rule,
// written once. Each function normalises a raw value and returns it, or an *Error naming
// the field. The database repeats, as checks, the rules that must hold for every writer.
package input

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Error is a value that breaks its rule. Reason is a sentence naming the field.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func invalid(field, format string, args ...any) *Error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits the database also checks.
const (
	TenantNameMax = 200
	EmailMax      = 320
	URLMax        = 2048
)

var (
	// dnsLabel is a slug: what tenants_slug_check says.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// domainName is a custom domain: two labels or more, the last not numeric, as
	// tenants_custom_domain_check says.
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// settingKey is what system_settings_key_check says.
	settingKey = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)
)

// TenantName trims a tenant's name and checks its length.
func TenantName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || utf8.RuneCountInString(name) > TenantNameMax {
		return "", invalid("name", "name must have 1 to %d characters", TenantNameMax)
	}
	return name, nil
}

// Slug lower-cases a tenant's slug (hosts are case-insensitive) and checks that it is a
// DNS label, so that <slug>.<base domain> can be its site. Whether the name is reserved
// for the platform is the database's to say (private.slug_is_reserved), for every
// writer alike.
func Slug(raw string) (string, error) {
	slug := strings.ToLower(strings.TrimSpace(raw))
	if !dnsLabel.MatchString(slug) {
		return "", invalid("slug", "slug must be a DNS label: 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen")
	}
	return slug, nil
}

// CustomDomain lower-cases a custom domain and checks that it is a host name outside the
// base domain, whose hosts are the tenants' slugs.
func CustomDomain(raw, baseDomain string) (string, error) {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	if len(domain) > 253 || !domainName.MatchString(domain) {
		return "", invalid("custom_domain", "custom_domain must be a host name such as atendimento.clinica.com.br, without scheme, port or path")
	}
	if baseDomain != "" && (domain == baseDomain || strings.HasSuffix(domain, "."+baseDomain)) {
		return "", invalid("custom_domain", "custom_domain cannot be under %s: the tenant's address there is its slug", baseDomain)
	}
	return domain, nil
}

// Email trims and lower-cases a bare email address (no display name) and checks it.
func Email(field, raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > EmailMax {
		return "", invalid(field, "%s must be an email address such as ana@example.com", field)
	}
	return email, nil
}

// Phone turns a phone number typed in any usual way into E.164, reading a number
// without a country code as region's (an ISO 3166 code such as "BR").
func Phone(field, raw, region string) (string, error) {
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", invalid(field, "%s is not a valid phone number", field)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// HTTPSURL checks an image a browser loads into the tenant's pages (a logo, an
// avatar): an absolute https URL, so that it can carry neither script nor mixed
// content.
func HTTPSURL(field, raw string) (string, error) {
	return link(field, raw, "https")
}

// WebURL checks a link to a web page: an absolute http or https URL.
func WebURL(field, raw string) (string, error) {
	return link(field, raw, "http", "https")
}

func link(field, raw string, schemes ...string) (string, error) {
	text := strings.TrimSpace(raw)
	u, err := url.Parse(text)
	if err != nil || u.Host == "" || len(text) > URLMax || !slices.Contains(schemes, u.Scheme) {
		return "", invalid(field, "%s must be an absolute %s URL of at most %d bytes", field, strings.Join(schemes, " or "), URLMax)
	}
	return text, nil
}

// SettingKey checks a setting's key.
func SettingKey(raw string) (string, error) {
	if !settingKey.MatchString(raw) {
		return "", invalid("key", "key must be 1 to 100 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	return raw, nil
}

// Text checks a text field that must not be blank and may have at most max characters
// (as PostgreSQL counts them). It is kept as typed.
func Text(field, raw string, max int) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", invalid(field, "%s cannot be empty", field)
	}
	if utf8.RuneCountInString(raw) > max {
		return "", invalid(field, "%s must be at most %d characters", field, max)
	}
	return raw, nil
}

// Time parses an RFC 3339 time, truncated to the microseconds PostgreSQL stores.
func Time(field, raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, invalid(field, "%s must be an RFC 3339 time, such as 2026-03-01T12:00:00Z", field)
	}
	return t.Truncate(time.Microsecond), nil
}
