import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Brand } from "@/components/Brand";
import { Nav } from "@/components/Nav";
import { SessionProvider } from "@/components/Session";
import { createApiClient } from "@/lib/api/client";
import { signOut } from "@/lib/auth-actions";
import { publicConfig } from "@/lib/config";
import { currentTenant } from "@/lib/current-tenant";
import { accessToken } from "@/lib/supabase/server";

// The clinic's signed-in pages: only for its members.
export default async function AppLayout({ children }: { children: ReactNode }) {
  const tenant = await currentTenant();
  const config = publicConfig();
  const token = await accessToken();
  if (!token) {
    redirect("/entrar");
  }
  const host = (await headers()).get("host") ?? "";
  const me = await createApiClient(config.apiUrl, () => token, host).GET("/api/v1/me");
  if (me.response.status === 401) {
    redirect("/sair");
  }
  if (!me.data || me.data.tenant?.id !== tenant.id) {
    redirect("/sair?motivo=outra-clinica");
  }
  const admin = me.data.role === "owner" || me.data.role === "admin";
  return (
    <SessionProvider config={config}>
      <div className="shell">
        <header>
          <Brand tenant={tenant} />
          <Nav admin={admin} />
          <span className="muted">{me.data.full_name ?? me.data.email}</span>
          <form action={signOut}>
            <button type="submit" className="secondary">
              Sair
            </button>
          </form>
        </header>
        <main>{children}</main>
      </div>
    </SessionProvider>
  );
}
