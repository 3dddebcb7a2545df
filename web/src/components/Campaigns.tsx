"use client";
// The campaigns, newest first, each with its numbers on demand. Admins create drafts
// and launch them; agents only read.
import { Fragment, useCallback, useEffect, useState, type FormEvent } from "react";
import type { components } from "@/lib/api/schema";
import { Field, FormError, formProblem, tagsFrom, type FormProblem } from "./forms";
import { problemText, useSession } from "./Session";

type Campaign = components["schemas"]["Campaign"];
type Channel = components["schemas"]["CampaignChannel"];
type Stats = components["schemas"]["CampaignStats"]["events"];

const statusLabels: Record<Campaign["status"], string> = {
  draft: "Rascunho",
  scheduled: "Agendada",
  running: "Em andamento",
  completed: "Concluída",
  cancelled: "Cancelada",
};
const channelLabels: Record<Channel, string> = {
  whatsapp: "WhatsApp",
  instagram: "Instagram",
  webchat: "Chat do site",
  email: "E-mail",
};
const statsLabels: Record<keyof Stats, string> = {
  queued: "Na fila",
  sent: "Enviadas",
  delivered: "Entregues",
  read: "Lidas",
  replied: "Respondidas",
  failed: "Falharam",
};

function day(iso: string): string {
  return new Date(iso).toLocaleDateString("pt-BR");
}

export function Campaigns() {
  const { api } = useSession();
  const [admin, setAdmin] = useState(false);
  const [items, setItems] = useState<Campaign[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const load = useCallback(
    async (after?: string) => {
      const { data, error } = await api.GET("/api/v1/campaigns", { params: { query: { cursor: after, limit: 50 } } });
      if (!data) {
        setError(problemText(error));
        return;
      }
      setError(undefined);
      setItems((list) => (after ? [...(list ?? []), ...data.items] : data.items));
      setCursor(data.next_cursor);
    },
    [api],
  );

  useEffect(() => {
    load();
    api.GET("/api/v1/me").then(({ data }) => setAdmin(data?.role === "owner" || data?.role === "admin"));
  }, [api, load]);

  async function launch(campaign: Campaign) {
    if (!window.confirm(`Lançar a campanha "${campaign.name}"? As mensagens começam a ir para o público dela.`)) {
      return;
    }
    setNotice(undefined);
    const { data, error } = await api.POST("/api/v1/campaigns/{id}/launch", { params: { path: { id: campaign.id } } });
    if (!data) {
      setError(problemText(error));
      return;
    }
    setError(undefined);
    setItems((list) => list?.map((c) => (c.id === data.campaign.id ? data.campaign : c)) ?? null);
    setNotice(`Campanha "${data.campaign.name}" lançada: ${data.queued} ${data.queued === 1 ? "mensagem" : "mensagens"} na fila.`);
  }

  function created(campaign: Campaign) {
    setItems((list) => [campaign, ...(list ?? [])]);
  }

  return (
    <div className="stack">
      <h1>Campanhas</h1>
      {admin && <NewCampaign onCreated={created} />}
      <section className="panel stack" aria-labelledby="campaign-list">
        <h2 id="campaign-list">Todas as campanhas</h2>
        <p role="status" className="ok" style={{ margin: 0 }}>
          {notice}
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {items === null ? (
          !error && <p className="muted">Carregando…</p>
        ) : items.length === 0 ? (
          <p className="muted">Nenhuma campanha ainda.{admin && " Crie a primeira acima."}</p>
        ) : (
          <div style={{ overflowX: "auto" }}>
            <table data-testid="campaigns">
              <thead>
                <tr>
                  <th scope="col">Nome</th>
                  <th scope="col">Canal</th>
                  <th scope="col">Situação</th>
                  <th scope="col">Criada em</th>
                  <th scope="col">
                    <span className="muted">Ações</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((campaign) => (
                  <CampaignRow key={campaign.id} campaign={campaign} admin={admin} onLaunch={() => launch(campaign)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor && (
          <button type="button" className="secondary" onClick={() => load(cursor)}>
            Carregar mais
          </button>
        )}
      </section>
    </div>
  );
}

type RowProps = { campaign: Campaign; admin: boolean; onLaunch: () => void };

function CampaignRow({ campaign, admin, onLaunch }: RowProps) {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string>();
  const panel = `campaign-stats-${campaign.id}`;

  async function toggle() {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setError(undefined);
    const { data, error } = await api.GET("/api/v1/campaigns/{id}/stats", { params: { path: { id: campaign.id } } });
    if (data) {
      setStats(data.events);
    } else {
      setError(problemText(error));
    }
  }

  const launchable = campaign.status === "draft" || campaign.status === "scheduled";
  return (
    <Fragment>
      <tr>
        <td>{campaign.name}</td>
        <td>{channelLabels[campaign.channel]}</td>
        <td>{statusLabels[campaign.status]}</td>
        <td>{day(campaign.created_at)}</td>
        <td>
          <div className="row" style={{ flexWrap: "nowrap" }}>
            <button type="button" className="secondary" aria-expanded={open} aria-controls={panel} onClick={toggle}>
              {open ? "Ocultar números" : "Ver números"}
            </button>
            {admin && launchable && (
              <button type="button" onClick={onLaunch}>
                Lançar
              </button>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr id={panel}>
          <td colSpan={5}>
            {error ? (
              <p className="error" role="alert">
                {error}
              </p>
            ) : !stats ? (
              <p className="muted" role="status">
                Carregando…
              </p>
            ) : (
              <ul className="row" style={{ listStyle: "none", margin: 0, padding: 0, gap: "1rem" }} aria-label={`Números de ${campaign.name}`}>
                {(Object.keys(statsLabels) as (keyof Stats)[]).map((key) => (
                  <li key={key}>
                    <strong>{stats[key].toLocaleString("pt-BR")}</strong> <span className="muted">{statsLabels[key]}</span>
                  </li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  );
}

function NewCampaign({ onCreated }: { onCreated: (campaign: Campaign) => void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [channel, setChannel] = useState<Channel>("whatsapp");
  const [message, setMessage] = useState("");
  const [tags, setTags] = useState("");
  const [problem, setProblem] = useState<FormProblem>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNotice(undefined);
    const audience = tagsFrom(tags);
    const { data, error } = await api.POST("/api/v1/campaigns", {
      body: {
        name: name.trim(),
        channel,
        status: "draft",
        message_template: message.trim() || null,
        ...(audience.length > 0 ? { audience_filter: { tags: audience } } : {}),
      },
    });
    setBusy(false);
    if (!data) {
      setProblem(formProblem(error));
      return;
    }
    setProblem(undefined);
    setName("");
    setMessage("");
    setTags("");
    setNotice("Rascunho criado. Lance a campanha quando quiser.");
    onCreated(data);
  }

  return (
    <section className="panel" aria-labelledby="new-campaign">
      <h2 id="new-campaign">Nova campanha</h2>
      <form onSubmit={submit} className="stack">
        <div className="row" style={{ alignItems: "flex-start" }}>
          <Field label="Nome" name="name" problem={problem} value={name} onChange={(e) => setName(e.target.value)} required />
          <label>
            <span>Canal</span>
            <select value={channel} onChange={(e) => setChannel(e.target.value as Channel)}>
              {(Object.keys(channelLabels) as Channel[]).map((key) => (
                <option key={key} value={key}>
                  {channelLabels[key]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          <span>Mensagem</span>
          <textarea
            name="message_template"
            rows={3}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
          />
        </label>
        <Field
          label="Etiquetas do público"
          name="audience_filter"
          problem={problem}
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          placeholder="separadas por vírgula"
        />
        <p className="hint">Sem etiquetas, a campanha vai para todos os contatos que o canal alcança.</p>
        <FormError problem={problem} fields={["name", "audience_filter"]} />
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? "Criando…" : "Criar rascunho"}
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
