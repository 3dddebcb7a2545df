"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

const links = [
  { href: "/inbox", label: "Conversas" },
  { href: "/contatos", label: "Contatos" },
  { href: "/funil", label: "Funil" },
  { href: "/campanhas", label: "Campanhas" },
];

export function Nav({ admin }: { admin: boolean }) {
  // The browser's path; the server renders these pages under /t/… (see proxy.ts).
  const path = usePathname().replace(/^\/t(?=\/|$)/, "") || "/";
  const all = admin ? [...links, { href: "/configuracoes", label: "Configurações" }] : links;
  return (
    <nav aria-label="Principal">
      {all.map((link) => (
        <Link key={link.href} href={link.href} aria-current={path.startsWith(link.href) ? "page" : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}
