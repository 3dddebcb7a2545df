import Link from "next/link";

export default function NotFound() {
  return (
    <main className="centered">
      <div className="card">
        <h1>Página não encontrada</h1>
        <p>Não encontramos esta página nem uma clínica neste endereço. Confira o endereço digitado.</p>
        <p>
          <Link href="/">Voltar ao início</Link>
        </p>
      </div>
    </main>
  );
}
