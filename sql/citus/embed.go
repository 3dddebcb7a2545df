// Package citus embeds the steps that turn the migrated schema into its distributed form
// on a Citus coordinator (server distribute, docs/scaling.md), run in file name order.
package citus

import "embed"

//go:embed *.sql
var FS embed.FS
