"use client";
// The inbox: the conversations, most recent first, each with its contact and last
// message; the open conversation's messages and a reply box. Live: what arrives by the
// event stream updates the list and the open conversation without a reload.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { components } from "@/lib/api/schema";
import { problemText, useSession } from "./Session";
import { useEvents, type LiveEvent } from "./useEvents";

type Row = components["schemas"]["InboxRow"];
type Message = components["schemas"]["Message"];
type User = components["schemas"]["User"];

const statusLabels: Record<string, string> = { open: "Aberta", pending: "Pendente", closed: "Fechada" };
const deliveryLabels: Record<string, string> = {
  queued: "na fila",
  sent: "enviada",
  delivered: "entregue",
  read: "lida",
  failed: "falhou",
};

function byActivity(a: Row, b: Row): number {
  return b.last_message_at.localeCompare(a.last_message_at) || b.id.localeCompare(a.id);
}

function when(iso: string): string {
  return new Date(iso).toLocaleString("pt-BR", { dateStyle: "short", timeStyle: "short" });
}

export function Inbox() {
  const { api } = useSession();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [me, setMe] = useState<string | null>(null);
  const [team, setTeam] = useState<User[]>([]);
  const [error, setError] = useState<string>();
  const [reply, setReply] = useState("");
  const [sending, setSending] = useState(false);

  const loadRows = useCallback(async () => {
    const { data, error } = await api.GET("/api/v1/conversations", { params: { query: { limit: 100 } } });
    if (data) {
      setRows(data.items);
    } else {
      setError(problemText(error));
    }
  }, [api]);

  const loadMessages = useCallback(
    async (id: string) => {
      const { data, error } = await api.GET("/api/v1/conversations/{id}/messages", {
        params: { path: { id }, query: { limit: 100 } },
      });
      if (data) {
        setMessages([...data.items].reverse()); // newest first from the API
      } else {
        setError(problemText(error));
      }
    },
    [api],
  );

  useEffect(() => {
    loadRows();
    api.GET("/api/v1/me").then(({ data }) => setMe(data?.id ?? null));
    api.GET("/api/v1/users", { params: { query: { limit: 100 } } }).then(({ data }) => setTeam(data?.items ?? []));
  }, [api, loadRows]);

  async function open(row: Row) {
    setSelected(row.id);
    setError(undefined);
    await loadMessages(row.id);
    if (row.unread_count > 0) {
      await api.POST("/api/v1/conversations/{id}/read", { params: { path: { id: row.id } } });
    }
  }

  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.type === "message.created") {
        const { data } = event;
        // The event carries a preview; the open conversation reads the message whole.
        if (data.conversation_id === selected) {
          loadMessages(data.conversation_id);
        }
        setRows(
          (list) =>
            list?.map((r) =>
              r.id === data.conversation_id
                ? {
                    ...r,
                    last_message: {
                      preview: data.preview,
                      direction: data.direction,
                      status: data.status,
                      sender_type: data.sender_type,
                      has_media: data.has_media,
                      created_at: data.created_at,
                    },
                  }
                : r,
            ) ?? null,
        );
      } else if (event.type === "message.updated") {
        const { data } = event;
        setMessages((list) => list.map((m) => (m.id === data.id ? { ...m, status: data.status } : m)));
      } else if (event.type === "conversation.created") {
        // A new row is read whole (the event lacks its avatar and last message).
        loadRows();
      } else if (event.type === "conversation.updated") {
        const { data } = event;
        setRows(
          (list) =>
            list
              ?.map((r) =>
                r.id === data.id
                  ? {
                      ...r,
                      status: data.status,
                      assigned_user_id: data.assigned_user_id,
                      unread_count: data.unread_count,
                      last_message_at: data.last_message_at ?? r.last_message_at,
                    }
                  : r,
              )
              .sort(byActivity) ?? null,
        );
      }
    },
    [selected, loadMessages, loadRows],
  );

  const onReset = useCallback(() => {
    loadRows();
    if (selected) {
      loadMessages(selected);
    }
  }, [loadRows, loadMessages, selected]);

  useEvents(onEvent, onReset);

  async function send(event: FormEvent) {
    event.preventDefault();
    if (!selected || !reply.trim()) {
      return;
    }
    setSending(true);
    const { data, error } = await api.POST("/api/v1/conversations/{id}/messages", {
      params: { path: { id: selected } },
      body: { content: reply },
    });
    setSending(false);
    if (!data) {
      setError(problemText(error));
      return;
    }
    setReply("");
    setMessages((list) => [...list.filter((m) => m.id !== data.id), data]);
  }

  async function update(body: components["schemas"]["ConversationUpdate"]) {
    if (!selected) {
      return;
    }
    const { data, error } = await api.PATCH("/api/v1/conversations/{id}", { params: { path: { id: selected } }, body });
    if (data) {
      setRows((list) => list?.map((r) => (r.id === data.id ? { ...r, ...data } : r)) ?? null);
    } else {
      setError(problemText(error));
    }
  }

  if (rows === null) {
    return <p role="status">{error ?? "Carregando conversas…"}</p>;
  }
  const current = rows.find((r) => r.id === selected);
  return (
    <div className="inbox">
      <section className="panel" aria-label="Conversas">
        <h1>Conversas</h1>
        {rows.length === 0 ? (
          <p className="muted">Nenhuma conversa ainda. As mensagens dos seus contatos aparecem aqui assim que chegam.</p>
        ) : (
          <ul className="list" data-testid="conversations">
            {rows.map((row) => (
              <li key={row.id}>
                <button type="button" className="conversation-button" aria-current={row.id === selected} onClick={() => open(row)}>
                  <span className="row">
                    <strong className="grow">{row.contact_name ?? row.contact_phone ?? "Contato sem nome"}</strong>
                    {row.unread_count > 0 && (
                      <span className="badge" aria-label={`${row.unread_count} não lidas`}>
                        {row.unread_count}
                      </span>
                    )}
                  </span>
                  <span className="muted">{row.last_message?.preview ?? "Sem mensagens"}</span>
                  <span className="hint">
                    {statusLabels[row.status]} · {row.channel} · {when(row.last_message_at)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel thread" aria-label="Conversa aberta">
        {!current ? (
          <p className="muted">Escolha uma conversa para ler e responder.</p>
        ) : (
          <>
            <div className="row">
              <h2 className="grow">{current.contact_name ?? current.contact_phone ?? "Contato sem nome"}</h2>
              <label>
                Responsável{" "}
                <select
                  value={current.assigned_user_id ?? ""}
                  onChange={(e) => update({ assigned_user_id: e.target.value || null })}
                >
                  <option value="">Ninguém</option>
                  {team.map((user) => (
                    <option key={user.id} value={user.id}>
                      {(user.full_name ?? user.email ?? "Sem nome") + (user.id === me ? " (eu)" : "")}
                    </option>
                  ))}
                </select>
              </label>
              {current.status !== "closed" ? (
                <button type="button" className="secondary" onClick={() => update({ status: "closed" })}>
                  Encerrar
                </button>
              ) : (
                <button type="button" className="secondary" onClick={() => update({ status: "open" })}>
                  Reabrir
                </button>
              )}
            </div>
            <ul className="messages" aria-live="polite" data-testid="messages">
              {messages.map((m) => (
                <li key={m.id} className={`message ${m.direction}`}>
                  {m.content ?? "(anexo)"}
                  <div className="hint">
                    {when(m.created_at)}
                    {m.direction === "outbound" && ` · ${deliveryLabels[m.status]}`}
                  </div>
                </li>
              ))}
            </ul>
            <form onSubmit={send} className="row">
              <label className="grow">
                <span className="muted">Resposta</span>
                <textarea value={reply} onChange={(e) => setReply(e.target.value)} rows={2} required />
              </label>
              <button type="submit" disabled={sending}>
                {sending ? "Enviando…" : "Enviar"}
              </button>
            </form>
          </>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </section>
    </div>
  );
}
