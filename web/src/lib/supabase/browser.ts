"use client";
// Supabase Auth in the browser, reading the session cookies the server wrote.
import { createBrowserClient } from "@supabase/ssr";
import type { PublicConfig } from "../config";

export function supabaseBrowser(config: PublicConfig) {
  return createBrowserClient(config.supabaseUrl, config.supabaseAnonKey);
}
