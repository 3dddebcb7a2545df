import Link from "next/link";

export const metadata = { title: "Confirme seu e-mail" };

export default async function ConfirmEmail({ searchParams }: { searchParams: Promise<{ email?: string }> }) {
  const { email } = await searchParams;
  return (
    <main className="centered">
      <div className="card stack" role="status">
        <h1>Confirme seu e-mail</h1>
        <p>
          Enviamos um link de confirmação para <strong>{email ?? "o seu e-mail"}</strong>. Abra-o e depois{" "}
          <Link href="/entrar">entre com sua senha</Link>.
        </p>
        <p className="hint">Se você foi convidado por uma clínica, ao confirmar o e-mail você já passa a fazer parte dela.</p>
      </div>
    </main>
  );
}
