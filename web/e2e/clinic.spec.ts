// A clinic's first day, in a real browser against the real stack.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { deliver, signIn, signUp, site } from "./stack";

const run = Date.now().toString(36);
const slug = `sorriso-alegre-${run}`;
const owner = { name: "Dra. Helena", email: `helena.${run}@example.com`, password: "senha-da-helena-1" };
const agent = { name: "Bruna", email: `bruna.${run}@example.com`, password: "senha-da-bruna-1" };

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test.describe.serial("a clínica", () => {
  test("1. se cadastra, cria a clínica e chega ao seu endereço com nome, logo e cor", async ({ page }) => {
    await signUp(page, owner.name, owner.email, owner.password);
    await signIn(page, site(), owner.email, owner.password);
    await expect(page).toHaveURL(/\/nova-clinica/);

    await page.getByLabel("Nome da clínica").fill("Sorriso Alegre");
    await page.getByLabel("Endereço", { exact: true }).fill(slug);
    await expect(page.getByText("Endereço disponível.")).toBeVisible();
    await page.getByLabel(/Logo/).fill("https://cdn.example/sorriso.png");
    await page.getByLabel("Cor principal").fill("#aa3366");
    await page.getByRole("button", { name: "Criar clínica" }).click();

    // The clinic's own address, already in its look, asks for the password once.
    await expect(page).toHaveURL(new RegExp(`^${site(slug)}/entrar`));
    await expect(page.getByText("Sorriso Alegre")).toBeVisible();
    await expect(page.getByRole("img", { name: "Logo de Sorriso Alegre" })).toHaveAttribute("src", "https://cdn.example/sorriso.png");
    await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", "https://cdn.example/sorriso.png");
    const primary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--cor-primaria").trim());
    expect(primary).toBe("#aa3366");

    await page.getByLabel("Senha").fill(owner.password);
    await page.getByRole("button", { name: "Entrar" }).click();
    await expect(page).toHaveURL(`${site(slug)}/inbox`);
    await expect(page.getByRole("heading", { name: "Conversas" })).toBeVisible();
  });

  test("2. convida uma atendente, que se cadastra, confirma e entra", async ({ browser }) => {
    const admin = await newPage(browser);
    await signIn(admin, site(slug), owner.email, owner.password);
    await expect(admin).toHaveURL(`${site(slug)}/inbox`);
    await admin.getByRole("link", { name: "Configurações" }).click();
    const invite = admin.getByRole("region", { name: "Convidar" }).or(admin.getByRole("form", { name: "Convidar" }));
    await invite.getByLabel("E-mail").fill(agent.email);
    await invite.getByLabel("Papel").selectOption("agent");
    await invite.getByRole("button", { name: "Convidar" }).click();
    await expect(admin.getByText(agent.email)).toBeVisible();

    const page = await newPage(browser);
    await signUp(page, agent.name, agent.email, agent.password);
    await signIn(page, site(slug), agent.email, agent.password);
    await expect(page).toHaveURL(`${site(slug)}/inbox`);
    await expect(page.getByRole("heading", { name: "Conversas" })).toBeVisible();
  });

  test("3. uma mensagem chega ao vivo, e a atendente responde", async ({ page }) => {
    await signIn(page, site(slug), agent.email, agent.password);
    await expect(page).toHaveURL(`${site(slug)}/inbox`);
    await expect(page.getByRole("heading", { name: "Conversas" })).toBeVisible();
    // The page is open and idle: the message must come by the event stream.
    await page.waitForLoadState("networkidle");
    await deliver(slug, "+5511987650001", "Paciente Nova", "Olá, quero marcar uma limpeza");
    const row = page.getByTestId("conversations").getByRole("button", { name: /Paciente Nova/ });
    await expect(row).toBeVisible({ timeout: 2_000 });
    await expect(row).toContainText("Olá, quero marcar uma limpeza");

    await row.click();
    await expect(page.getByTestId("messages")).toContainText("Olá, quero marcar uma limpeza");
    await page.getByLabel("Resposta").fill("Claro! Temos horário amanhã às 10h.");
    await page.getByRole("button", { name: "Enviar" }).click();
    await expect(page.getByTestId("messages")).toContainText("Claro! Temos horário amanhã às 10h.");
    await page.reload();
    await page.getByTestId("conversations").getByRole("button", { name: /Paciente Nova/ }).click();
    await expect(page.getByTestId("messages")).toContainText("Claro! Temos horário amanhã às 10h.");

    // The agent hands the conversation to a colleague, the owner; it stays so.
    const assignee = page.getByLabel("Responsável");
    const ownerID = await assignee.locator("option", { hasText: new RegExp(`${owner.name}|${owner.email}`) }).getAttribute("value");
    expect(ownerID).toMatch(/^[0-9a-f-]{36}$/);
    await assignee.selectOption(ownerID!);
    await expect(assignee).toHaveValue(ownerID!);
    await page.reload();
    await page.getByTestId("conversations").getByRole("button", { name: /Paciente Nova/ }).click();
    await expect(page.getByLabel("Responsável")).toHaveValue(ownerID!);
  });

  test("4. outra clínica tem sua marca, recusa a atendente da primeira; um endereço desconhecido é 404", async ({ page }) => {
    await page.goto(`${site("clinica-sorriso")}/entrar`);
    await expect(page.getByText("Clínica Sorriso")).toBeVisible();
    // No logo: the favicon is the page's monogram, its initial on the clinic's colour.
    const icon = decodeURIComponent((await page.locator('link[rel="icon"]').getAttribute("href")) ?? "");
    expect(icon).toMatch(/^data:image\/svg\+xml,<svg .*fill="#[0-9a-fA-F]{6}".*>C<\/text><\/svg>$/);
    await signIn(page, site("clinica-sorriso"), agent.email, agent.password);
    await expect(page.getByText("Esta conta não pertence a Clínica Sorriso")).toBeVisible();

    const missing = await page.goto(`${site("nao-existe-" + run)}/`);
    expect(missing?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Página não encontrada" })).toBeVisible();
  });

  test("5. a equipe da clínica importada da V1.5 entra com a senha antiga e vê seus contatos", async ({ page }) => {
    await signIn(page, site("clinica-sorriso"), "ana@clinica.example", "senha-ana-123");
    await expect(page).toHaveURL(`${site("clinica-sorriso")}/inbox`);
    await page.getByRole("link", { name: "Contatos" }).click();
    await expect(page.getByTestId("contacts")).toBeVisible();
    await expect(page.getByTestId("contacts").getByRole("row").nth(5)).toBeVisible();
  });
});
