"use client";
// The browser side of a signed-in page: the API client, carrying the Supabase access
// token (refreshed by supabase-js as it nears expiry) and the site's host.
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { createApiClient, type ApiClient } from "@/lib/api/client";
import type { PublicConfig } from "@/lib/config";
import { supabaseBrowser } from "@/lib/supabase/browser";

type Session = { api: ApiClient; config: PublicConfig; accessToken: () => Promise<string | undefined> };

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ config, children }: { config: PublicConfig; children: ReactNode }) {
  const session = useMemo(() => {
    // Made on first use, in the browser: this component also renders on the server.
    let supabase: ReturnType<typeof supabaseBrowser> | undefined;
    const accessToken = async () => {
      supabase ??= supabaseBrowser(config);
      return (await supabase.auth.getSession()).data.session?.access_token;
    };
    // The site's host is read when a request is made: this also renders on the server.
    const api = createApiClient(config.apiUrl, accessToken, () => window.location.host);
    // A refused token (expired beyond refresh, the account removed): back to sign-in.
    api.use({
      onResponse({ response }) {
        if (response.status === 401) {
          window.location.assign(`/entrar?expirou=1`);
        }
        return response;
      },
    });
    return { api, config, accessToken };
  }, [config]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) {
    throw new Error("useSession outside SessionProvider");
  }
  return session;
}

const statusTexts: Record<number, string> = {
  400: "Confira os dados informados.",
  403: "Você não tem permissão para isso.",
  404: "Não encontrado: talvez já tenha sido removido.",
  409: "Conflito com o que já existe.",
  413: "Conteúdo grande demais.",
  422: "Algo referido não existe mais.",
  429: "Muitas tentativas: aguarde um pouco.",
};

/**
 * An API problem in Portuguese, by its status; the API's own detail (in English: it
 * names the rule) follows in parentheses.
 */
export function problemText(error: unknown): string {
  const problem = error as { status?: number; detail?: string } | undefined;
  const text = (problem?.status && statusTexts[problem.status]) || "Não foi possível agora. Tente de novo.";
  return problem?.detail ? `${text} (${problem.detail})` : text;
}
