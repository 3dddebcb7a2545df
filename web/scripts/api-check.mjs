// npm run api:check: fails when src/lib/api/schema.d.ts is not what api:generate makes
// of ../api/openapi.yaml now, so that CI catches a document changed without its client.
// It runs api:generate's own command (read from package.json, so the two cannot drift)
// with a temporary output, and compares.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(web, "package.json"), "utf8"));
const [bin, ...args] = pkg.scripts["api:generate"].split(/\s+/);
const output = args.indexOf("-o") + 1;
if (bin !== "openapi-typescript" || output === 0) {
  throw new Error("api:generate must be `openapi-typescript <document> [flags] -o <file>`");
}
const committed = join(web, args[output]);

const dir = mkdtempSync(join(tmpdir(), "atende-api-"));
try {
  args[output] = join(dir, "schema.d.ts");
  execFileSync(join(web, "node_modules", ".bin", bin), args, { cwd: web, stdio: ["ignore", "ignore", "inherit"] });
  let current = null;
  try {
    current = readFileSync(committed, "utf8");
  } catch {
    // Missing: stale too.
  }
  if (readFileSync(args[output], "utf8") !== current) {
    console.error("the generated client is stale: run npm run api:generate");
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
