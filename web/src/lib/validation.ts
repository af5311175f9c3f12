/** Client-side checks that mirror the API's limits (hollywool ImageParams and issue 3). */
import type { SizeRules } from "./aspect";

export const LIMITS = {
  promptMax: 10_000,
  steps: { min: 1, max: 200 },
  guidance: { min: 0, max: 50 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  batch: { min: 1, max: 4 },
  loraWeight: { min: 0, max: 1.5 },
  references: 5,
  strength: { min: 0.1, max: 1 },
  referenceBytes: 20 * 1024 * 1024,
} as const;

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
  strength: number;
}

export type FormErrors = Partial<Record<string, string>>;

const intIn = (v: number | null, lo: number, hi: number) => v != null && Number.isInteger(v) && v >= lo && v <= hi;

export function validateImageForm(f: ImageForm): FormErrors {
  const e: FormErrors = {};
  if (!f.prompt.trim()) e.prompt = "Write a prompt first.";
  else if (f.prompt.length > LIMITS.promptMax) e.prompt = `At most ${LIMITS.promptMax} characters.`;
  if (f.negative_prompt.length > LIMITS.promptMax) e.negative_prompt = `At most ${LIMITS.promptMax} characters.`;
  if (!f.model) e.model = "Choose a model.";
  const rules = f.sizeRules;
  for (const key of ["width", "height"] as const) {
    const v = f[key];
    if (!rules) {
      if (!intIn(v, 1, Number.MAX_SAFE_INTEGER)) e[key] = "A whole number of pixels.";
    } else if (!intIn(v, rules.min, rules.max)) e[key] = `Between ${rules.min} and ${rules.max} px.`;
    else if (v % rules.multiple !== 0) e[key] = `Must be a multiple of ${rules.multiple} for this model.`;
  }
  if (f.steps != null && !intIn(f.steps, LIMITS.steps.min, LIMITS.steps.max))
    e.steps = `Between ${LIMITS.steps.min} and ${LIMITS.steps.max}.`;
  if (f.guidance_scale != null && !(f.guidance_scale >= LIMITS.guidance.min && f.guidance_scale <= LIMITS.guidance.max))
    e.guidance_scale = `Between ${LIMITS.guidance.min} and ${LIMITS.guidance.max}.`;
  if (f.seedMode === "fixed" && !intIn(f.seed, LIMITS.seed.min, LIMITS.seed.max))
    e.seed = `A whole number from 0 to ${LIMITS.seed.max}.`;
  if (!intIn(f.num_images, LIMITS.batch.min, LIMITS.batch.max)) e.num_images = "1 to 4 images.";
  f.loras.forEach((l, i) => {
    if (!(l.weight >= LIMITS.loraWeight.min && l.weight <= LIMITS.loraWeight.max))
      e[`loras.${i}.weight`] = `Weight from ${LIMITS.loraWeight.min} to ${LIMITS.loraWeight.max}.`;
  });
  if (f.referenceCount > LIMITS.references) e.reference_images = `At most ${LIMITS.references} reference images.`;
  if (f.referenceCount > 0 && !(f.strength >= LIMITS.strength.min && f.strength <= LIMITS.strength.max))
    e.strength = `Strength from ${LIMITS.strength.min} to ${LIMITS.strength.max}.`;
  return e;
}

/** Check a file before it is read as a reference image. Returns an error message or null. */
export function checkReferenceFile(file: { type: string; size: number; name: string }): string | null {
  if (!file.type.startsWith("image/")) return `${file.name} is not an image.`;
  if (file.size > LIMITS.referenceBytes) return `${file.name} is over 20 MB.`;
  return null;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * LIMITS.seed.max);
}
