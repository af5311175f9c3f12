/** Video: types and fetchers for /api/video, /api/i2v and /api/upscale (kept beside the pages using them). */
import { get, post } from "@/api/client";
import type { Job } from "@/api/types";
import type { ParamSpec, RemoteModelInfo } from "@/pages/providers/api";

export interface VideoModel {
  id: string;
  name: string;
  family: string;
  text_to_video: boolean;
  image_to_video: boolean;
  audio: boolean;
  prompt: boolean;
  negative_prompt: boolean;
  reference_images: number;
  reference_images_use: string;
  frames: { form: string; max: number; default: number };
  fps: number;
  size_multiple: number;
  max_width: number;
  max_height: number;
  fixed_size: [number, number] | null;
  default_width: number;
  default_height: number;
  default_steps: number;
  default_guidance: number;
}

export interface UpscalerModel {
  id: string;
  name: string;
  kind: string;
  scale: number | null;
  available: boolean;
  source: string;
}

export type VideoKind = "video" | "i2v";
export interface Accepted {
  job_id: string;
  status: string;
}

export const videoKeys = {
  models: ["video", "models"] as const,
  // Under "jobs" so the live feed's job events refresh these lists too.
  jobs: (kind: string) => ["jobs", "video-page", kind] as const,
  upscalers: ["upscale", "models"] as const,
};

export const videoApi = {
  models: () => get<VideoModel[]>("/api/video/models"),
  jobs: (kind: VideoKind | "upscale") => get<{ items: Job[] }>(`/api/${kind}/jobs`, { limit: 20 }),
  submit: (kind: VideoKind, body: Record<string, unknown>) => post<Accepted>(`/api/${kind}/jobs`, body),
  cancel: (kind: VideoKind | "upscale", id: string) => post<Job>(`/api/${kind}/jobs/${id}/cancel`),
  upscalers: () => get<UpscalerModel[]>("/api/upscale/models"),
  upscale: (body: { asset_id: string; model: string; scale: 2 | 4 }) => post<Accepted>("/api/upscale/jobs", body),
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
 * belong to image-to-video models.
 */
export const STUDIO_MAPPED_PARAMS = new Set(["prompt", "negative_prompt", "duration", "seed", "num_images", "image_url", "image", "start_image", "startImage"]);

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
}

/**
 * The body of POST /api/video/jobs for a remote model: only the fields a remote job accepts
 * (hollywool/api/remote_jobs.py `remote_params`); local-only fields such as frames, fps, steps or
 * size are never sent, and provider parameters the model does not list are dropped.
 */
export function remoteVideoRequest(model: RemoteModelInfo, form: RemoteVideoForm): Record<string, unknown> {
  const known = new Set(providerParamSpecs(model).map((p) => p.name));
  const provider_params = Object.fromEntries(
    Object.entries(form.provider_params).filter(([k, v]) => known.has(k) && v !== undefined && v !== null && v !== ""),
  );
  const body: Record<string, unknown> = { model: model.id, prompt: form.prompt, provider_params };
  if (Number.isFinite(form.duration) && form.duration > 0) body.duration = form.duration;
  if (form.negative_prompt.trim() && hasParam(model, "negative_prompt")) body.negative_prompt = form.negative_prompt;
  if (form.seed !== "" && hasParam(model, "seed")) body.seed = Number(form.seed);
  return body;
}
