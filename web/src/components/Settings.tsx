"use client";
// The clinic's settings (owners and admins): its brand, its team and invitations, and
// the webhook its messaging provider delivers to.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { components } from "@/lib/api/schema";
import { Field, FormError, formProblem, type FormProblem } from "./forms";
import { problemText, useSession } from "./Session";

type Me = components["schemas"]["Me"];
type Tenant = components["schemas"]["Tenant"];
type User = components["schemas"]["User"];
type Role = components["schemas"]["UserRole"];
type Invitation = components["schemas"]["Invitation"];
type InviteEmail = components["schemas"]["InvitationCreated"]["invite_email"];
type WebhookSecret = components["schemas"]["WebhookSecret"];

const roleLabels: Record<Role, string> = { owner: "Proprietário", admin: "Administrador", agent: "Atendente" };
const inviteNotices: Record<InviteEmail, string> = {
  sent: "Convite enviado por e-mail.",
  account_exists: "Essa pessoa já tem conta: ao entrar, ela aceita o convite.",
  not_configured: "Peça para a pessoa criar a conta com este e-mail e confirmá-lo: ela entra na clínica ao confirmar.",
  failed: "O convite foi criado, mas o e-mail não pôde ser enviado.",
};
const defaultColour = "#1f6feb"; // globals.css --cor-primaria
const colour = /^#[0-9a-fA-F]{6}$/;

function when(iso: string): string {
  return new Date(iso).toLocaleString("pt-BR", { dateStyle: "short", timeStyle: "short" });
}

export function Settings() {
  const { api } = useSession();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string>();

  useEffect(() => {
    api.GET("/api/v1/me").then(({ data, error }) => (data ? setMe(data) : setError(problemText(error))));
  }, [api]);

  if (!me) {
    return <p role="status">{error ?? "Carregando…"}</p>;
  }
  if ((me.role !== "owner" && me.role !== "admin") || !me.tenant) {
    return <p>Somente administradores acessam as configurações.</p>;
  }
  return (
    <div className="stack">
      <h1>Configurações</h1>
      <BrandSection tenant={me.tenant} />
      <TeamSection me={me} />
      <WebhookSection />
    </div>
  );
}

function BrandSection({ tenant }: { tenant: Tenant }) {
  const { api } = useSession();
  const saved = typeof tenant.theme.primary_color === "string" && colour.test(tenant.theme.primary_color) ? tenant.theme.primary_color : null;
  const [name, setName] = useState(tenant.name);
  const [logo, setLogo] = useState(tenant.logo_url ?? "");
  const [primary, setPrimary] = useState(saved ?? defaultColour);
  const [problem, setProblem] = useState<FormProblem>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    // The theme is replaced whole: its other keys go back as they were.
    const theme = saved === null && primary === defaultColour ? tenant.theme : { ...tenant.theme, primary_color: primary.toLowerCase() };
    const { data, error } = await api.PATCH("/api/v1/tenant", {
      body: { name: name.trim(), logo_url: logo.trim() || null, theme },
    });
    if (!data) {
      setBusy(false);
      setProblem(formProblem(error));
      return;
    }
    setProblem(undefined);
    // The brand is drawn by the server: the page reloads to show it, skipping the
    // server's cache of it once (see brandingChangedCookie in lib/tenant.ts).
    setNotice("Marca salva. Atualizando a página…");
    document.cookie = "atende-marca-alterada=1; path=/; max-age=60; samesite=lax";
    setTimeout(() => window.location.reload(), 1200);
  }

  return (
    <section className="panel" aria-labelledby="settings-brand">
      <h2 id="settings-brand">Marca</h2>
      <form onSubmit={submit} className="stack">
        <Field label="Nome da clínica" name="name" problem={problem} value={name} onChange={(e) => setName(e.target.value)} required />
        <Field
          label="Endereço do logotipo"
          name="logo_url"
          problem={problem}
          type="url"
          pattern="https://.+"
          title="Um endereço https://"
          placeholder="https://…"
          value={logo}
          onChange={(e) => setLogo(e.target.value)}
        />
        <Field
          label="Cor principal"
          name="theme"
          problem={problem}
          type="color"
          value={primary}
          onChange={(e) => setPrimary(e.target.value)}
          style={{ width: "5rem", height: "2.5rem", padding: "0.2rem" }}
        />
        <FormError problem={problem} fields={["name", "logo_url", "theme"]} />
        <p className="hint">Depois de salvar, esta página recarrega com a nova marca; outras abas abertas se atualizam em até meio minuto.</p>
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? "Salvando…" : "Salvar marca"}
          </button>
          {notice && (
            <span className="ok" role="status">
              {notice}
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

function TeamSection({ me }: { me: Me }) {
  const { api } = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string>();

  const loadUsers = useCallback(async () => {
    const { data, error } = await api.GET("/api/v1/users", { params: { query: { limit: 100 } } });
    if (data) {
      setUsers(data.items);
    } else {
      setError(problemText(error));
    }
  }, [api]);

  const loadInvitations = useCallback(async () => {
    const { data, error } = await api.GET("/api/v1/invitations", { params: { query: { limit: 100 } } });
    if (data) {
      setInvitations(data.items);
    } else {
      setError(problemText(error));
    }
  }, [api]);

  useEffect(() => {
    loadUsers();
    loadInvitations();
  }, [loadUsers, loadInvitations]);

  /** Runs a change; its problem, if any, shows above the lists. */
  async function change(id: string, request: () => Promise<{ error?: unknown }>, reload: () => Promise<void>) {
    setBusy(id);
    setError(undefined);
    const { error } = await request();
    if (error) {
      setError(problemText(error));
    }
    await reload();
    setBusy(null);
  }

  function setRole(user: User, role: Role) {
    change(user.id, () => api.PATCH("/api/v1/users/{id}", { params: { path: { id: user.id } }, body: { role } }), loadUsers);
  }

  function remove(user: User) {
    if (window.confirm(`Remover ${user.full_name ?? user.email ?? "esta pessoa"} da equipe? Ela perde o acesso à clínica.`)) {
      change(user.id, () => api.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } }), loadUsers);
    }
  }

  function revoke(invitation: Invitation) {
    change(invitation.id, () => api.DELETE("/api/v1/invitations/{id}", { params: { path: { id: invitation.id } } }), loadInvitations);
  }

  return (
    <section className="panel stack" aria-labelledby="settings-team">
      <h2 id="settings-team">Equipe</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h3>Membros</h3>
      {users === null ? (
        <p className="muted">Carregando…</p>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <table data-testid="members">
            <thead>
              <tr>
                <th scope="col">Nome</th>
                <th scope="col">E-mail</th>
                <th scope="col">Papel</th>
                <th scope="col">
                  <span className="muted">Ações</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => {
                const name = user.full_name ?? user.email ?? "Sem nome";
                const self = user.id === me.id;
                return (
                  <tr key={user.id}>
                    <td>
                      {user.full_name ?? "—"}
                      {self && <span className="muted"> (você)</span>}
                    </td>
                    <td>{user.email ?? "—"}</td>
                    <td>
                      {self || !user.role ? (
                        user.role && roleLabels[user.role]
                      ) : (
                        <select
                          aria-label={`Papel de ${name}`}
                          value={user.role}
                          disabled={busy === user.id}
                          onChange={(e) => setRole(user, e.target.value as Role)}
                        >
                          {(Object.keys(roleLabels) as Role[]).map((role) => (
                            <option key={role} value={role}>
                              {roleLabels[role]}
                            </option>
                          ))}
                        </select>
                      )}
                    </td>
                    <td>
                      {!self && (
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy === user.id}
                          aria-label={`Remover ${name}`}
                          onClick={() => remove(user)}
                        >
                          Remover
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <h3>Convites pendentes</h3>
      {invitations === null ? (
        <p className="muted">Carregando…</p>
      ) : invitations.length === 0 ? (
        <p className="muted">Nenhum convite pendente.</p>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <table data-testid="invitations">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Papel</th>
                <th scope="col">Expira em</th>
                <th scope="col">
                  <span className="muted">Ações</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email}</td>
                  <td>{roleLabels[invitation.role]}</td>
                  <td>{when(invitation.expires_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy === invitation.id}
                      aria-label={`Revogar convite de ${invitation.email}`}
                      onClick={() => revoke(invitation)}
                    >
                      Revogar
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <InviteForm onInvited={loadInvitations} />
    </section>
  );
}

function InviteForm({ onInvited }: { onInvited: () => Promise<void> }) {
  const { api } = useSession();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"admin" | "agent">("agent");
  const [problem, setProblem] = useState<FormProblem>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; failed: boolean }>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNotice(undefined);
    const { data, error } = await api.POST("/api/v1/invitations", { body: { email: email.trim(), role } });
    setBusy(false);
    if (!data) {
      setProblem(formProblem(error));
      return;
    }
    setProblem(undefined);
    setEmail("");
    setNotice({ text: inviteNotices[data.invite_email], failed: data.invite_email === "failed" });
    await onInvited();
  }

  return (
    <form onSubmit={submit} aria-label="Convidar" className="stack">
      <h3>Convidar alguém</h3>
      <div className="row" style={{ alignItems: "flex-end" }}>
        <Field label="E-mail" name="email" problem={problem} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label>
          <span>Papel</span>
          <select name="role" value={role} onChange={(e) => setRole(e.target.value as "admin" | "agent")}>
            <option value="agent">{roleLabels.agent}</option>
            <option value="admin">{roleLabels.admin}</option>
          </select>
        </label>
        <button type="submit" disabled={busy}>
          Convidar
        </button>
      </div>
      <FormError problem={problem} fields={["email"]} />
      <p role="status" className={notice?.failed ? "error" : "ok"} style={{ margin: 0 }}>
        {notice?.text}
      </p>
    </form>
  );
}

function WebhookSection() {
  const { api } = useSession();
  const [webhook, setWebhook] = useState<WebhookSecret | null>(null);
  const [shown, setShown] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.GET("/api/v1/webhook-secret").then(({ data, error }) => (data ? setWebhook(data) : setError(problemText(error))));
  }, [api]);

  function copy(text: string, what: string) {
    navigator.clipboard.writeText(text).then(
      () => setNotice(`${what} copiado.`),
      () => setNotice("Não foi possível copiar: selecione o texto e copie."),
    );
  }

  async function rotate() {
    const question =
      "Gerar um novo segredo? O anterior continua funcionando por 24 horas: atualize o provedor com o novo antes disso.";
    if (!window.confirm(question)) {
      return;
    }
    setBusy(true);
    setNotice(undefined);
    const { data, error } = await api.POST("/api/v1/webhook-secret/rotate");
    setBusy(false);
    if (!data) {
      setError(problemText(error));
      return;
    }
    setError(undefined);
    setWebhook(data);
    setShown(true);
    setNotice("Novo segredo gerado. O anterior vale por mais 24 horas.");
  }

  return (
    <section className="panel stack" aria-labelledby="settings-webhook">
      <h2 id="settings-webhook">Webhook</h2>
      <p className="hint">O provedor de mensagens entrega nestes endereços, assinando cada entrega com o segredo.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!webhook ? (
        !error && <p className="muted">Carregando…</p>
      ) : (
        <>
          <CopyLine label="URL de mensagens" value={webhook.inbound_url} onCopy={() => copy(webhook.inbound_url, "Endereço")} />
          <CopyLine label="URL de status" value={webhook.status_url} onCopy={() => copy(webhook.status_url, "Endereço")} />
          <CopyLine label="Segredo" value={shown ? webhook.secret : "•".repeat(24)} onCopy={() => copy(webhook.secret, "Segredo")}>
            <button type="button" className="secondary" aria-pressed={shown} onClick={() => setShown(!shown)}>
              {shown ? "Ocultar" : "Mostrar"}
            </button>
          </CopyLine>
          {webhook.previous_valid_until && new Date(webhook.previous_valid_until) > new Date() && (
            <p className="hint">O segredo anterior ainda vale até {when(webhook.previous_valid_until)}.</p>
          )}
          <p className="hint">Ao gerar um novo segredo, o anterior continua funcionando por 24 horas, para dar tempo de atualizar o provedor.</p>
          <div className="row">
            <button type="button" className="secondary" disabled={busy} onClick={rotate}>
              Gerar novo segredo
            </button>
          </div>
        </>
      )}
      <p role="status" className="ok" style={{ margin: 0 }}>
        {notice}
      </p>
    </section>
  );
}

type CopyLineProps = { label: string; value: string; onCopy: () => void; children?: ReactNode };

function CopyLine({ label, value, onCopy, children }: CopyLineProps) {
  return (
    <div className="stack" style={{ gap: "0.25rem" }}>
      <strong>{label}</strong>
      <div className="row">
        <code className="grow" style={{ overflowWrap: "anywhere" }}>
          {value}
        </code>
        {children}
        <button type="button" className="secondary" aria-label={`Copiar ${label}`} onClick={onCopy}>
          Copiar
        </button>
      </div>
    </div>
  );
}
