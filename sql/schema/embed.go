// Package schema embeds the goose migrations, so the server binary carries its schema.
package schema

import "embed"

// FS holds the numbered migration files.
//
//go:embed *.sql
var FS embed.FS
