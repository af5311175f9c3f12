/** Civitai: types, query keys and fetchers for /api/civitai (kept beside the pages that use them). */
import { del, get, post, put } from "@/api/client";
import type { components } from "@/api/schema";
import type { Sent } from "@/api/types";

export const MODEL_TYPES = ["Checkpoint", "LORA", "LoCon", "DoRA", "TextualInversion", "Controlnet", "Upscaler", "VAE", "MotionModule"] as const;
export const BASE_MODELS = ["SD 1.5", "SDXL 1.0", "Pony", "Illustrious", "Flux.1 D", "Flux.1 S", "SD 3", "SD 3.5"] as const;
export const SORTS = ["Highest Rated", "Most Downloaded", "Newest"] as const;
export const PERIODS = ["AllTime", "Year", "Month", "Week", "Day"] as const;

type S = components["schemas"];

export type CivitaiPreview = Sent<S["Preview"]>;
export type CivitaiStats = Sent<S["Stats"]>;
export type CivitaiFile = Sent<S["CivitaiFile"]>;
export type CivitaiVersion = Sent<S["CivitaiVersion"]>;
export type CivitaiModelSummary = Sent<S["CivitaiModelSummary"]>;
export type CivitaiModel = Sent<S["CivitaiModel"]>;
export type SearchPage = Sent<S["SearchPage"]>;
/** A Civitai download; `progress` (0-100) is computed by the server, so `Sent<>` leaves it out: added back here. */
export type CivitaiDownload = Sent<S["Download"]> & { readonly progress: number };
export type TokenState = Sent<S["TokenState"]>;
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
  downloads: () => get<CivitaiDownload[]>("/api/civitai/downloads"),
  startDownload: (version_id: number, file_id?: number) => post<CivitaiDownload>("/api/civitai/downloads", { version_id, file_id }),
  removeDownload: (id: string) => del<CivitaiDownload>(`/api/civitai/downloads/${id}`),
  token: () => get<TokenState>("/api/civitai/token"),
  setToken: (token: string) => put<TokenState>("/api/civitai/token", { token }),
  clearToken: () => del<TokenState>("/api/civitai/token"),
};
