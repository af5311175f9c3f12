import type { StylePreset } from "@/api/types";

/** Shown when the backend has no styles endpoint yet; the backend's list wins when present. */
export const FALLBACK_STYLES: StylePreset[] = [
  { id: "none", name: "None" },
  { id: "cinematic", name: "Cinematic", prompt: "cinematic film still, dramatic lighting, shallow depth of field, film grain" },
  { id: "photographic", name: "Photographic", prompt: "professional photograph, 35mm, sharp focus, natural light" },
  { id: "anime", name: "Anime", prompt: "anime artwork, vibrant colors, cel shading, studio anime style" },
  { id: "digital-art", name: "Digital art", prompt: "digital painting, concept art, highly detailed" },
  { id: "watercolor", name: "Watercolor", prompt: "watercolor painting, soft washes, paper texture" },
  { id: "3d-render", name: "3D render", prompt: "3d render, octane, global illumination, highly detailed" },
  { id: "pixel-art", name: "Pixel art", prompt: "pixel art, 16-bit, crisp pixels" },
];

/** When the backend does not apply styles itself, the prompt text is added on the client. */
export function applyStyle(prompt: string, style: StylePreset | undefined): string {
  if (!style?.prompt) return prompt;
  return `${prompt.trim()}, ${style.prompt}`;
}
