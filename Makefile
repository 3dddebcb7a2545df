# Atende. `make test` runs the whole suite; `make check` the static checks CI runs first.
# Tests need PostgreSQL: TEST_DATABASE_URL (a superuser URL), or Docker for testcontainers.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# The local development server (trust authentication); override as needed.
PGURL ?= postgres://postgres@127.0.0.1:5432
DATABASE_ADMIN_URL ?= $(PGURL)/atende?sslmode=disable
DATABASE_URL ?= postgres://atende_app@127.0.0.1:5432/atende?sslmode=disable
# Development only: the HS256 secret `make run` trusts and `server token` signs with.
SUPABASE_JWT_SECRET ?= atende-development-secret-not-for-production
export DATABASE_ADMIN_URL DATABASE_URL SUPABASE_JWT_SECRET

.PHONY: generate test check vet-sql run migrate db bench-import

## generate: regenerate the data layer (db/*.gen.go) from sql/schema and sql/queries
generate:
	go tool sqlc generate

## test: the whole test suite, against real PostgreSQL, with the race detector
test:
	go test -race -count=1 ./...

## check: formatting, go vet, generated code up to date, sqlc vet
check: vet-sql
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	go tool sqlc diff

## vet-sql: sqlc vet (tenant-scoped rule, every query prepares) against a freshly migrated database
vet-sql:
	@name=atende_sqlc_vet_$$$$; \
	psql "$(PGURL)/postgres" -qc "create database $$name"; \
	trap 'psql "$(PGURL)/postgres" -qc "drop database if exists $$name with (force)"' EXIT; \
	DATABASE_ADMIN_URL="$(PGURL)/$$name?sslmode=disable" go run ./cmd/server migrate up >/dev/null; \
	VET_DATABASE_URL="$(PGURL)/$$name?sslmode=disable" go tool sqlc vet

## db: create the local database if it is missing
db:
	@psql "$(PGURL)/postgres" -tAc "select 1 from pg_database where datname = 'atende'" | grep -q 1 \
		|| psql "$(PGURL)/postgres" -qc "create database atende"

## migrate: apply the migrations to the local database
migrate: db
	go run ./cmd/server migrate up

## run: the server on the local database, migrated first
run: migrate
	@echo "Development tokens: go run ./cmd/server token --user <auth.users id>"
	@echo "  (a user: psql '$(DATABASE_ADMIN_URL)' -c \"insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'me@example.com') returning id\";"
	@echo "   then POST /api/v1/setup with that user's token creates a tenant)"
	go run ./cmd/server serve

## bench-import: generate a V1.5 file with 1,000,000 messages and time its import (rows/s)
bench-import:
	go test -run '^$$' -bench ImportSQLite -benchtime 1x -timeout 30m ./legacy/
