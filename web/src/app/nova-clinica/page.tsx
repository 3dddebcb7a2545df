import { redirect } from "next/navigation";
import { SessionProvider } from "@/components/Session";
import { SetupForm } from "@/components/SetupForm";
import { createApiClient } from "@/lib/api/client";
import { publicConfig } from "@/lib/config";
import { accessToken } from "@/lib/supabase/server";

export const metadata = { title: "Nova clínica" };

// "Setup de Novo Cliente": a signed-in person without a clinic creates one and becomes
// its owner.
export default async function NewClinic() {
  const config = publicConfig();
  const token = await accessToken();
  if (!token) {
    redirect("/entrar");
  }
  const me = await createApiClient(config.apiUrl, () => token).GET("/api/v1/me");
  if (me.data?.tenant) {
    redirect("/entrar"); // already a member: signing in sends them to their clinic
  }
  return (
    <main className="centered">
      <div className="card wide stack">
        <h1>Nova clínica</h1>
        <p className="hint">Dê um nome e um endereço à sua clínica. Logo e cor podem ser mudados depois.</p>
        <SessionProvider config={config}>
          <SetupForm email={me.data?.email ?? ""} />
        </SessionProvider>
      </div>
    </main>
  );
}
