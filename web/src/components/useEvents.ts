"use client";
// Follows the tenant's live events (GET /api/v1/events): a ticket buys the stream (an
// EventSource cannot send the token), and every reconnection — a lost connection, an
// expired token — takes a new ticket and resumes after the last event seen.
import { useEffect, useRef } from "react";
import type { components } from "@/lib/api/schema";
import { useSession } from "./Session";

type Schemas = components["schemas"];

/** An event by its name, its data typed by the document's Event<Name> schema. */
export type LiveEvent =
  | { type: "message.created"; data: Schemas["EventMessageCreated"] }
  | { type: "message.updated"; data: Schemas["EventMessageUpdated"] }
  | { type: "conversation.created"; data: Schemas["EventConversationCreated"] }
  | { type: "conversation.updated"; data: Schemas["EventConversationUpdated"] }
  | { type: "lead.moved"; data: Schemas["EventLeadMoved"] };

const eventTypes: LiveEvent["type"][] = [
  "message.created",
  "message.updated",
  "conversation.created",
  "conversation.updated",
  "lead.moved",
];

/** Calls onEvent for each event, and onReset when events may have been missed. */
export function useEvents(onEvent: (event: LiveEvent) => void, onReset: () => void) {
  const { api, config } = useSession();
  const handlers = useRef({ onEvent, onReset });
  handlers.current = { onEvent, onReset };

  useEffect(() => {
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let lastEventId = "";
    let closed = false;

    async function connect() {
      const { data } = await api.POST("/api/v1/events/ticket");
      if (closed) {
        return;
      }
      if (!data) {
        retry = setTimeout(connect, 3000);
        return;
      }
      const url = new URL(`${config.apiUrl}/api/v1/events`);
      url.searchParams.set("ticket", data.ticket);
      if (lastEventId) {
        url.searchParams.set("last_event_id", lastEventId);
      }
      source = new EventSource(url);
      for (const type of eventTypes) {
        source.addEventListener(type, (message) => {
          const event = message as MessageEvent<string>;
          lastEventId = event.lastEventId || lastEventId;
          handlers.current.onEvent({ type, data: JSON.parse(event.data) } as LiveEvent);
        });
      }
      source.addEventListener("reset", () => handlers.current.onReset());
      const reconnect = () => {
        source?.close();
        if (!closed) {
          retry = setTimeout(connect, 1000);
        }
      };
      // The server ends a stream whose token expired; any other loss ends in onerror.
      source.addEventListener("expired", reconnect);
      source.onerror = reconnect;
    }

    connect();
    return () => {
      closed = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [api, config.apiUrl]);
}
