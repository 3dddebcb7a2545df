"use client";
// The sales board: one column per stage, each card a lead (its contact and value).
// A lead moves with the "◀"/"▶" buttons or the stage select; a long column continues
// with "Ver mais". Live: a lead moved elsewhere (another tab, another person) reloads
// the board.
import { useCallback, useEffect, useRef, useState } from "react";
import type { components } from "@/lib/api/schema";
import { problemText, useSession } from "./Session";
import { useEvents, type LiveEvent } from "./useEvents";

type Stage = components["schemas"]["LeadStage"];
type Column = components["schemas"]["PipelineStage"];
type Card = components["schemas"]["PipelineCard"];
type Lead = components["schemas"]["Lead"];

const stageLabels: Record<Stage, string> = {
  new: "Novos",
  contacted: "Contatados",
  qualified: "Qualificados",
  proposal: "Proposta",
  won: "Ganhos",
  lost: "Perdidos",
};
const brl = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
const firstPage = 50; // the board's leads per stage, as the API's default
const maxPerStage = 200; // the most a reload keeps of a column grown with "Ver mais"

export function Pipeline() {
  const { api } = useSession();
  const [board, setBoard] = useState<Column[] | null>(null);
  // Where each column's "Ver mais" continues: absent before the first, null at the end.
  const [cursors, setCursors] = useState<Partial<Record<Stage, string | null>>>({});
  const [busy, setBusy] = useState<string | null>(null); // a lead being moved, a stage loading more
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const perStage = useRef(firstPage);
  const generation = useRef(0); // a reload makes older "Ver mais" answers stale
  const names = useRef(new Map<string, string | null>()); // contact names, by id
  const focusLead = useRef<string | null>(null);

  const reload = useCallback(async () => {
    const current = ++generation.current;
    const { data, error } = await api.GET("/api/v1/pipeline", { params: { query: { per_stage: perStage.current } } });
    if (current !== generation.current) {
      return;
    }
    if (!data) {
      setError(problemText(error));
      return;
    }
    setError(undefined);
    setBoard(data.stages);
    setCursors({});
  }, [api]);

  useEffect(() => {
    reload();
  }, [reload]);

  // After a move the card is elsewhere: the focus follows it.
  useEffect(() => {
    if (focusLead.current) {
      document.getElementById(`lead-${focusLead.current}`)?.focus();
      focusLead.current = null;
    }
  }, [board]);

  // Live: events come in bursts (a move renumbers two columns), so reloads wait a moment.
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const reloadSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, 300);
  }, [reload]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onEvent = useCallback(
    ({ type }: LiveEvent) => {
      if (type === "lead.moved") {
        reloadSoon();
      }
    },
    [reloadSoon],
  );
  useEvents(onEvent, reloadSoon);

  async function move(card: Card, to: Stage) {
    const target = board?.find((c) => c.stage === to);
    if (!target || to === card.stage) {
      return;
    }
    setBusy(card.id);
    setNotice(undefined);
    const { error } = await api.POST("/api/v1/leads/{id}/move", {
      params: { path: { id: card.id } },
      body: { stage: to, position: target.total }, // the end of the column
    });
    if (error) {
      setBusy(null);
      setError(problemText(error));
      return;
    }
    focusLead.current = card.id;
    setNotice(`${card.contact_name ?? "Lead"} movido para ${stageLabels[to]}.`);
    await reload();
    setBusy(null);
  }

  /** The contact names of leads listed without them (GET /api/v1/leads). */
  async function withNames(leads: Lead[]): Promise<Card[]> {
    const missing = [...new Set(leads.map((l) => l.contact_id).filter((id): id is string => !!id && !names.current.has(id)))];
    await Promise.all(
      missing.map(async (id) => {
        const { data } = await api.GET("/api/v1/contacts/{id}", { params: { path: { id } } });
        names.current.set(id, data?.name ?? data?.phone ?? null);
      }),
    );
    return leads.map((l) => ({ ...l, contact_name: l.contact_id ? (names.current.get(l.contact_id) ?? null) : null }));
  }

  async function loadMore(column: Column) {
    const current = generation.current;
    const shown = new Set(column.leads.map((l) => l.id));
    let cursor = cursors[column.stage] ?? undefined;
    let fresh: Lead[] = [];
    let next: string | null = null;
    setBusy(column.stage);
    // The first page starts at the column's top: skip what the board already shows.
    do {
      const { data, error } = await api.GET("/api/v1/leads", {
        params: { query: { stage: column.stage, cursor, limit: cursor ? firstPage : 100 } },
      });
      if (!data) {
        setBusy(null);
        setError(problemText(error));
        return;
      }
      fresh = data.items.filter((l) => !shown.has(l.id));
      next = data.next_cursor;
      cursor = next ?? undefined;
    } while (fresh.length === 0 && next);
    const cards = await withNames(fresh);
    setBusy(null);
    if (current !== generation.current) {
      return; // the board was reloaded meanwhile
    }
    const length = column.leads.length + cards.length;
    perStage.current = Math.min(maxPerStage, Math.max(perStage.current, length));
    setBoard((list) => list?.map((c) => (c.stage === column.stage ? { ...c, leads: [...c.leads, ...cards] } : c)) ?? null);
    setCursors((all) => ({ ...all, [column.stage]: next }));
  }

  if (board === null) {
    return <p role="status">{error ?? "Carregando funil…"}</p>;
  }
  const order = board.map((c) => c.stage);
  return (
    <div className="stack">
      <h1>Funil</h1>
      <p role="status" className={error ? "error" : "hint"} style={{ margin: 0 }}>
        {error ?? notice}
      </p>
      <div className="board">
        {board.map((column) => (
          <section key={column.stage} className="column stack" aria-labelledby={`stage-${column.stage}`} data-testid={`stage-${column.stage}`}>
            <h2 id={`stage-${column.stage}`} className="row">
              <span className="grow">{stageLabels[column.stage]}</span>
              <span className="badge">{column.total}</span>
            </h2>
            {column.leads.length === 0 ? (
              <p className="muted">Nenhum lead.</p>
            ) : (
              <ul className="list">
                {column.leads.map((card) => (
                  <LeadCard key={card.id} card={card} order={order} busy={busy === card.id} onMove={(to) => move(card, to)} />
                ))}
              </ul>
            )}
            {column.leads.length < column.total && cursors[column.stage] !== null && (
              <button type="button" className="secondary" disabled={busy === column.stage} onClick={() => loadMore(column)}>
                {busy === column.stage ? "Carregando…" : "Ver mais"}
              </button>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}

type LeadCardProps = { card: Card; order: Stage[]; busy: boolean; onMove: (to: Stage) => void };

function LeadCard({ card, order, busy, onMove }: LeadCardProps) {
  const index = order.indexOf(card.stage);
  const before = order[index - 1];
  const after = order[index + 1];
  const name = card.contact_name ?? "Sem contato";
  return (
    <li id={`lead-${card.id}`} tabIndex={-1} className="stack" style={{ gap: "0.35rem", padding: "0.5rem 0" }} aria-busy={busy}>
      <strong>{name}</strong>
      <span className="muted">{card.value === null ? "Sem valor" : brl.format(card.value)}</span>
      <div className="row" style={{ gap: "0.25rem", flexWrap: "nowrap" }}>
        <button
          type="button"
          className="secondary"
          disabled={!before || busy}
          aria-label={before ? `Mover para ${stageLabels[before]}` : "Já no primeiro estágio"}
          onClick={() => before && onMove(before)}
        >
          ◀
        </button>
        <select
          className="grow"
          style={{ minWidth: 0 }}
          aria-label={`Estágio de ${name}`}
          value={card.stage}
          disabled={busy}
          onChange={(e) => onMove(e.target.value as Stage)}
        >
          {order.map((stage) => (
            <option key={stage} value={stage}>
              {stageLabels[stage]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="secondary"
          disabled={!after || busy}
          aria-label={after ? `Mover para ${stageLabels[after]}` : "Já no último estágio"}
          onClick={() => after && onMove(after)}
        >
          ▶
        </button>
      </div>
    </li>
  );
}
