import type { StylePreset } from "@/api/types";

/** Shown when the backend has no styles endpoint; the backend's list wins when present. Same shape as /api/styles. */
export const NO_STYLE: StylePreset = { id: "none", name: "None", template: "{prompt}", negative: "" };
export const FALLBACK_STYLES: StylePreset[] = [
  NO_STYLE,
  { id: "cinematic", name: "Cinematic", template: "cinematic film still of {prompt}, dramatic lighting, shallow depth of field, film grain", negative: "cartoon, illustration, flat lighting" },
  { id: "photographic", name: "Photographic", template: "professional photograph of {prompt}, 35mm, sharp focus, natural light", negative: "drawing, painting, illustration, cgi" },
  { id: "anime", name: "Anime", template: "anime artwork of {prompt}, vibrant colors, cel shading, studio anime style", negative: "photo, realistic, 3d render" },
  { id: "digital-art", name: "Digital art", template: "digital painting of {prompt}, concept art, highly detailed", negative: "photo" },
  { id: "watercolor", name: "Watercolor", template: "watercolor painting of {prompt}, soft washes, paper texture", negative: "photo" },
  { id: "3d-render", name: "3D render", template: "3d render of {prompt}, octane, global illumination, highly detailed", negative: "photo" },
  { id: "pixel-art", name: "Pixel art", template: "pixel art of {prompt}, 16-bit, crisp pixels", negative: "blurry" },
];

/**
 * A style applied on the client (remote models, or a server without styles), the way the server
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
