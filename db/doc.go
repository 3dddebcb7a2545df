// Package db is Atende's data layer: the sqlc-generated queries (*.gen.go, from
// sql/queries) and the small hand-written layer around them that opens the pool, runs work
// in a transaction as the caller or as the service role, maps PostgreSQL errors to typed
// errors and applies the embedded migrations.
package db
