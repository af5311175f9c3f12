/** The Image page's form: defaults, persistence, to the API request and back from an asset's params. */
import type { ControlInput, ImageJobRequest, LoraChoice, ModelInfo, Preferences, ReferenceImage, StylePreset } from "@/api/types";
import { isRemoteModel, localOf, maxReferenceImages, takesField, type RemoteModelInfo } from "@/pages/providers/api";
import { exactAspect, sizeFor, sizeRulesOf, snapTo, type AspectPreset } from "@/lib/aspect";
import type { ImageForm } from "@/lib/validation";

export interface ImageFormState extends Omit<ImageForm, "referenceCount" | "requiresReference" | "sizeRules"> {
  aspect: string | null;
  style: string;
  /** A name from GET /api/models/schedulers; null: the model's own. */
  scheduler: string | null;
  /** The fixed seed came from "use these settings": it is used for the next job only, then the mode goes back to random. */
  seedOnce: boolean;
  /** The Settings defaults this form last took (`withDefaults`); null: none yet (a new form). */
  defaults?: FormDefaults | null;
  /** ControlNet inputs (the Control section); not saved with the form: their images are large. */
  control?: ControlChoice[];
}

/** A control input as the form holds it: its image as the reference picker does, the rest as the API takes it. */
export type ControlChoice = Omit<ControlInput, "image"> & { key: string; image: FormReference & { preview: string } };

/** The Settings page's defaults for a form (GET /api/settings); null fields: the model's own. */
export interface FormDefaults {
  model: string | null;
  width: number | null;
  height: number | null;
  steps: number | null;
  guidance: number | null;
}

/** Whether the form has taken exactly these defaults already. */
export const tookDefaults = (f: ImageFormState, d: FormDefaults): boolean =>
  !!f.defaults && (Object.keys(d) as (keyof FormDefaults)[]).every((k) => f.defaults?.[k] === d[k]);

export const defaultsOf = (p: Partial<Preferences> | null | undefined): FormDefaults => ({
  model: p?.default_model ?? null,
  width: p?.default_width ?? null,
  height: p?.default_height ?? null,
  steps: p?.default_steps ?? null,
  guidance: p?.default_guidance ?? null,
});

export const FORM_KEY = "hollywool.imageForm";

export function defaultForm(prefs?: Partial<Preferences> | null): ImageFormState {
  return {
    prompt: "",
    negative_prompt: "",
    model: prefs?.default_model ?? "",
    width: prefs?.default_width ?? 1024,
    height: prefs?.default_height ?? 1024,
    aspect: "1:1",
    steps: prefs?.default_steps ?? null,
    guidance_scale: prefs?.default_guidance ?? null,
    seedMode: "random",
    seed: null,
    num_images: 1,
    loras: [],
    strength: 0.75,
    style: "none",
    scheduler: null,
    seedOnce: false,
  };
}

export function loadForm(prefs?: Partial<Preferences> | null): ImageFormState {
  try {
    const raw = localStorage.getItem(FORM_KEY);
    if (raw) return { ...defaultForm(prefs), ...(JSON.parse(raw) as Partial<ImageFormState>) };
  } catch {
    /* ignore */
  }
  return defaultForm(prefs);
}

export function saveForm(f: ImageFormState): void {
  try {
    localStorage.setItem(FORM_KEY, JSON.stringify({ ...f, control: undefined }));
  } catch {
    /* ignore */
  }
}

/** When the model changes: its defaults for steps and guidance, and its size for the preset (or the size snapped to its rules). */
/**
 * The model a new form starts with: the settings' default, else the first local model that runs without a
 * download (a folder, a file or a hub model already cached), else the first in the catalogue.
 */
export function initialModel<M extends ModelInfo>(models: M[], defaultId?: string | null): M | undefined {
  return (
    models.find((m) => m.id === defaultId) ?? models.find((m) => localOf(m)?.downloaded === true) ?? models[0]
  );
}

export function withModel(f: ImageFormState, model: ModelInfo | undefined, d?: FormDefaults | null): ImageFormState {
  if (!model) return { ...f, model: "" };
  // Steps and guidance: the Settings' when set, else the model's own; a remote model has none, the form keeps its.
  const m = localOf(model);
  return {
    ...f,
    model: model.id,
    steps: d?.steps ?? m?.default_steps ?? f.steps,
    guidance_scale: d?.guidance ?? m?.default_guidance ?? f.guidance_scale,
    ...sizeFor(sizeRulesOf(model), f.aspect, f),
  };
}

/**
 * The Settings' defaults into the form: all of them on a new form; on a saved one only those changed in
 * Settings since it last took them (the rest is the user's work). A form whose model left the catalogue
 * gets the default model. The size is the Settings' snapped to the model's rules, with the preset whose
 * size it is (else a custom size); no size in Settings: the model's size for the form's preset.
 */
export function withDefaults<M extends ModelInfo>(f: ImageFormState, d: FormDefaults, models: M[]): ImageFormState {
  const before = f.defaults;
  const changed = (k: keyof FormDefaults) => !before || before[k] !== d[k];
  let next = f;
  const modelGone = !models.some((m) => m.id === f.model);
  // A model the user picked before the Settings arrived (a new form, defaults not taken yet) stays.
  const picked = !before && !!f.model && !modelGone;
  if ((changed("model") && !picked) || modelGone) next = withModel({ ...next, aspect: next.aspect ?? "1:1" }, initialModel(models, d.model), d);
  const model = models.find((m) => m.id === next.model);
  if (changed("width") || changed("height") || ((changed("model") || modelGone) && (d.width || d.height))) {
    const rules = sizeRulesOf(model);
    const fallback = sizeFor(rules, next.aspect ?? "1:1", next);
    const want = { width: d.width ?? fallback.width, height: d.height ?? fallback.height };
    const size = rules ? { width: snapTo(want.width, rules), height: snapTo(want.height, rules) } : want;
    const preset = rules ? Object.entries(rules.aspectSizes).find(([, s]) => s.width === size.width && s.height === size.height)?.[0] : undefined;
    next = { ...next, ...size, aspect: preset ?? (d.width || d.height ? null : next.aspect) };
  }
  if (d.steps != null && changed("steps")) next = { ...next, steps: d.steps };
  if (d.guidance != null && changed("guidance")) next = { ...next, guidance_scale: d.guidance };
  return { ...next, defaults: d };
}

/**
 * A new session's form: the Settings' defaults, nothing of the last session's work (prompt, LoRAs, seed),
 * but the model in use stays (it is likely loaded; switching costs a load) with its own steps and guidance.
 */
export function freshForm<M extends ModelInfo>(current: ImageFormState, d: FormDefaults, models: M[]): ImageFormState {
  const fresh = withDefaults(defaultForm(), d, models);
  const model = models.find((m) => m.id === current.model);
  return model && model.id !== fresh.model ? { ...withModel(fresh, model, d), defaults: d } : fresh;
}

export function withAspect(f: ImageFormState, aspect: string, model: ModelInfo | undefined): ImageFormState {
  return { ...f, aspect, ...sizeFor(sizeRulesOf(model), aspect, f) };
}

export type FormReference = { assetId: string } | { base64: string } | { uploadId: string };

export interface RequestExtras {
  sessionId: string | null;
  references: FormReference[];
  /** The server's styles (GET /api/styles): a saved form's style the server no longer has is not sent. */
  styles: StylePreset[];
  seed?: number;
  /**
   * The selected model when it is remote: its request takes no LoRAs (the server applies the style, as
   * for local models) and at most `max_reference_images` reference images.
   */
  remote?: RemoteModelInfo | null;
}

export const toReferenceImage = (r: FormReference): ReferenceImage =>
  "assetId" in r ? { image_asset_id: r.assetId } : "uploadId" in r ? { upload_id: r.uploadId } : { image_base64: r.base64 };

/** How many reference images the form may hold: a remote model says how many it takes; local models take `localLimit`. */
/** How many reference images the model takes: its own capacity (0: it cannot start from an image), never more
 * than the API's limit. A model not chosen yet is not capped here (the server checks the request). */
export function referenceLimit(model: ModelInfo | null | undefined, apiLimit: number): number {
  if (!model) return apiLimit;
  const own = isRemoteModel(model) ? maxReferenceImages(model) : model.max_reference_images;
  return own == null ? apiLimit : Math.min(own, apiLimit);
}

/** Whether the strength slider means anything: local models, and remote ones the studio fills a `strength` input of (or with no known inputs). */
export const takesStrength = (remote: RemoteModelInfo | null | undefined): boolean =>
  !remote || !remote.params?.length || takesField(remote, "strength");

export function toRequest(f: ImageFormState, x: RequestExtras): ImageJobRequest {
  const remote = x.remote ?? null;
  const style = x.styles.find((s) => s.id === f.style && s.id !== "none");
  const req: ImageJobRequest = {
    prompt: f.prompt.trim(),
    model: f.model,
    negative_prompt: f.negative_prompt.trim() || null,
    width: f.width,
    height: f.height,
    steps: f.steps,
    guidance_scale: f.guidance_scale,
    seed: f.seedMode === "fixed" ? f.seed : (x.seed ?? null),
    num_images: f.num_images,
    session_id: x.sessionId,
  };
  if (style) req.style = style.id;
  if (f.scheduler) req.scheduler = f.scheduler;
  if (f.loras.length && !remote) req.loras = f.loras.map((l: LoraChoice) => ({ lora_id: l.lora_id, weight: l.weight }));
  const references = remote ? x.references.slice(0, maxReferenceImages(remote)) : x.references;
  if (references.length) {
    req.reference_images = references.map(toReferenceImage);
    if (takesStrength(remote)) req.strength = f.strength;
  }
  if (f.control?.length && !remote) req.control = f.control.map(({ key: _key, image, ...rest }) => ({ ...rest, image: toReferenceImage(image) }));
  return req;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * "Use these settings": an asset's recorded parameters back into the form; `presets` from /api/aspect-ratios.
 * A recorded seed is restored fixed for the next job only (`seedOnce`). The reference images are
 * `referencesFromParams`: they live beside the form, not in it.
 */
export function fromParams(f: ImageFormState, p: Record<string, unknown>, presets: AspectPreset[]): ImageFormState {
  const width = num(p.width) ?? f.width;
  const height = num(p.height) ?? f.height;
  const loras = Array.isArray(p.loras)
    ? (p.loras as { lora_id?: string; id?: string; weight?: number }[])
        .map((l) => ({ lora_id: String(l.lora_id ?? l.id ?? ""), weight: num(l.weight) ?? 1 }))
        .filter((l) => l.lora_id)
    : [];
  const seed = num(p.seed);
  return {
    ...f,
    prompt: typeof p.prompt === "string" ? p.prompt : f.prompt,
    negative_prompt: typeof p.negative_prompt === "string" ? p.negative_prompt : "",
    model: typeof p.model === "string" ? p.model : f.model,
    width,
    height,
    aspect: exactAspect(width, height, presets)?.id ?? null,
    steps: num(p.steps) ?? f.steps,
    guidance_scale: num(p.guidance_scale) ?? f.guidance_scale,
    seedMode: seed != null ? "fixed" : "random",
    seed: seed ?? f.seed,
    num_images: 1,
    loras,
    strength: num(p.strength) ?? f.strength,
    style: typeof p.style === "string" ? p.style : "none",
    scheduler: typeof p.scheduler === "string" && p.scheduler ? p.scheduler : null,
    seedOnce: seed != null,
  };
}

/** A reference the form shows: `preview` is an image URL, or "" for an upload the server keeps no picture of. */
export type RestoredReference = FormReference & { key: string; preview: string };

/** The reference images an asset's job used (asset ids, or uploads the server stored at submit time). */
export function referencesFromParams(p: Record<string, unknown>): RestoredReference[] {
  if (!Array.isArray(p.reference_images)) return [];
  const out: RestoredReference[] = [];
  for (const r of p.reference_images as Record<string, unknown>[]) {
    if (typeof r?.image_asset_id === "string")
      out.push({ key: r.image_asset_id, assetId: r.image_asset_id, preview: `/api/assets/${r.image_asset_id}/thumbnail` });
    else if (typeof r?.upload_id === "string") out.push({ key: r.upload_id, uploadId: r.upload_id, preview: `/api/uploads/${r.upload_id}` });
  }
  return out;
}

/** After a job is submitted: a seed fixed by "use these settings" goes back to random. */
export const afterSubmit = (f: ImageFormState): ImageFormState => (f.seedOnce ? { ...f, seedMode: "random", seedOnce: false } : f);
