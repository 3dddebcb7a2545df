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
# Development only, for `make run`: tenants answer at http://<slug>.$(APP_BASE_DOMAIN):8080
# (browsers and curl send *.localhost to the loopback address), and a frontend's
# development server on port 3000 may call the API from the browser.
APP_BASE_DOMAIN ?= localhost
CORS_ALLOWED_ORIGINS ?= http://localhost:3000,http://*.localhost:3000

.PHONY: generate test test-citus bench-citus check vet-sql web-check web-build web run migrate db seed dev-token bench-import bench-sync bench-events bench bench-campaign bench-pooler

## generate: regenerate the data layer (db/*.gen.go) from sql/schema and sql/queries
generate:
	go tool sqlc generate

## test: the whole test suite, against real PostgreSQL, with the race detector; with CITUS_TEST=1, then test-citus
test:
	CITUS_TEST= go test -race -count=1 ./...
	@if [ "$${CITUS_TEST:-}" = 1 ]; then $(MAKE) --no-print-directory test-citus; fi

# The Citus build and its cluster tool (../shared/tools/citus beside the clone, or this machine's).
CITUS_TOOLS ?= $(firstword $(wildcard $(abspath ..)/shared/tools/citus /work/shared/tools/citus))
CITUS_PORT ?= 5441
# What holds distributed (docs/scaling.md lists what does not yet): RLS isolation of every table and
# the Supabase-client parity matrix, the lead pipeline, errors naming their constraint, secret rotation
# and suspension (whose cache announcements run on the coordinator), the API's isolation matrix and role
# refusals, the end-to-end flow, the V1.5 import of the sample, and the Citus tests themselves
# (router plans, a tenant moved while served).
CITUS_TESTS := ^(TestRLSIsolatesEveryTable|TestRulesHoldForSupabaseClients|TestLead[A-Z].*|TestLeads|TestMapError|TestWebhookSecretRotation|TestSuspendedTenant|TestIsolationMatrix|TestRoleRefusalsHoldInDatabase|TestEndToEnd|TestImportSample|TestCitus.*)$$

# with_citus runs $(1) while a throwaway Citus cluster runs (coordinator on CITUS_PORT, two workers;
# logical decoding with Citus's own plugin, for shard moves and splits), with TEST_CITUS_URL naming
# it; the cluster is removed after.
# Needs root (the cluster tool runs the servers as postgres).
define with_citus
	@if [ -z "$(CITUS_TOOLS)" ]; then echo "no Citus tools (../shared/tools/citus)" >&2; exit 1; fi
	$(CITUS_TOOLS)/cluster start $(CITUS_PORT) >/dev/null
	@trap '$(CITUS_TOOLS)/cluster stop $(CITUS_PORT)' EXIT; \
	for port in $(CITUS_PORT) $$(($(CITUS_PORT) + 1)) $$(($(CITUS_PORT) + 2)); do \
		psql -h 127.0.0.1 -p $$port -U postgres -qAt -c 'alter system set wal_level = logical' \
			-c 'alter system set output_plugin_libraries = pgoutput, test_decoding, citus'; \
		su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/citus-$$port -l /tmp/citus-$$port/log -w restart" >/dev/null; \
	done; \
	TEST_CITUS_URL='postgres://postgres@127.0.0.1:$(CITUS_PORT)/postgres?sslmode=disable' $(1)
endef

## test-citus: the schema migrated and distributed on a throwaway Citus cluster, and CITUS_TESTS run on its coordinator
test-citus:
	$(call with_citus,CITUS_TEST=1 go test -count=1 -timeout 15m -run '$(CITUS_TESTS)' ./db/ ./api/ ./legacy/)

## bench-citus: the inbox's req/s through a Citus coordinator against a single node, on this machine (BENCH_ROUNDS, BENCH_SECONDS)
bench-citus:
	$(call with_citus,go test -run '^$$$$' -bench CitusInbox -benchtime 1x -timeout 10m ./api/)

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

## web-check: web/'s typed API client is generated from api/openapi.yaml as it is now, and type-checks
web-check: web/node_modules/.package-lock.json
	cd web && npm run -s api:check && npm run -s typecheck

## web-build: the frontend's production build (next build), which the browser suite (e2e/) serves
web-build: web/node_modules/.package-lock.json
	cd web && npm run -s build

## web: the frontend in development (next dev, http://localhost:3000 and http://<slug>.localhost:3000),
## against `make run`'s API; it needs a Supabase Auth: see web/README.md
web: web/node_modules/.package-lock.json
	cd web && ATENDE_API_URL=$${ATENDE_API_URL:-http://localhost:8080} APP_BASE_DOMAIN=$${APP_BASE_DOMAIN:-localhost} npm run dev

# npm ci only when node_modules is missing or older than the lock file: npm writes
# node_modules/.package-lock.json at each install.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

## db: create the local database if it is missing
db:
	@psql "$(PGURL)/postgres" -tAc "select 1 from pg_database where datname = 'atende'" | grep -q 1 \
		|| psql "$(PGURL)/postgres" -qc "create database atende"

## migrate: apply the migrations to the local database
migrate: db
	go run ./cmd/server migrate up

## run: the server on the local database, migrated first; tenants at http://<slug>.localhost:8080
# Exported for this target only: the tests build their own configuration.
run: export APP_BASE_DOMAIN := $(APP_BASE_DOMAIN)
run: export CORS_ALLOWED_ORIGINS := $(CORS_ALLOWED_ORIGINS)
run: migrate
	@echo "Tenants: http://<slug>.$(APP_BASE_DOMAIN):8080 (make seed: http://clinica-sorriso.$(APP_BASE_DOMAIN):8080); CORS origins: $(CORS_ALLOWED_ORIGINS)"
	@echo "A token: TOKEN=\$$(make -s dev-token EMAIL=you@example.com); a tenant of your own: POST /api/v1/setup with it"
	go run ./cmd/server serve

## seed: import the V1.5 sample as the demo tenant clinica-sorriso and print its logins (again: a no-op re-run)
# --create-tenant creates the tenant only when it is missing; a second run imports into it
# again, which changes nothing (legacy/README.md: a re-run of the same file).
seed: migrate
	go run ./cmd/server import-sqlite --file legacy/testdata/sample_v15.db --tenant clinica-sorriso --create-tenant --name "Clínica Sorriso"
	@echo
	@echo "Demo tenant: http://clinica-sorriso.$(APP_BASE_DOMAIN):8080 (under make run)"
	@echo "Logins: email, password, role, name (the passwords sign in through Supabase Auth; locally: TOKEN=\$$(make -s dev-token EMAIL=ana@clinica.example))"
	@sed -n 's/^\([^#]\)/  \1/p' legacy/testdata/sample_v15.logins

## dev-token: EMAIL=… prints an access token for that user, created (email confirmed) if missing; development only
# Only the token goes to stdout, so TOKEN=$(make -s dev-token EMAIL=…) works: make's
# echo is off (@) and the migrations report on stderr.
dev-token: db
	@if [ -z "$(EMAIL)" ]; then echo "usage: make dev-token EMAIL=you@example.com [TTL=1h]" >&2; exit 2; fi
	@go run ./cmd/server migrate up >&2
	@go run ./cmd/server dev-token --email '$(EMAIL)' --ttl '$(or $(TTL),1h)'

## bench-import: generate a V1.5 file with 1,000,000 messages; time its import and a bare COPY of the same messages, 3 rounds (import/copy)
bench-import:
	go test -run '^$$' -bench ImportSQLite -benchtime 1x -timeout 60m ./legacy/

## bench-sync: import the generated file, change 1% of its rows, time the sync (s/sync)
bench-sync:
	go test -run '^$$' -bench SyncSQLite -benchtime 1x -timeout 30m ./legacy/

## bench-events: 1,000 event streams on one server process, messages at 20/s for 10 s: delivery p50/p99 and the process's memory
bench-events:
	go test -run '^$$' -bench EventFanOut -benchtime 1x -timeout 10m ./api/

## bench-campaign: a campaign to 2,000 contacts at 200 sends/s through `server serve` against a fake Graph API, with replies
## every 200 ms: sends/s and reply latency p50/p95 (BENCH_RECIPIENTS, BENCH_SEND_RATE)
bench-campaign:
	go test -run '^$$' -bench CampaignDelivery -benchtime 1x -timeout 10m ./api/

## bench: the API against PostgreSQL's ceiling, on a seeded database (atende_bench, dropped after; BENCH_FLAGS=--keep
## keeps it for the next run): per endpoint, req/s and p50/p95/p99 next to pgbench replaying the same transaction, the
## bare query and RLS off; big tenant against small; fairness. One table, and bench-results.json. BENCH_FLAGS: go run ./cmd/bench -h
bench:
	go run ./cmd/bench --database-url '$(PGURL)/atende_bench?sslmode=disable' $(BENCH_FLAGS)

## bench-pooler: the server directly and through PgBouncer in transaction mode (exec and simple_protocol), 3 rounds: req/s and pooled ÷ direct
bench-pooler:
	go test -run '^$$' -bench Pooler -benchtime 1x -timeout 10m ./api/
