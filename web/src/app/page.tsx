import Link from "next/link";

export default function Home() {
  return (
    <main className="centered">
      <div className="card stack">
        <h1>Atende</h1>
        <p>Conversas, contatos e funil de vendas da sua clínica, em um só lugar.</p>
        <Link className="button" href="/cadastro">
          Criar conta
        </Link>
        <Link className="button secondary" href="/entrar">
          Entrar
        </Link>
      </div>
    </main>
  );
}
