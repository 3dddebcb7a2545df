"use server";
// Signing up, in and out, on the server: Supabase Auth sets the session cookies on the
// response, so the first page after sign-in is already rendered for the signed-in user.
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { createApiClient } from "./api/client";
import { publicConfig } from "./config";
import { tenantUrl } from "./site";
import { supabaseServer } from "./supabase/server";
import { decodeTenant, tenantHeader } from "./tenant";

export type FormState = { error?: string; email?: string };

function field(form: FormData, name: string): string {
  return String(form.get(name) ?? "").trim();
}

/** The request's own URL (scheme, host and port as the browser sees them). */
async function requestUrl(): Promise<URL> {
  const h = await headers();
  const proto = h.get("x-forwarded-proto") ?? "http";
  return new URL(`${proto}://${h.get("host")}`);
}

/** Supabase Auth's refusals, in Portuguese. */
function authError(message: string, code?: string): string {
  if (code === "email_not_confirmed") {
    return "Confirme seu e-mail antes de entrar: enviamos um link para ele.";
  }
  if (code === "invalid_credentials") {
    return "E-mail ou senha incorretos.";
  }
  if (code === "user_already_exists" || code === "email_exists") {
    return "Já existe uma conta com este e-mail. Entre com sua senha.";
  }
  if (code === "weak_password") {
    return "Senha fraca: use ao menos 6 caracteres.";
  }
  return `Não foi possível continuar: ${message}`;
}

/**
 * Signs in with email and password. On a clinic's site the account must belong to that
 * clinic — the API says so (403 for another clinic's member): then the session is ended
 * and the person is told plainly. On the platform's site, a member goes to their clinic's
 * site, and someone without a clinic to its setup.
 */
export async function signIn(_: FormState, form: FormData): Promise<FormState> {
  const email = field(form, "email");
  const supabase = await supabaseServer();
  const { data, error } = await supabase.auth.signInWithPassword({ email, password: String(form.get("password") ?? "") });
  if (error || !data.session) {
    return { error: authError(error?.message ?? "sem sessão", error?.code), email };
  }
  const config = publicConfig();
  const url = await requestUrl();
  const tenant = decodeTenant((await headers()).get(tenantHeader));
  const api = createApiClient(config.apiUrl, () => data.session.access_token, url.host);
  const me = await api.GET("/api/v1/me");

  if (tenant) {
    // The API refuses (403) a member of another clinic on this clinic's site.
    if (me.response.status === 403) {
      await supabase.auth.signOut();
      return { error: `Esta conta não pertence a ${tenant.name}: ela é de outra clínica. Entre no endereço da sua clínica.`, email };
    }
    if (me.data && me.data.tenant?.id !== tenant.id) {
      await supabase.auth.signOut();
      return {
        error: `Esta conta ainda não faz parte de ${tenant.name}. Se você recebeu um convite, confirme seu e-mail e tente de novo.`,
        email,
      };
    }
    if (!me.data) {
      await supabase.auth.signOut();
      return { error: me.error?.detail ?? "Não foi possível entrar agora.", email };
    }
    redirect("/inbox");
  }
  if (me.data?.tenant) {
    // The session is this site's: the clinic's own site asks for the password once.
    redirect(`${tenantUrl(me.data.tenant.slug, config.baseDomain, url)}/entrar?email=${encodeURIComponent(email)}`);
  }
  redirect("/nova-clinica");
}

/** Creates an account on the platform's site; Supabase Auth emails the confirmation. */
export async function signUp(_: FormState, form: FormData): Promise<FormState> {
  const email = field(form, "email");
  const supabase = await supabaseServer();
  const url = await requestUrl();
  const { data, error } = await supabase.auth.signUp({
    email,
    password: String(form.get("password") ?? ""),
    options: { data: { full_name: field(form, "full_name") }, emailRedirectTo: `${url.origin}/entrar` },
  });
  if (error) {
    return { error: authError(error.message, error.code), email };
  }
  if (data.session) {
    redirect("/nova-clinica"); // the project confirms emails at once
  }
  redirect(`/confirme-seu-email?email=${encodeURIComponent(email)}`);
}

export async function signOut(): Promise<void> {
  const supabase = await supabaseServer();
  await supabase.auth.signOut();
  redirect("/entrar");
}
