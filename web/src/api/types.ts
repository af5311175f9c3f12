/**
 * API types. Everything the backend's OpenAPI schema describes comes from the generated
 * `schema.d.ts` (`npm run dump:api && npm run gen:api`): the aliases below only name them.
 * What is still written by hand here (from ModelCategory down) is the UI's own view of `/api/models*`,
 * `/api/loras`, `/api/styles`, `/api/system/can-generate/{id}` and `/api/models/downloads`: those
 * endpoints now have response models (LocalModelInfo/LocalModelDetail/RemoteModelInfo, CacheStatus,
 * Lora, StylePreset, CanGenerate, DownloadPage in `schema.d.ts`), but their answers still go through
 * the lenient normalisers in `normalize.ts`, which derive fields the server does not send (`cached`,
 * per-model `CacheState`, `ok`) and accept older variants. TODO(issue 4): read the generated types
 * directly and retire these views with the normalisers.
 */
import type { components } from "./schema";

type S = components["schemas"];

/**
 * A response body as the backend sends it. FastAPI serialises every field of a response model
 * (defaults filled in, `null` where unset; events too, via `model_dump_json`), while the generated
 * types mark fields with a default as optional because the same schemas describe request bodies.
 * `Sent<T>` makes them present, all the way down.
 */
export type Sent<T> = T extends (infer U)[]
  ? Sent<U>[]
  : T extends object
    ? { [K in keyof T]-?: Sent<T[K]> }
    : T;

export type Asset = Sent<S["Asset"]>;
export type AssetPage = Sent<S["Page_Asset_"]>;
export type Session = Sent<S["Session"]>;
export type Preferences = Sent<S["Preferences"]>;
export type RequestLog = Sent<S["RequestLog"]>;
export type RequestLogPage = Sent<S["Page_RequestLog_"]>;
export type JobAccepted = Sent<S["JobAccepted"]>;
export type Deleted = Sent<S["Deleted"]>;

/** A job as `GET /api/jobs/{id}` shows it. */
export type Job = Sent<S["JobView"]>;
export type JobPage = Sent<S["JobPage"]>;
export type JobMedia = Sent<S["MediaRef"]>;
export type JobStatus = S["JobStatus"];
export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running"];
export const isActive = (s: JobStatus | string | undefined) => s === "queued" || s === "running";

export type Health = Sent<S["Health"]>;
export type SystemStatus = Sent<S["SystemStatus"]>;
export type GpuInfo = Sent<S["GpuStatus"]>;

/** POST /api/jobs (local and remote models). */
export type ImageJobRequest = S["ImageJobRequest"];
export type ReferenceImage = S["ReferenceImage"];
/** A LoRA as the form holds it: the weight always set. */
export type LoraChoice = Required<S["LoraRef"]>;

/** A page of a list endpoint that has no response model yet (see `Page_*` / `JobPage` for those that do). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

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
