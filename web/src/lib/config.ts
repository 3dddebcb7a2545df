// The frontend's settings, read from the environment when the server runs (not baked in
// at build time), so that one build serves any deployment.
import "server-only";

/** What the browser needs to know; rendered into the page by the server. */
export type PublicConfig = {
  /** The Atende API, e.g. https://api.atende.app (ATENDE_API_URL). */
  apiUrl: string;
  /** The Supabase project URL (NEXT_PUBLIC_SUPABASE_URL). */
  supabaseUrl: string;
  /** The Supabase anon key (NEXT_PUBLIC_SUPABASE_ANON_KEY). */
  supabaseAnonKey: string;
  /** Tenants live at <slug>.<baseDomain> (APP_BASE_DOMAIN). */
  baseDomain: string;
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: see web/README.md`);
  }
  return value;
}

export function publicConfig(): PublicConfig {
  return {
    apiUrl: required("ATENDE_API_URL").replace(/\/+$/, ""),
    supabaseUrl: required("NEXT_PUBLIC_SUPABASE_URL"),
    supabaseAnonKey: required("NEXT_PUBLIC_SUPABASE_ANON_KEY"),
    baseDomain: (process.env.APP_BASE_DOMAIN ?? "localhost").toLowerCase(),
  };
}
