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
