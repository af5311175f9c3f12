/**
 * Client-side checks of the image form against the API's limits. The limits come from GET /api/limits
 * (read from the server's request model: the UI keeps no copy); until they load, only the checks that
 * need no limit run (the server checks every request anyway).
 */
import { useQuery } from "@tanstack/react-query";
import { fetchers, qk } from "@/api/queries";
import type { RequestLimits } from "@/api/types";
import type { SizeRules } from "./aspect";

export type { RequestLimits };

/** The API's request limits; undefined while they load. */
export function useRequestLimits(): RequestLimits | undefined {
  return useQuery({ queryKey: qk.limits, queryFn: fetchers.limits, staleTime: Infinity }).data;
}

export interface ImageForm {
  prompt: string;
  negative_prompt: string;
  model: string;
  /** The model's size rules from /api/models (null: none known, the server checks the size). */
  sizeRules?: SizeRules | null;
  width: number;
  height: number;
  steps: number | null;
  guidance_scale: number | null;
  seedMode: "random" | "fixed";
  seed: number | null;
  num_images: number;
  loras: { lora_id: string; weight: number }[];
  referenceCount: number;
  /** edit models need an image to edit */
  requiresReference?: boolean;
  strength: number;
}

export type FormErrors = Partial<Record<string, string>>;

const intIn = (v: number | null, lo: number, hi: number) => v != null && Number.isInteger(v) && v >= lo && v <= hi;
const within = (v: number | null, r: { min: number; max: number }) => v != null && v >= r.min && v <= r.max;

export function validateImageForm(f: ImageForm, limits?: RequestLimits | null): FormErrors {
  const e: FormErrors = {};
  if (!f.prompt.trim()) e.prompt = "Write a prompt first.";
  if (!f.model) e.model = "Choose a model.";
  const rules = f.sizeRules;
  for (const key of ["width", "height"] as const) {
    const v = f[key];
    if (!rules) {
      if (!intIn(v, 1, Number.MAX_SAFE_INTEGER)) e[key] = "A whole number of pixels.";
    } else if (!intIn(v, rules.min, rules.max)) e[key] = `Between ${rules.min} and ${rules.max} px.`;
    else if (v % rules.multiple !== 0) e[key] = `Must be a multiple of ${rules.multiple} for this model.`;
  }
  if (f.requiresReference && f.referenceCount === 0) e.reference_images = "This model edits images: add the image to edit here, then Generate.";
  if (f.seedMode === "fixed" && !intIn(f.seed, 0, limits?.seed.max ?? Number.MAX_SAFE_INTEGER))
    e.seed = limits ? `A whole number from ${limits.seed.min} to ${limits.seed.max}.` : "A whole number.";
  if (!limits) return e;

  const { prompt_max_length: promptMax, steps, guidance_scale: guidance, num_images: batch, lora_weight: weight, strength } = limits;
  if (!e.prompt && f.prompt.length > promptMax) e.prompt = `At most ${promptMax} characters.`;
  if (f.negative_prompt.length > promptMax) e.negative_prompt = `At most ${promptMax} characters.`;
  if (f.steps != null && !intIn(f.steps, steps.min, steps.max)) e.steps = `Between ${steps.min} and ${steps.max}.`;
  if (f.guidance_scale != null && !within(f.guidance_scale, guidance)) e.guidance_scale = `Between ${guidance.min} and ${guidance.max}.`;
  if (!intIn(f.num_images, batch.min, batch.max)) e.num_images = `${batch.min} to ${batch.max} images.`;
  f.loras.forEach((l, i) => {
    if (!within(l.weight, weight)) e[`loras.${i}.weight`] = `Weight from ${weight.min} to ${weight.max}.`;
  });
  if (f.referenceCount > limits.reference_images) e.reference_images = `At most ${limits.reference_images} reference images.`;
  if (f.referenceCount > 0 && !within(f.strength, strength)) e.strength = `Strength from ${strength.min} to ${strength.max}.`;
  return e;
}

/** Check a file before it is read as a reference image (its size once the limits are known). Returns an error message or null. */
export function checkReferenceFile(file: { type: string; size: number; name: string }, limits?: RequestLimits | null): string | null {
  if (!file.type.startsWith("image/")) return `${file.name} is not an image.`;
  if (limits && file.size > limits.reference_image_bytes)
    return `${file.name} is over ${+(limits.reference_image_bytes / 2 ** 20).toFixed(1)} MB.`;
  return null;
}

/** A seed the API takes. */
export function randomSeed(limits: RequestLimits): number {
  return limits.seed.min + Math.floor(Math.random() * (limits.seed.max - limits.seed.min + 1));
}

/** The batch sizes the API takes; while the limits load, only the current one. */
export function batchSizes(limits: RequestLimits | undefined, current: number): number[] {
  if (!limits) return [current];
  const { min, max } = limits.num_images;
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}
