import { AuthForm } from "@/components/AuthForm";
import { Brand } from "@/components/Brand";
import { signIn } from "@/lib/auth-actions";
import { currentTenant } from "@/lib/current-tenant";

export const metadata = { title: "Entrar" };

const notices: Record<string, string> = {
  nova: "Sua clínica foi criada! Este é o endereço dela: entre aqui com sua senha.",
  expirou: "Sua sessão terminou. Entre de novo.",
  "outra-clinica": "Esta conta não pertence a esta clínica. Entre no endereço da sua clínica.",
};

type Search = { email?: string; nova?: string; expirou?: string; motivo?: string };

export default async function TenantSignIn({ searchParams }: { searchParams: Promise<Search> }) {
  const tenant = await currentTenant();
  const search = await searchParams;
  const notice = search.nova ? notices.nova : search.expirou ? notices.expirou : search.motivo ? notices[search.motivo] : undefined;
  return (
    <main className="centered">
      <div className="card stack">
        <Brand tenant={tenant} />
        <h1>Entrar</h1>
        {notice && <p role="status">{notice}</p>}
        <AuthForm action={signIn} submit="Entrar" email={search.email} />
      </div>
    </main>
  );
}
