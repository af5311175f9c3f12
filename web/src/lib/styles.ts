import type { StylePreset } from "@/api/types";

/** The form's "no style" choice; the styles themselves come from GET /api/styles (the UI keeps no copy). */
export const NO_STYLE: StylePreset = { id: "none", name: "None", template: "{prompt}", negative: "" };

/** The Style menu: None, then the server's styles in its order. */
export const styleChoices = (server: StylePreset[] | undefined): StylePreset[] => [NO_STYLE, ...(server ?? []).filter((s) => s.id !== NO_STYLE.id)];

/**
 * A server style applied on the client for a remote model (remote jobs take no `style`), the way the server
 * does it (hollywool/engines/diffusers/styles.py apply_style): every "{prompt}" in the template is
 * replaced by the prompt, and the style's negative is appended to the negative prompt with ", ".
 * A template without the placeholder is added after the prompt, so the prompt is never lost.
 */
export function applyStyle(prompt: string, negative: string | null, style: StylePreset | undefined): { prompt: string; negative: string | null } {
  const p = prompt.trim();
  const n = negative?.trim() || null;
  if (!style) return { prompt: p, negative: n };
  const template = style.template.trim();
  const styled = !template ? p : template.includes("{prompt}") ? template.split("{prompt}").join(p) : `${p}, ${template}`;
  return { prompt: styled, negative: [n, style.negative.trim()].filter(Boolean).join(", ") || null };
}
