// A tenant's look, from its theme: only #rrggbb colours reach the page's CSS, so a theme
// cannot inject styles.
import type { CSSProperties } from "react";
import type { Tenant } from "./tenant";

const colour = /^#[0-9a-fA-F]{6}$/;

/** The theme keys the frontend reads, each a #rrggbb colour. */
const themeVariables: Record<string, string> = {
  primary_color: "--cor-primaria",
  accent_color: "--cor-destaque",
};

/** CSS variables for the tenant's colours; the defaults (globals.css) fill the rest. */
export function themeStyle(tenant: Tenant | null): CSSProperties {
  const style: Record<string, string> = {};
  const theme = (tenant?.theme ?? {}) as Record<string, unknown>;
  for (const [key, variable] of Object.entries(themeVariables)) {
    const value = theme[key];
    if (typeof value === "string" && colour.test(value)) {
      style[variable] = value;
    }
  }
  return style as CSSProperties;
}

/** The tenant's initial, its monogram where it has no logo. */
export function initial(tenant: Tenant): string {
  return tenant.name.trim().charAt(0).toUpperCase();
}

/** The default primary colour (globals.css), for what CSS variables cannot reach. */
const defaultPrimary = "#1f6feb";

const xmlEntities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/**
 * The favicon of a tenant without a logo: its initial on its primary colour, as the
 * page's monogram shows it, in an SVG data URL.
 */
export function monogramIcon(tenant: Tenant): string {
  const primary = ((tenant.theme ?? {}) as Record<string, unknown>).primary_color;
  const fill = typeof primary === "string" && colour.test(primary) ? primary : defaultPrimary;
  const letter = initial(tenant).replace(/[&<>"']/g, (c) => xmlEntities[c]);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="${fill}"/>` +
    `<text x="32" y="44" font-family="sans-serif" font-size="36" font-weight="700" text-anchor="middle" fill="#fff">${letter}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
