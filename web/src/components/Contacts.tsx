"use client";
// The contacts: searched as you type (name, email or phone digits, accents ignored),
// paged with "Carregar mais"; a form to create one, and each editable in place.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api/schema";
import { Field, FormError, formProblem, tagsFrom, type FormProblem } from "./forms";
import { problemText, useSession } from "./Session";

type Contact = components["schemas"]["Contact"];
type Draft = { name: string; phone: string; email: string; tags: string };

const fields = ["name", "phone", "email", "tags"];
const emptyDraft: Draft = { name: "", phone: "", email: "", tags: "" };

function draftOf(contact: Contact): Draft {
  return {
    name: contact.name ?? "",
    phone: contact.phone ?? "",
    email: contact.email ?? "",
    tags: contact.tags.join(", "),
  };
}

export function Contacts() {
  const { api } = useSession();
  const [q, setQ] = useState("");
  const [items, setItems] = useState<Contact[] | null>(null);
  const [page, setPage] = useState<{ q: string; cursor: string | null }>({ q: "", cursor: null });
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string>();
  const latest = useRef(0); // answers to an older search are dropped

  const load = useCallback(
    async (query: string, cursor?: string) => {
      const ticket = cursor ? latest.current : ++latest.current;
      setSearching(true);
      const { data, error } = await api.GET("/api/v1/contacts", {
        params: { query: { q: query || undefined, cursor, limit: 50 } },
      });
      if (ticket !== latest.current) {
        return;
      }
      setSearching(false);
      if (!data) {
        setError(problemText(error));
        return;
      }
      setError(undefined);
      setItems((list) => (cursor ? [...(list ?? []), ...data.items] : data.items));
      setPage({ q: query, cursor: data.next_cursor });
    },
    [api],
  );

  // Searches after a pause in the typing; the whole list (first load, search cleared)
  // at once.
  const query = q.trim();
  useEffect(() => {
    const timer = setTimeout(() => load(query), query ? 250 : 0);
    return () => clearTimeout(timer);
  }, [query, load]);

  async function create(draft: Draft): Promise<FormProblem | undefined> {
    const { data, error } = await api.POST("/api/v1/contacts", {
      body: {
        name: draft.name.trim(),
        phone: draft.phone.trim() || null,
        email: draft.email.trim() || null,
        tags: tagsFrom(draft.tags),
      },
    });
    if (!data) {
      return formProblem(error);
    }
    setItems((list) => [data, ...(list ?? []).filter((c) => c.id !== data.id)]);
  }

  function saved(contact: Contact) {
    setItems((list) => list?.map((c) => (c.id === contact.id ? contact : c)) ?? null);
  }

  return (
    <div className="stack">
      <h1>Contatos</h1>
      <section className="panel" aria-labelledby="new-contact">
        <h2 id="new-contact">Novo contato</h2>
        <ContactForm initial={emptyDraft} label="Novo contato" submitLabel="Criar contato" done="Contato criado." onSubmit={create} />
      </section>
      <section className="panel stack" aria-labelledby="contact-list">
        <h2 id="contact-list">Lista</h2>
        <label>
          <span>Buscar</span>
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Nome, e-mail ou telefone"
            autoComplete="off"
          />
        </label>
        <p role="status" className="hint" style={{ margin: 0 }}>
          {searching ? "Carregando…" : items && `${items.length}${page.cursor ? "+" : ""} ${items.length === 1 ? "contato" : "contatos"}`}
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {items === null ? null : items.length === 0 ? (
          <p className="muted">{page.q ? "Nenhum contato encontrado." : "Nenhum contato ainda. Crie o primeiro acima."}</p>
        ) : (
          <div style={{ overflowX: "auto" }}>
            <table data-testid="contacts">
              <thead>
                <tr>
                  <th scope="col">Nome</th>
                  <th scope="col">Telefone</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Etiquetas</th>
                  <th scope="col">
                    <span className="muted">Ações</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((contact) => (
                  <ContactRow key={contact.id} contact={contact} onSaved={saved} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {page.cursor && (
          <button type="button" className="secondary" disabled={searching} onClick={() => load(page.q, page.cursor ?? undefined)}>
            Carregar mais
          </button>
        )}
      </section>
    </div>
  );
}

function ContactRow({ contact, onSaved }: { contact: Contact; onSaved: (contact: Contact) => void }) {
  const { api } = useSession();
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const closed = useRef(false);

  // Back from the form, the focus returns to "Editar".
  useEffect(() => {
    if (!editing && closed.current) {
      editButton.current?.focus();
    }
  }, [editing]);

  function close() {
    closed.current = true;
    setEditing(false);
  }

  async function save(draft: Draft): Promise<FormProblem | undefined> {
    const { data, error } = await api.PATCH("/api/v1/contacts/{id}", {
      params: { path: { id: contact.id } },
      body: {
        name: draft.name.trim(),
        phone: draft.phone.trim() || null,
        email: draft.email.trim() || null,
        tags: tagsFrom(draft.tags),
      },
    });
    if (!data) {
      return formProblem(error);
    }
    onSaved(data);
    close();
  }

  const name = contact.name ?? "Contato sem nome";
  if (editing) {
    return (
      <tr>
        <td colSpan={5}>
          <ContactForm
            initial={draftOf(contact)}
            label={`Editar ${name}`}
            submitLabel="Salvar"
            onSubmit={save}
            onCancel={close}
            autoFocus
          />
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <td>{contact.name ?? <span className="muted">Sem nome</span>}</td>
      <td>{contact.phone ?? "—"}</td>
      <td>{contact.email ?? "—"}</td>
      <td>
        <span className="row" style={{ gap: "0.25rem" }}>
          {contact.tags.map((tag) => (
            <span key={tag} className="badge">
              {tag}
            </span>
          ))}
        </span>
      </td>
      <td>
        <button type="button" className="secondary" ref={editButton} aria-label={`Editar ${name}`} onClick={() => setEditing(true)}>
          Editar
        </button>
      </td>
    </tr>
  );
}

type ContactFormProps = {
  initial: Draft;
  label: string;
  submitLabel: string;
  done?: string;
  onSubmit: (draft: Draft) => Promise<FormProblem | undefined>;
  onCancel?: () => void;
  autoFocus?: boolean;
};

/** The contact's fields; the API's problem shows next to the field it names. */
function ContactForm({ initial, label, submitLabel, done, onSubmit, onCancel, autoFocus }: ContactFormProps) {
  const [draft, setDraft] = useState(initial);
  const [problem, setProblem] = useState<FormProblem>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();

  const input = (key: keyof Draft) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value })),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNotice(undefined);
    const problem = await onSubmit(draft);
    setBusy(false);
    setProblem(problem);
    if (!problem) {
      setDraft(initial);
      setNotice(done);
    }
  }

  return (
    <form onSubmit={submit} aria-label={label} className="stack">
      <div className="row" style={{ alignItems: "flex-start" }}>
        <Field label="Nome" name="name" problem={problem} required autoFocus={autoFocus} {...input("name")} />
        <Field label="Telefone" name="phone" problem={problem} type="tel" autoComplete="off" {...input("phone")} />
        <Field label="E-mail" name="email" problem={problem} type="email" autoComplete="off" {...input("email")} />
        <Field label="Etiquetas" name="tags" problem={problem} placeholder="separadas por vírgula" {...input("tags")} />
      </div>
      <FormError problem={problem} fields={fields} />
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? "Salvando…" : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancelar
          </button>
        )}
        {notice && (
          <span className="ok" role="status">
            {notice}
          </span>
        )}
      </div>
    </form>
  );
}
