// Supabase Auth on the server: the session lives in cookies (written by @supabase/ssr,
// refreshed by the proxy), one client per request.
import "server-only";
import { createServerClient } from "@supabase/ssr";
import { cookies } from "next/headers";
import { publicConfig } from "../config";

export async function supabaseServer() {
  const { supabaseUrl, supabaseAnonKey } = publicConfig();
  const store = await cookies();
  return createServerClient(supabaseUrl, supabaseAnonKey, {
    cookies: {
      getAll: () => store.getAll(),
      setAll(cookiesToSet) {
        try {
          for (const { name, value, options } of cookiesToSet) {
            store.set(name, value, options);
          }
        } catch {
          // A Server Component cannot set cookies; the proxy refreshes them.
        }
      },
    },
  });
}

/** The signed-in user's access token, or undefined. */
export async function accessToken(): Promise<string | undefined> {
  const supabase = await supabaseServer();
  const { data } = await supabase.auth.getSession();
  return data.session?.access_token;
}
