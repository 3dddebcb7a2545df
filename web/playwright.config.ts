// The browser suite. It runs against the whole real stack, which e2e/browser_test.go (Go)
// starts on free ports — PostgreSQL, Supabase Auth, the API, `next start` — and describes
// in the environment: WEB_PORT, APP_BASE_DOMAIN, E2E_HELPER_URL. Run it with
// `go test ./e2e/` from the repository root.
import { defineConfig } from "@playwright/test";

const port = process.env.WEB_PORT;
if (!port) {
  throw new Error("WEB_PORT is not set: run the suite through `go test ./e2e/` (see e2e/browser_test.go)");
}

export default defineConfig({
  testDir: "./e2e",
  // The scenarios build on each other (a clinic, then its agent): one worker, in order.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 5_000 },
  outputDir: "test-results",
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    screenshot: "only-on-failure",
    locale: "pt-BR",
    launchOptions: {
      // The system's Chromium: Playwright cannot download its own here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
