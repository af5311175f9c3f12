/** Aspect-ratio presets and snapping a size to what a model family accepts. */

export interface AspectPreset {
  id: string;
  w: number;
  h: number;
}

export const ASPECT_PRESETS: AspectPreset[] = [
  { id: "1:1", w: 1, h: 1 },
  { id: "16:9", w: 16, h: 9 },
  { id: "9:16", w: 9, h: 16 },
  { id: "4:3", w: 4, h: 3 },
  { id: "3:4", w: 3, h: 4 },
  { id: "3:2", w: 3, h: 2 },
  { id: "2:3", w: 2, h: 3 },
  { id: "21:9", w: 21, h: 9 },
];

export const SIZE_LIMITS = { min: 64, max: 4096 } as const;

/** Size multiple and native resolution per model type (mirrors the engine's family adapters). */
const FAMILY: Record<string, { multiple: number; base: number }> = {
  sd: { multiple: 8, base: 512 },
  sdxl: { multiple: 8, base: 1024 },
  sd3: { multiple: 16, base: 1024 },
  flux: { multiple: 16, base: 1024 },
};

export function familyOf(type: string | undefined): { multiple: number; base: number } {
  return FAMILY[type ?? ""] ?? { multiple: 8, base: 1024 };
}

export function snapTo(value: number, multiple: number): number {
  const snapped = Math.round(value / multiple) * multiple;
  const lo = Math.ceil(SIZE_LIMITS.min / multiple) * multiple;
  const hi = Math.floor(SIZE_LIMITS.max / multiple) * multiple;
  return Math.min(hi, Math.max(lo, snapped));
}

/** Width and height for a preset at about `base`² pixels, each snapped to `multiple`. */
export function sizeForAspect(preset: AspectPreset | string, base: number, multiple: number): { width: number; height: number } {
  const p = typeof preset === "string" ? ASPECT_PRESETS.find((a) => a.id === preset) ?? parseRatio(preset) : preset;
  if (!p) return { width: snapTo(base, multiple), height: snapTo(base, multiple) };
  const ratio = p.w / p.h;
  const area = base * base;
  const width = Math.sqrt(area * ratio);
  const height = width / ratio;
  return { width: snapTo(width, multiple), height: snapTo(height, multiple) };
}

export function parseRatio(id: string): AspectPreset | null {
  const m = /^(\d+(?:\.\d+)?)\s*[:x]\s*(\d+(?:\.\d+)?)$/.exec(id.trim());
  if (!m) return null;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w > 0 && h > 0 ? { id, w, h } : null;
}

/** The preset closest to a given size (used when settings come back from an asset). */
export function nearestAspect(width: number, height: number): AspectPreset {
  const r = Math.log(width / height);
  let best = ASPECT_PRESETS[0];
  for (const p of ASPECT_PRESETS) {
    if (Math.abs(Math.log(p.w / p.h) - r) < Math.abs(Math.log(best.w / best.h) - r)) best = p;
  }
  return best;
}
