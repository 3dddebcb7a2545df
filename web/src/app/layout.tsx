import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { decodeTenant, tenantHeader } from "@/lib/tenant";
import { monogramIcon, themeStyle } from "@/lib/theme";
import "./globals.css";

async function currentTenant() {
  return decodeTenant((await headers()).get(tenantHeader));
}

export async function generateMetadata(): Promise<Metadata> {
  const tenant = await currentTenant();
  if (!tenant) {
    return { title: "Atende", description: "Atendimento das clínicas: conversas, contatos e funil de vendas" };
  }
  return {
    title: { default: tenant.name, template: `%s · ${tenant.name}` },
    icons: { icon: tenant.logo_url ?? monogramIcon(tenant) },
  };
}

// The tenant's colours are CSS variables on <html>, rendered on the server: the first
// paint is already the tenant's.
export default async function RootLayout({ children }: { children: ReactNode }) {
  const tenant = await currentTenant();
  return (
    <html lang="pt-BR" style={themeStyle(tenant)}>
      <body>{children}</body>
    </html>
  );
}
