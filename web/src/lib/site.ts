// Which site a request is for: the platform's own (sign-up, sign-in, the setup of a new
// clinic) at the base domain, or a tenant's, at <slug>.<base domain> or its own domain.

export type Site = { kind: "platform" } | { kind: "tenant"; host: string };

/** The host lower-cased, without its port. */
export function bareHost(host: string): string {
  return host.trim().toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
}

export function siteOf(rawHost: string, baseDomain: string): Site {
  const host = bareHost(rawHost);
  const isIP = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith("[");
  if (host === "" || isIP || host === baseDomain || host === `www.${baseDomain}` || host === "localhost") {
    return { kind: "platform" };
  }
  return { kind: "tenant", host };
}

/** The address of a tenant's site, on the scheme and port of the current request. */
export function tenantUrl(slug: string, baseDomain: string, current: URL): string {
  const port = current.port ? `:${current.port}` : "";
  return `${current.protocol}//${slug}.${baseDomain}${port}`;
}
