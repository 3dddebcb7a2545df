// Never run: `npm run typecheck` compiles it, so that a change of api/openapi.yaml that
// breaks what a frontend relies on (a renamed or retyped field, a removed route, an
// object that stops being closed or free-form) fails CI here, not in a page.
import { createApiClient } from "./client";
import type { components } from "./schema";

type Contact = components["schemas"]["Contact"];
// Bodies are typed through their schemas: passed inline, openapi-fetch's inference lets
// unknown keys through (TypeScript checks excess properties only on a typed literal).
type ContactCreate = components["schemas"]["ContactCreate"];
type CampaignCreate = components["schemas"]["CampaignCreate"];

export async function check(): Promise<void> {
  const api = createApiClient("http://clinica-sorriso.localhost:8080", () => "token");

  // A search, typed query parameters and a typed page.
  const page = await api.GET("/api/v1/contacts", { params: { query: { q: "ana", limit: 20 } } });
  if (page.error) {
    const field: string | undefined = page.error.field;
    void field;
    return;
  }
  const contacts: Contact[] = page.data.items;
  const cursor: string | null = page.data.next_cursor;
  for (const contact of contacts) {
    const name: string | null = contact.name;
    // custom_fields is free-form: any key, values to be narrowed.
    const convenio: unknown = contact.custom_fields["convenio"];
    // @ts-expect-error Contact is closed: a misspelt field does not compile
    const misread = contact.nmae;
    void [name, convenio, misread];
  }
  void cursor;

  // A body with its required fields, nested free-form JSON included.
  const ana: ContactCreate = {
    name: "Ana Souza",
    phone: "(11) 98765-4321",
    tags: ["vip"],
    custom_fields: { convenio: "Amil", retorno: { dias: 30 } },
  };
  const created = await api.POST("/api/v1/contacts", { body: ana });
  const id: string | undefined = created.data?.id;
  void id;
  // @ts-expect-error name is required
  await api.POST("/api/v1/contacts", { body: { phone: "+5511987654321" } });
  // @ts-expect-error the body is closed: an unknown key does not compile (the server refuses it too)
  const misspelt: ContactCreate = { name: "Ana", fone: "+5511987654321" };
  void misspelt;

  // The inbox: each row has its contact and last message.
  const inbox = await api.GET("/api/v1/conversations", { params: { query: { status: "open" } } });
  for (const row of inbox.data?.items ?? []) {
    const contactName: string | null = row.contact_name;
    const preview: string | null | undefined = row.last_message?.preview;
    const unread: number = row.unread_count;
    void [contactName, preview, unread];
  }

  // A setting's value is any JSON value.
  await api.PUT("/api/v1/settings/{key}", {
    params: { path: { key: "inbox.greeting" } },
    body: { value: { text: "Olá!", hours: [["08:00", "18:00"]], enabled: true } },
  });
  await api.PUT("/api/v1/settings/{key}", { params: { path: { key: "inbox.limit" } }, body: { value: 42 } });
  await api.PUT("/api/v1/settings/{key}", { params: { path: { key: "inbox.note" } }, body: { value: null } });
  const greeting = await api.GET("/api/v1/settings/{key}", { params: { path: { key: "inbox.greeting" } } });
  const value: components["schemas"]["JsonValue"] | undefined = greeting.data?.value;
  void value;

  // audience_filter is closed: tags is its only key. channel and status have defaults.
  const retorno: CampaignCreate = { name: "Retorno", audience_filter: { tags: ["retorno"] } };
  const campaign = await api.POST("/api/v1/campaigns", { body: retorno });
  const tags: string[] | undefined = campaign.data?.audience_filter.tags;
  void tags;
  // @ts-expect-error a misspelt filter key does not compile (the server refuses it too)
  const everyone: CampaignCreate = { name: "Retorno", audience_filter: { tag: ["retorno"] } };
  void everyone;
}
