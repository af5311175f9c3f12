/**
 * Aspect presets and size rules, as the API gives them: the presets from GET /api/aspect-ratios, and
 * per model (GET /api/models) its size multiple, its smallest and largest side, and its width and
 * height for each preset (`aspect_sizes`, what the server gives an `aspect_ratio` request).
 * The UI keeps no table of its own.
 */
import { get } from "@/api/client";
import type { components } from "@/api/schema";
import type { ModelInfo } from "@/api/types";

export type AspectPreset = components["schemas"]["AspectPreset"];
export type Size = { width: number; height: number };

export const aspectQuery = {
  queryKey: ["aspect-ratios"] as const,
  queryFn: () => get<AspectPreset[]>("/api/aspect-ratios"),
  staleTime: Infinity,
};

/** One model's size rules, from its /api/models entry. */
export interface SizeRules {
  multiple: number;
  min: number;
  max: number;
  aspectSizes: Record<string, Size>;
}

/** The model's size rules; null when the API gives none (a video model, or no model chosen). */
export function sizeRulesOf(model: ModelInfo | undefined | null): SizeRules | null {
  if (!model?.size_multiple || model.min_size == null || model.max_size == null || !model.aspect_sizes) return null;
  return { multiple: model.size_multiple, min: model.min_size, max: model.max_size, aspectSizes: model.aspect_sizes };
}

/** A typed side snapped to the nearest multiple the model takes, within its smallest and largest side. */
export function snapTo(value: number, rules: SizeRules): number {
  const m = rules.multiple;
  const lo = Math.ceil(rules.min / m) * m;
  const hi = Math.floor(rules.max / m) * m;
  return Math.min(hi, Math.max(lo, Math.round(value / m) * m));
}

/**
 * The form's size when the model or the preset changes: the model's size for the preset, else the
 * current size snapped to the model's rules (kept as is when the API gives no rules).
 */
export function sizeFor(rules: SizeRules | null, aspect: string | null, current: Size): Size {
  if (!rules) return current;
  const preset = aspect ? rules.aspectSizes[aspect] : undefined;
  if (preset) return { width: preset.width, height: preset.height };
  return { width: snapTo(current.width, rules), height: snapTo(current.height, rules) };
}

/** The preset whose ratio is exactly this size's, if any (settings that come back from an asset). */
export function exactAspect(width: number, height: number, presets: AspectPreset[]): AspectPreset | null {
  return presets.find((p) => Math.abs(p.width / p.height - width / height) < 0.01) ?? null;
}
