package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/atende/atende/auth"
)

// defaultDatabaseURL is the local development server (trust authentication).
const defaultDatabaseURL = "postgres://atende_app@127.0.0.1:5432/atende?sslmode=disable"

// env returns the environment variable name, or fallback when it is unset or empty.
func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// adminDatabaseURL is the owner role's URL, for migrations and imports.
func adminDatabaseURL() string {
	return env("DATABASE_ADMIN_URL", env("DATABASE_URL", defaultDatabaseURL))
}

// ownerRequired explains a privilege error of a command that must run as the database
// owner (imports, tenant creation, development users). The usual cause is
// DATABASE_ADMIN_URL being unset, so that DATABASE_URL's login role, atende_app, which
// can read nothing by itself, was used; PostgreSQL's bare "permission denied" names
// neither. Other errors, and the rule triggers' own 42501 refusals (which name their
// constraint and say what was refused), are returned unchanged.
func ownerRequired(err error, databaseURL string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" || pgErr.ConstraintName != "" {
		return err
	}
	role := "the configured role"
	if config, parseErr := pgx.ParseConfig(databaseURL); parseErr == nil && config.User != "" {
		role = fmt.Sprintf("role %q", config.User)
	}
	need := "DATABASE_ADMIN_URL must be the database owner's URL (the role that ran the migrations, e.g. postgres)"
	if env("DATABASE_ADMIN_URL", "") == "" {
		need = "DATABASE_ADMIN_URL is not set, so DATABASE_URL was used; " + need
	}
	return fmt.Errorf("permission denied as %s: %s: %w", role, need, err)
}

// supabaseAdmin calls Supabase Auth's admin API (invitation emails) when SUPABASE_URL and
// SUPABASE_SERVICE_ROLE_KEY are both set; nil otherwise.
func supabaseAdmin() *auth.Admin {
	url, key := env("SUPABASE_URL", ""), env("SUPABASE_SERVICE_ROLE_KEY", "")
	if url == "" || key == "" {
		return nil
	}
	return &auth.Admin{SupabaseURL: url, ServiceRoleKey: key}
}

// commaList splits a comma-separated setting, dropping blanks.
func commaList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// envInt reads a positive integer setting, or fallback when it is unset.
func envInt(name string, fallback int) (int, error) {
	raw := env(name, "")
	if raw == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, not %q", name, raw)
	}
	return n, nil
}

// envDuration reads a positive duration setting ("5s", "500ms"), or fallback when it is
// unset.
func envDuration(name string, fallback time.Duration) (time.Duration, error) {
	raw := env(name, "")
	if raw == "" {
		return fallback, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration such as 5s, not %q", name, raw)
	}
	return d, nil
}
