/** A dropped image's generation metadata (POST /api/images/metadata) into the Image page's form: what maps, and what does not. */
import { exactAspect, type AspectPreset } from "@/lib/aspect";
import type { ImageFormState } from "./formState";

export interface MetadataContext {
  /** The studio's image models (id and display name). */
  models: { id: string; name?: string }[];
  schedulers: { name: string; label?: string }[];
  styles: { id: string }[];
  /** The LoRA ids the studio has. */
  loras: string[];
  presets: AspectPreset[];
}

export interface MetadataRestore {
  form: ImageFormState;
  /** The form fields filled in. */
  restored: string[];
  /** What the file says that the form could not take, one sentence each. */
  unmapped: string[];
}

const SOURCES: Record<string, string> = { hollywool: "HollyWool", a1111: "A1111/Forge", comfyui: "ComfyUI", invokeai: "InvokeAI" };
export const sourceName = (s: unknown): string => (typeof s === "string" ? (SOURCES[s] ?? s) : "an unknown tool");

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const same = (a: string, b: string | undefined) => !!b && a.toLowerCase() === b.toLowerCase();

export function fromMetadata(f: ImageFormState, p: Record<string, unknown>, ctx: MetadataContext): MetadataRestore {
  const form = { ...f };
  const restored: string[] = [];
  const unmapped = [...strings(p.unmapped), ...strings(p.unreadable)];
  const take = <K extends keyof ImageFormState>(key: K, value: ImageFormState[K] | null, label = String(key)) => {
    if (value == null) return;
    form[key] = value;
    restored.push(label);
  };
  take("prompt", str(p.prompt));
  take("negative_prompt", str(p.negative_prompt), "negative prompt");
  take("steps", num(p.steps));
  take("guidance_scale", num(p.guidance_scale), "guidance");
  take("strength", num(p.strength));
  const seed = num(p.seed);
  if (seed != null) {
    Object.assign(form, { seedMode: "fixed", seed, seedOnce: true });
    restored.push("seed");
  }
  const width = num(p.width);
  const height = num(p.height);
  if (width != null && height != null) {
    Object.assign(form, { width, height, aspect: exactAspect(width, height, ctx.presets)?.id ?? null });
    restored.push("size");
  }
  const model = str(p.model);
  if (model) {
    const m = ctx.models.find((x) => same(model, x.id) || same(model, x.name));
    if (m) take("model", m.id);
    else unmapped.push(`model "${model}": not in this studio`);
  }
  const scheduler = str(p.scheduler);
  if (scheduler) {
    const s = ctx.schedulers.find((x) => same(scheduler, x.name) || same(scheduler, x.label));
    if (s) take("scheduler", s.name, "sampler");
    else unmapped.push(`sampler "${scheduler}": not offered here`);
  }
  const style = str(p.style);
  if (style) {
    if (ctx.styles.some((s) => s.id === style)) take("style", style);
    else unmapped.push(`style "${style}": not in this studio`);
  }
  if (Array.isArray(p.loras)) {
    const loras: ImageFormState["loras"] = [];
    for (const l of p.loras as { lora_id?: unknown; weight?: unknown }[]) {
      const id = str(l?.lora_id);
      if (!id) continue;
      const known = ctx.loras.find((x) => same(id, x));
      if (known) loras.push({ lora_id: known, weight: num(l.weight) ?? 1 });
      else unmapped.push(`LoRA "${id}": not in this studio`);
    }
    if (loras.length) take("loras", loras, "LoRAs");
  }
  return { form, restored, unmapped };
}
