// Every page request passes here first. It finds which site the host is — the
// platform's (sign-up, sign-in, new clinic) or a tenant's — and, for a tenant, hands its
// branding to the pages in a request header and serves the tenant's pages (app/t/…)
// under the same URL. An unknown tenant host gets the 404 page. It also refreshes the
// Supabase session cookies, as @supabase/ssr requires.
import { createServerClient } from "@supabase/ssr";
import { NextResponse, type NextRequest } from "next/server";
import { publicConfig } from "./lib/config";
import { siteOf } from "./lib/site";
import { brandingChangedCookie, encodeTenant, tenantAt, tenantHeader } from "./lib/tenant";

export async function proxy(request: NextRequest) {
  const config = publicConfig();
  const host = request.headers.get("host") ?? "";
  const site = siteOf(host, config.baseDomain);
  const headers = new Headers(request.headers);
  headers.delete(tenantHeader); // only this proxy says which tenant a request is for
  const url = request.nextUrl.clone();

  let rewrite: URL | undefined;
  if (site.kind === "tenant") {
    const tenant = await tenantAt(site.host, request.cookies.has(brandingChangedCookie));
    if (tenant) {
      headers.set(tenantHeader, encodeTenant(tenant));
      url.pathname = "/t" + (url.pathname === "/" ? "" : url.pathname);
    } else {
      url.pathname = "/clinica-nao-encontrada"; // no such page: the 404 page, with a 404
    }
    rewrite = url;
  } else if (url.pathname === "/t" || url.pathname.startsWith("/t/")) {
    url.pathname = "/pagina-nao-encontrada"; // tenants' pages exist only on their hosts
    rewrite = url;
  }

  const respond = () =>
    rewrite ? NextResponse.rewrite(rewrite, { request: { headers } }) : NextResponse.next({ request: { headers } });
  let response = respond();
  const supabase = createServerClient(config.supabaseUrl, config.supabaseAnonKey, {
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll(cookiesToSet) {
        for (const { name, value } of cookiesToSet) {
          request.cookies.set(name, value);
        }
        headers.set("cookie", request.headers.get("cookie") ?? "");
        response = respond();
        for (const { name, value, options } of cookiesToSet) {
          response.cookies.set(name, value, options);
        }
      },
    },
  });
  // Refreshes an expired access token with the refresh token, writing the new cookies.
  await supabase.auth.getUser();
  if (request.cookies.has(brandingChangedCookie)) {
    response.cookies.delete(brandingChangedCookie);
  }
  return response;
}

export const config = {
  // Pages only: not the build's static files.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
