"use client";
import { useEffect, useState, type FormEvent } from "react";
import { problemText, useSession } from "./Session";

/** A slug suggested from the clinic's name: lower case, no accents, hyphens. */
function suggestSlug(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

const reasons: Record<string, string> = {
  invalid: "Use letras, números e hífens (sem começar ou terminar com hífen).",
  reserved: "Este endereço é reservado. Escolha outro.",
  taken: "Este endereço já é de outra clínica.",
};

type Availability = { slug: string; available: boolean; reason: string | null } | null;

export function SetupForm({ email }: { email: string }) {
  const { api, config } = useSession();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [availability, setAvailability] = useState<Availability>(null);
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);

  const effectiveSlug = slugEdited ? slug : suggestSlug(name);

  // The address is checked as it is typed (after a short pause).
  useEffect(() => {
    if (!effectiveSlug) {
      setAvailability(null);
      return;
    }
    const timer = setTimeout(async () => {
      const { data } = await api.GET("/api/v1/setup/slug", { params: { query: { slug: effectiveSlug } } });
      if (data) {
        setAvailability({ slug: data.slug, available: data.available, reason: data.reason ?? null });
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [api, effectiveSlug]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(undefined);
    const logo = String(form.get("logo_url") ?? "").trim();
    const { data, error } = await api.POST("/api/v1/setup", {
      body: {
        name,
        slug: effectiveSlug,
        logo_url: logo || null,
        theme: { primary_color: String(form.get("primary_color")) },
      },
    });
    if (!data) {
      setPending(false);
      setError(problemText(error));
      return;
    }
    // The new clinic's site is another address: the session does not follow there, so
    // it asks for the password once.
    const here = new URL(window.location.href);
    const port = here.port ? `:${here.port}` : "";
    window.location.assign(
      `${here.protocol}//${data.slug}.${config.baseDomain}${port}/entrar?nova=1&email=${encodeURIComponent(email)}`,
    );
  }

  return (
    <form onSubmit={submit} className="stack">
      <label>
        Nome da clínica
        <input name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="row">
        <label className="grow">
          Endereço
          <input
            name="slug"
            required
            value={effectiveSlug}
            aria-describedby="slug-status"
            onChange={(e) => {
              setSlugEdited(true);
              setSlug(e.target.value.toLowerCase());
            }}
          />
        </label>
        <span className="muted">.{config.baseDomain}</span>
      </div>
      <p id="slug-status" aria-live="polite" className={availability?.available ? "ok" : "error"}>
        {availability && availability.slug === effectiveSlug
          ? availability.available
            ? "Endereço disponível."
            : reasons[availability.reason ?? "invalid"]
          : ""}
      </p>
      <label>
        Logo (endereço https da imagem, opcional)
        <input name="logo_url" type="url" pattern="https://.*" placeholder="https://…" />
      </label>
      <label>
        Cor principal
        <input name="primary_color" type="color" defaultValue="#1f6feb" />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={pending || availability?.available === false}>
        {pending ? "Criando…" : "Criar clínica"}
      </button>
    </form>
  );
}
