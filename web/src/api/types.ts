/**
 * API types. Everything the backend's OpenAPI schema describes comes from the generated
 * `schema.d.ts` (`npm run gen:api`). Endpoints that answer untyped dicts (jobs, health, system)
 * or are still being built (models, LoRAs, can-generate) are described here from the documented
 * shapes, loosely, and read through the normalisers in `normalize.ts`.
 */
import type { components } from "./schema";

type S = components["schemas"];

export type Asset = S["Asset"];
export type Session = S["Session"];
export type Preferences = S["Preferences"];
export type RequestLog = S["RequestLog"];
export type JobAccepted = S["JobAccepted"];
export type ImageJobRequestBase = S["ImageJobRequest"];

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";
export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running"];
export const isActive = (s: JobStatus | string | undefined) => s === "queued" || s === "running";

export interface JobMedia {
  id: string;
  url: string;
  seed?: number | null;
  width?: number | null;
  height?: number | null;
  kind?: string;
  thumbnail_url?: string | null;
}

/** A job as `GET /api/jobs/{id}` shows it (hollywool/jobs/service.py JobViews). */
export interface Job {
  id: string;
  job_id: string;
  kind: string;
  lane?: string;
  status: JobStatus;
  priority?: number;
  params: Record<string, unknown>;
  stage: string;
  step: number;
  total_steps: number;
  fraction?: number;
  progress: number;
  eta_seconds?: number | null;
  message?: string | null;
  error?: string | null;
  result?: Record<string, unknown>;
  session_id?: string | null;
  parent_id?: string | null;
  attempts?: number;
  cancel_requested?: boolean;
  created_at: number;
  started_at?: number | null;
  finished_at?: number | null;
  updated_at: number;
  images: JobMedia[];
  videos: JobMedia[];
}

export interface LoraChoice {
  lora_id: string;
  weight: number;
}

export type ReferenceImage = { image_asset_id: string } | { image_base64: string };

/** POST /api/jobs: the generated request plus the image-engine fields documented in issue 3. */
export type ImageJobRequest = ImageJobRequestBase & {
  session_id?: string | null;
  loras?: LoraChoice[];
  reference_images?: ReferenceImage[];
  strength?: number;
  style?: string | null;
  aspect_ratio?: string | null;
  scheduler?: string | null;
};

export type ModelCategory = "fast" | "quality" | "specialized" | "video" | string;

/** One catalogue entry (hollywool/engines/diffusers/catalog.py ModelEntry plus cache state). */
export interface ModelInfo {
  id: string;
  name: string;
  type: string;
  category: ModelCategory;
  path?: string;
  source?: string;
  default_steps?: number;
  default_guidance?: number;
  default_width?: number | null;
  default_height?: number | null;
  size_gb?: number;
  memory_gb?: number;
  tags?: string[];
  description?: string;
  gated?: boolean;
  user_defined?: boolean;
  cached?: boolean;
  cache_size_bytes?: number | null;
  last_used?: number | null;
  supports_negative_prompt?: boolean;
  size_multiple?: number;
  downloaded?: boolean;
  loaded?: boolean;
  is_video?: boolean;
  downloading?: boolean;
}

export interface CacheState {
  cached: boolean;
  size_bytes?: number | null;
}

export interface Lora {
  id: string;
  name: string;
  base?: string | null;
  model_type?: string | null;
  path?: string;
  size_bytes?: number | null;
  /** Words the LoRA was trained on (from its metadata or Civitai); they belong in the prompt. */
  trigger_words: string[];
}

export interface CanGenerate {
  ok: boolean;
  reason: string | null;
  required_gb?: number | null;
  available_gb?: number | null;
  plan?: string | null;
}

export interface StylePreset {
  id: string;
  name: string;
  prompt?: string;
  negative_prompt?: string;
}

export interface DownloadInfo {
  id: string;
  model_id?: string | null;
  job_id?: string | null;
  status?: string;
  downloaded_bytes?: number;
  total_bytes?: number | null;
}

export interface GpuInfo {
  index: number;
  name: string;
  memory_total_gb?: number;
  memory_used_gb?: number;
  unified_memory?: boolean;
  utilization_percent?: number | null;
  temperature_c?: number | null;
}

export interface SystemStatus {
  cpu: { percent: number; cores: number; name: string };
  memory: { total_gb: number; used_gb: number; available_gb: number; percent: number };
  gpus: GpuInfo[];
  device: string;
}

export interface Health {
  status: string;
  version: string;
  device: string;
  gpu: string | null;
  loaded_models: string[];
  loaded_model: string | null;
}

