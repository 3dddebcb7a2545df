package main

import (
	"os"

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

// supabaseAdmin calls Supabase Auth's admin API (invitation emails) when SUPABASE_URL and
// SUPABASE_SERVICE_ROLE_KEY are both set; nil otherwise.
func supabaseAdmin() *auth.Admin {
	url, key := env("SUPABASE_URL", ""), env("SUPABASE_SERVICE_ROLE_KEY", "")
	if url == "" || key == "" {
		return nil
	}
	return &auth.Admin{SupabaseURL: url, ServiceRoleKey: key}
}
