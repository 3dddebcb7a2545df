// Where the stack the Go harness started is, and what it can do outside the browser.
import { expect, type Page } from "@playwright/test";

const port = process.env.WEB_PORT;
const baseDomain = process.env.APP_BASE_DOMAIN ?? "localhost";
const helper = process.env.E2E_HELPER_URL;

/** The platform's site, or a clinic's (<slug>.<base domain>). */
export function site(slug?: string): string {
  return slug ? `http://${slug}.${baseDomain}:${port}` : `http://${baseDomain}:${port}`;
}

async function callHelper(path: string, body: unknown): Promise<Response> {
  const res = await fetch(`${helper}${path}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) {
    throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  return res;
}

/** Follows the link of the confirmation email Supabase Auth sent to email. */
export async function confirmEmail(email: string): Promise<void> {
  await callHelper("/confirm", { email });
}

/** A contact's message delivered to the clinic by its channel provider (signed webhook). */
export async function deliver(slug: string, from: string, name: string, content: string): Promise<void> {
  await callHelper("/inbound", { slug, from, name, content });
}

/** Signs in on a site's sign-in page. */
export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/entrar`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Senha").fill(password);
  await page.getByRole("button", { name: "Entrar" }).click();
}

/** Creates an account on the platform's site and confirms its email. */
export async function signUp(page: Page, name: string, email: string, password: string): Promise<void> {
  await page.goto(`${site()}/cadastro`);
  await page.getByLabel("Seu nome").fill(name);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Senha").fill(password);
  await page.getByRole("button", { name: "Criar conta" }).click();
  await expect(page).toHaveURL(/\/confirme-seu-email/);
  await confirmEmail(email);
}
