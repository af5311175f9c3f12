/** Video: types and fetchers for /api/video, /api/i2v and /api/upscale (kept beside the pages using them). */
import { get, post } from "@/api/client";
import type { components } from "@/api/schema";
import type { Job, JobAccepted, Sent } from "@/api/types";
import { maxReferenceImages, type ParamSpec, type RemoteModelInfo } from "@/pages/providers/api";

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

/** The nearest valid frame count for a form like "4k+1" (mirrors the server's rule; the server decides). */
export function snapFrames(n: number, form: string, max: number): number {
  const m = /^(\d+)k\+1$/.exec(form);
  const step = m ? Number(m[1]) : 1;
  const k = Math.max(1, Math.round((n - 1) / step));
  return Math.min(step * k + 1, max);
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
 * Remote model parameters the Video page shows as its own fields: the studio maps them to the
 * provider's input (hollywool/engines/remote/base.py), so they are not provider_params. Image fields
 * (first and last frame) are filled from `reference_images` (hollywool/engines/remote/images.py): the
 * server refuses an image given both ways.
 */
const IMAGE_FIELDS = [
  "image_url", "image_urls", "input_image_url", "input_image_urls", "start_image_url", "first_frame_url",
  "first_frame_image", "startImage", "start_image", "image", "images", "input_image", "init_image",
  "end_image_url", "tail_image_url", "last_frame_url", "last_frame_image", "endImage", "end_image",
];
export const STUDIO_MAPPED_PARAMS = new Set(["prompt", "negative_prompt", "duration", "seed", "num_images", ...IMAGE_FIELDS]);

/** A remote video model's own parameters, offered as provider_params. */
export function providerParamSpecs(model: RemoteModelInfo): ParamSpec[] {
  return (model.params ?? []).filter((p) => !STUDIO_MAPPED_PARAMS.has(p.name));
}

export const hasParam = (model: RemoteModelInfo, name: string) => (model.params ?? []).some((p) => p.name === name);

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
 * accepts (hollywool/api/remote_jobs.py `remote_params`); local-only fields such as frames, fps, steps
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
  if (form.negative_prompt.trim() && hasParam(model, "negative_prompt")) body.negative_prompt = form.negative_prompt;
  if (form.seed !== "" && hasParam(model, "seed")) body.seed = Number(form.seed);
  const images = (form.images ?? []).filter(Boolean).slice(0, remoteImageCapacity(model));
  if (images.length) body.reference_images = images.map((image_base64) => ({ image_base64 }));
  return body;
}
