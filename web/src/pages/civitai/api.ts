/** Civitai: types, query keys and fetchers for /api/civitai (kept beside the pages that use them). */
import { del, get, post, put } from "@/api/client";

export const MODEL_TYPES = ["Checkpoint", "LORA", "LoCon", "DoRA", "TextualInversion", "Controlnet", "Upscaler", "VAE", "MotionModule"] as const;
export const BASE_MODELS = ["SD 1.5", "SDXL 1.0", "Pony", "Illustrious", "Flux.1 D", "Flux.1 S", "SD 3", "SD 3.5"] as const;
export const SORTS = ["Highest Rated", "Most Downloaded", "Newest"] as const;
export const PERIODS = ["AllTime", "Year", "Month", "Week", "Day"] as const;

export interface CivitaiPreview {
  url: string;
  width?: number | null;
  height?: number | null;
  type: "image" | "video";
  nsfw: boolean;
}
export interface CivitaiStats {
  downloads: number;
  thumbs_up: number;
  thumbs_down: number;
  comments: number;
}
export interface CivitaiFile {
  id: number;
  name: string;
  type: string;
  size_bytes?: number | null;
  format?: string | null;
  fp?: string | null;
  size?: string | null;
  sha256?: string | null;
  primary: boolean;
}
export interface CivitaiVersion {
  id: number;
  model_id?: number | null;
  name: string;
  base_model?: string | null;
  trained_words: string[];
  published_at?: string | null;
  stats: CivitaiStats;
  files: CivitaiFile[];
  images: CivitaiPreview[];
}
export interface CivitaiModelSummary {
  id: number;
  name: string;
  type: string;
  nsfw: boolean;
  tags: string[];
  creator: { username?: string | null };
  stats: CivitaiStats;
  base_models: string[];
  latest_version_id?: number | null;
  latest_version_name?: string | null;
  preview?: CivitaiPreview | null;
}
export interface CivitaiModel extends CivitaiModelSummary {
  description?: string | null;
  versions: CivitaiVersion[];
}
export interface SearchPage {
  items: CivitaiModelSummary[];
  next_cursor?: string | null;
}
export interface CivitaiDownload {
  id: string;
  version_id: number;
  model_id?: number | null;
  model_name: string;
  version_name: string;
  model_type?: string | null;
  file_id?: number | null;
  file_name: string;
  path?: string | null;
  total_bytes?: number | null;
  downloaded_bytes: number;
  status: "queued" | "downloading" | "verifying" | "completed" | "failed" | "cancelled";
  error?: string | null;
  job_id?: string | null;
  speed_bps?: number | null;
  eta_seconds?: number | null;
  progress: number;
}
export interface SearchFilters {
  query?: string;
  types?: string[];
  baseModels?: string[];
  sort?: string;
  period?: string;
  nsfw?: boolean;
}

export const ACTIVE = ["queued", "downloading", "verifying"];

export const civitaiKeys = {
  search: (f: SearchFilters) => ["civitai", "search", f] as const,
  model: (id: string, nsfw: boolean) => ["civitai", "model", id, nsfw] as const,
  downloads: ["civitai", "downloads"] as const,
  token: ["civitai", "token"] as const,
};

export const civitai = {
  search: (f: SearchFilters, cursor?: string | null) =>
    get<SearchPage>("/api/civitai/models", {
      query: f.query || undefined,
      types: f.types?.length ? f.types : undefined,
      baseModels: f.baseModels?.length ? f.baseModels : undefined,
      sort: f.sort,
      period: f.period,
      nsfw: f.nsfw ? "true" : undefined,
      cursor: cursor ?? undefined,
      limit: 24,
    }),
  model: (id: string, nsfw: boolean) => get<CivitaiModel>(`/api/civitai/models/${id}`, { nsfw: nsfw ? "true" : undefined }),
  downloads: () => get<{ items: CivitaiDownload[]; total: number }>("/api/civitai/downloads"),
  startDownload: (version_id: number, file_id?: number) => post<CivitaiDownload>("/api/civitai/downloads", { version_id, file_id }),
  removeDownload: (id: string) => del<CivitaiDownload>(`/api/civitai/downloads/${id}`),
  token: () => get<{ has_token: boolean }>("/api/civitai/token"),
  setToken: (token: string) => put<{ has_token: boolean }>("/api/civitai/token", { token }),
  clearToken: () => del<{ has_token: boolean }>("/api/civitai/token"),
};
