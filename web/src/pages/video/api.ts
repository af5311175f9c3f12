/** Video: types and fetchers for /api/video, /api/i2v and /api/upscale (kept beside the pages using them). */
import { get, post } from "@/api/client";
import type { components } from "@/api/schema";
import type { Job, JobAccepted, Sent } from "@/api/types";
import { maxReferenceImages, takesField, type ParamSpec, type RemoteModelInfo } from "@/pages/providers/api";

/** One entry of GET /api/video/models: a local video model with its rules. */
export type VideoModel = Sent<components["schemas"]["VideoModel"]>;

export type UpscalerModel = Sent<components["schemas"]["UpscalerEntry"]>;

export type VideoKind = "video" | "i2v";
/** POST /api/video/jobs (text-to-video; remote image-to-video too) and POST /api/i2v/jobs. */
export type VideoJobRequest = components["schemas"]["VideoJobRequest"];
export type I2VJobRequest = components["schemas"]["I2VJobRequest"];

export const videoKeys = {
  models: ["video", "models"] as const,
  // Under "jobs" so the live feed's job events refresh these lists too.
  jobs: (kind: string) => ["jobs", "video-page", kind] as const,
  upscalers: ["upscale", "models"] as const,
};

export const videoApi = {
  models: () => get<VideoModel[]>("/api/video/models"),
  // The per-kind job lists answer untyped dicts on the server; the items are JobViews.
  jobs: (kind: VideoKind | "upscale") => get<{ items: Job[] }>(`/api/${kind}/jobs`, { limit: 20 }),
  submit: (kind: VideoKind, body: VideoJobRequest | I2VJobRequest) => post<JobAccepted>(`/api/${kind}/jobs`, body),
  cancel: (kind: VideoKind | "upscale", id: string) => post<Job>(`/api/${kind}/jobs/${id}/cancel`),
  upscalers: () => get<{ models: UpscalerModel[] }>("/api/upscale/models").then((d) => d.models),
  upscale: (body: components["schemas"]["UpscaleJobRequest"]) => post<JobAccepted>("/api/upscale/jobs", body),
};

/**
 * The nearest valid frame count under a model's rule as /api/video/models gives it (`frames`): counts
 * are step * k + 1 up to max. Like the server's snap, a single frame is not offered when more fit,
 * and a tie goes to the longer count.
 */
export function snapFrames(n: number, frames: { step: number; max: number }): number {
  const step = Math.max(1, frames.step);
  const kMax = Math.max(0, Math.floor((frames.max - 1) / step));
  const k = Math.min(kMax, Math.max(Math.min(1, kMax), Math.round((n - 1) / step)));
  return step * k + 1;
}

export function fileToDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/**
 * The request fields the Video page has its own inputs for. A remote model's inputs that the studio
 * fills from these (`studio_params` in /api/models: e.g. its prompt, or the image inputs that take the
 * reference images as first and last frame) are not offered again as provider_params; the server
 * refuses an image given both ways.
 */
const VIDEO_PAGE_FIELDS = new Set(["prompt", "negative_prompt", "duration", "seed", "num_images", "reference_images"]);

/** A remote video model's own parameters, offered as provider_params. */
export function providerParamSpecs(model: RemoteModelInfo): ParamSpec[] {
  const mapped = model.studio_params ?? {};
  return (model.params ?? []).filter((p) => !VIDEO_PAGE_FIELDS.has(mapped[p.name] ?? ""));
}

/** The duration choices of a remote model (its schema's enum), or null for a free number of seconds. */
export function durationChoices(model: RemoteModelInfo): number[] | null {
  const spec = model.params?.find((p) => p.name === "duration");
  const values = (spec?.enum ?? []).map(Number).filter((n) => Number.isFinite(n) && n > 0);
  return values.length ? values : null;
}

export function defaultDuration(model: RemoteModelInfo): number {
  const spec = model.params?.find((p) => p.name === "duration");
  const d = Number(spec?.default);
  return Number.isFinite(d) && d > 0 ? d : (durationChoices(model)?.[0] ?? 5);
}

export interface RemoteVideoForm {
  prompt: string;
  negative_prompt: string;
  duration: number;
  seed: string;
  /** Values the user set for the model's own parameters (untouched ones are left to the provider). */
  provider_params: Record<string, unknown>;
  /** Input images (data: URLs) for an image-to-video model: the first frame, then a last frame where it has one. */
  images?: string[];
}

/** How many input images a remote model takes (0: none), as /api/models says. */
export const remoteImageCapacity = maxReferenceImages;

/**
 * The body of POST /api/video/jobs or /api/i2v/jobs for a remote model: only the fields a remote job
 * accepts (hollywool/engines/router.py `remote_params`); local-only fields such as frames, fps, steps
 * or size are never sent, provider parameters the model does not list are dropped, and input images
 * go as `reference_images`, no more than the model takes.
 */
export function remoteVideoRequest(model: RemoteModelInfo, form: RemoteVideoForm): VideoJobRequest {
  const known = new Set(providerParamSpecs(model).map((p) => p.name));
  const provider_params = Object.fromEntries(
    Object.entries(form.provider_params).filter(([k, v]) => known.has(k) && v !== undefined && v !== null && v !== ""),
  );
  const body: VideoJobRequest = { model: model.id, prompt: form.prompt, provider_params };
  if (Number.isFinite(form.duration) && form.duration > 0) body.duration = form.duration;
  if (form.negative_prompt.trim() && takesField(model, "negative_prompt")) body.negative_prompt = form.negative_prompt;
  if (form.seed !== "" && takesField(model, "seed")) body.seed = Number(form.seed);
  const images = (form.images ?? []).filter(Boolean).slice(0, remoteImageCapacity(model));
  if (images.length) body.reference_images = images.map((image_base64) => ({ image_base64 }));
  return body;
}

/** A local video model in the picker: its name, "with audio", and "ready" when its files are here. */
export const videoOptionLabel = (m: VideoModel, ready: Set<string>): string =>
  `${m.name}${m.audio ? " (with audio)" : ""}${ready.has(m.id) ? " · ready" : ""}`;
