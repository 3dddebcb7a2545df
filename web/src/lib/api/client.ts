// The typed client of the Atende API: paths, parameters, bodies and responses come from
// schema.d.ts, which `npm run api:generate` makes from api/openapi.yaml.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";

/** Returns the caller's Supabase access token, or undefined when signed out. */
export type TokenSource = () => string | undefined | Promise<string | undefined>;

/**
 * Sends the access token as `Authorization: Bearer`. It asks for the token on every
 * request, as Supabase refreshes tokens while the page lives.
 */
export function bearerAuth(getToken: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const token = await getToken();
      if (token) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  };
}

/**
 * Names the tenant's site the calls are made for (X-Atende-Host), when the API is on
 * another host: the API then answers for that tenant, and refuses a caller who is not
 * its member.
 */
export function siteHost(host: string | (() => string)): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set("X-Atende-Host", typeof host === "string" ? host : host());
      return request;
    },
  };
}

/**
 * A client for the API at baseUrl, without a path: the tenant is the one its host names
 * (e.g. "https://clinica-sorriso.atende.app"), or site's (a tenant's site calling the API
 * at its own address), or the caller's own on the bare API host. Without getToken, only
 * the public routes answer.
 */
export function createApiClient(baseUrl: string, getToken?: TokenSource, site?: string | (() => string)) {
  const client = createClient<paths>({ baseUrl });
  if (getToken) {
    client.use(bearerAuth(getToken));
  }
  if (site) {
    client.use(siteHost(site));
  }
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;
