// The tenant a host names, as the API's public branding route says, cached briefly in
// this server process: every page request of a tenant's site needs it.
import "server-only";
import type { components } from "./api/schema";
import { publicConfig } from "./config";

export type Tenant = components["schemas"]["Tenant"];

/** The request header the proxy passes a tenant's branding to the pages in. */
export const tenantHeader = "x-atende-tenant";

const ttl = 30_000;
const cache = new Map<string, { tenant: Tenant | null; expires: number }>();

/**
 * A cookie the settings page sets after changing the tenant's branding, so that the
 * next page it loads is not drawn from the cache (other visitors see the change within
 * the cache's 30 seconds).
 */
export const brandingChangedCookie = "atende-marca-alterada";

/** The tenant at host, or null when no tenant is there; fresh skips the cache. */
export async function tenantAt(host: string, fresh = false): Promise<Tenant | null> {
  const now = Date.now();
  const hit = cache.get(host);
  if (hit && hit.expires > now && !fresh) {
    return hit.tenant;
  }
  const { apiUrl } = publicConfig();
  const res = await fetch(`${apiUrl}/api/v1/tenant?host=${encodeURIComponent(host)}`, { cache: "no-store" });
  if (res.status !== 200 && res.status !== 404) {
    throw new Error(`GET /api/v1/tenant?host=${host}: ${res.status}`);
  }
  const tenant = res.status === 200 ? ((await res.json()) as Tenant) : null;
  if (cache.size > 10_000) {
    cache.clear(); // any client can send made-up hosts
  }
  cache.set(host, { tenant, expires: now + ttl });
  return tenant;
}

export function encodeTenant(tenant: Tenant): string {
  return Buffer.from(JSON.stringify(tenant)).toString("base64url");
}

export function decodeTenant(header: string | null): Tenant | null {
  return header ? (JSON.parse(Buffer.from(header, "base64url").toString()) as Tenant) : null;
}
