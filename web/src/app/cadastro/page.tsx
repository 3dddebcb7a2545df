import Link from "next/link";
import { AuthForm } from "@/components/AuthForm";
import { signUp } from "@/lib/auth-actions";

export const metadata = { title: "Criar conta" };

export default function SignUp() {
  return (
    <main className="centered">
      <div className="card stack">
        <h1>Criar conta</h1>
        <p className="hint">Depois de confirmar seu e-mail, você cria sua clínica ou entra na clínica que convidou você.</p>
        <AuthForm action={signUp} submit="Criar conta" withName newPassword />
        <p className="hint">
          Já tem conta? <Link href="/entrar">Entrar</Link>.
        </p>
      </div>
    </main>
  );
}
