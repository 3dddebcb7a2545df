import "server-only";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { decodeTenant, tenantHeader, type Tenant } from "./tenant";

/** The tenant whose site the request is on (the proxy says), or the 404 page. */
export async function currentTenant(): Promise<Tenant> {
  const tenant = decodeTenant((await headers()).get(tenantHeader));
  if (!tenant) {
    notFound();
  }
  return tenant;
}
