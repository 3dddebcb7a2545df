// Package bench is the project's own measurement of the API against PostgreSQL's
// ceiling (cmd/bench, `make bench`).
//
// On a seeded database (small tenants, one big tenant: seed.go), the server runs as its
// own process (`server serve`, built from the working tree) under HTTP load — the read
// endpoints' from wrk (wrk.go), a C client as light as pgbench, the writes' and the
// fairness scenario's from Go clients (load.go), which sign webhook bodies and pace a
// tenant — and next to each read endpoint pgbench replays the very transaction the
// server sends for it. Each row of the table is measured back to back, so that its
// ratios share the machine's conditions; the load average is printed before and after,
// and recorded per row in the JSON.
//
// # The columns
//
//   - API req/s, p50/p95/p99: `--concurrency` keep-alive clients, each request about a
//     random target (a tenant's user and rows: targets.go). req/s counts 2xx answers;
//     non-2xx counts the rest, which a throughput row should not have.
//   - ceiling TPS: pgbench (`-M prepared`, as many clients, `-j 2`) replaying the
//     endpoint's transaction as atende_app: its round trips, role switch and claims,
//     caller lookup, queries and commit, with the same targets. API÷ceiling is the share
//     of PostgreSQL's own throughput the API reaches.
//   - bare TPS: the endpoint's own statements alone, as the superuser, outside any
//     transaction: the floor of the database work.
//   - RLS on÷off: the ceiling against the same transaction switching to service_role,
//     which bypasses RLS.
//   - round trips: per request, as captured.
//
// The -big rows are the big tenant alone: they run within one tenant's share of the
// server (its per-tenant limits), while the small rows spread over every small tenant;
// their pgbench ceilings compare the data alone.
//
// # When the server's transaction changes
//
// Nothing to do: the transaction is not written down here but recorded at run time
// (Capture) from the API's own handler, built in-process as cmd/server builds it, and
// turned into a pgbench script (replay.go): fewer round trips, a batch (replayed as a
// pipeline), another role switch or caller lookup, changed queries all follow. Two
// things need the bench: an argument of a type argText cannot write as text, and a new
// value that must vary per request (add it to replayVariables and Target) — compile
// refuses to pin one of the probe's ids as a constant, so that a replay cannot quietly
// read one tenant's rows for every caller. The scripts, the captured transactions and
// the server's log stay in the run's directory with --keep.
package bench
