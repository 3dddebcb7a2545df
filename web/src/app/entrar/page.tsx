import Link from "next/link";
import { AuthForm } from "@/components/AuthForm";
import { signIn } from "@/lib/auth-actions";

export const metadata = { title: "Entrar" };

export default async function SignIn({ searchParams }: { searchParams: Promise<{ email?: string }> }) {
  const { email } = await searchParams;
  return (
    <main className="centered">
      <div className="card stack">
        <h1>Entrar no Atende</h1>
        <AuthForm action={signIn} submit="Entrar" email={email} />
        <p className="hint">
          Ainda não tem conta? <Link href="/cadastro">Crie a sua</Link>.
        </p>
      </div>
    </main>
  );
}
