/** Video: types and fetchers for /api/video, /api/i2v and /api/upscale (kept beside the pages using them). */
import { get, post } from "@/api/client";
import type { Job } from "@/api/types";

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
  jobs: (kind: string) => ["video", "jobs", kind] as const,
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
