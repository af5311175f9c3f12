/** Query keys and fetchers, one place for every endpoint the UI reads. */
import { ApiError, api, del, downloadFile, get, post, postForBlob, put } from "./client";
import type {
  AddModelRequest,
  FamilyInfo,
  LocalModelInfo,
  ModelFolderInfo,
  Asset,
  AssetPage,
  AssetsDeleted,
  CacheStatus,
  CanGenerate,
  ControlModels,
  PreprocessRequest,
  Deleted,
  ModelDownload,
  Health,
  ImageJobRequest,
  ImageMetadata,
  Job,
  JobAccepted,
  JobKindInfo,
  JobPage,
  LocalModel,
  Lora,
  Preferences,
  ServiceUrl,
  RequestLimits,
  SchedulerInfo,
  RequestLog,
  RequestLogPage,
  Session,
  SessionsData,
  StylePreset,
  SystemStatus,
  WorkerInfo,
  Workers,
} from "./types";

/** The gallery's filters, as `GET /api/assets` takes them. */
export type AssetFilters = {
  kind?: "image" | "video";
  model?: string;
  search?: string;
  session_id?: string;
  favorite?: boolean;
  created_after?: number;
  created_before?: number;
};

export const qk = {
  health: ["health"] as const,
  systemStatus: ["system-status"] as const,
  workers: ["system-workers"] as const,
  settings: ["settings"] as const,
  serviceUrls: ["settings", "services"] as const,
  schedulers: ["schedulers"] as const,
  jobs: (f: object = {}) => ["jobs", f] as const,
  job: (id: string) => ["job", id] as const,
  jobKinds: ["job-kinds"] as const,
  assets: (f: object = {}) => ["assets", f] as const,
  asset: (id: string) => ["asset", id] as const,
  assetParams: (id: string) => ["asset-params", id] as const,
  assetModels: ["asset-models"] as const,
  sessions: ["sessions"] as const,
  videoSessions: ["video-sessions"] as const,
  models: ["models"] as const,
  cacheStatus: ["cache-status"] as const,
  modelFolders: ["model-folders"] as const,
  families: ["model-families"] as const,
  downloads: ["downloads"] as const,
  loras: (type?: string) => ["loras", type ?? "all"] as const,
  controlModels: ["control-models"] as const,
  canGenerate: (id: string) => ["can-generate", id] as const,
  styles: ["styles"] as const,
  limits: ["limits"] as const,
  logs: (f: object = {}) => ["logs", f] as const,
  log: (id: number) => ["log", id] as const,
};

/** An endpoint that may not exist yet (404/405): answer null instead of failing the page. */
async function optional<T>(fetcher: () => Promise<T>): Promise<T | null> {
  try {
    return await fetcher();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export const fetchers = {
  health: () => get<Health>("/api/health"),
  systemStatus: () => get<SystemStatus>("/api/system/status"),
  workers: () => get<Workers>("/api/system/workers"),
  drainWorker: (id: string, drained: boolean) =>
    post<WorkerInfo>(`/api/system/workers/${encodeURIComponent(id)}/${drained ? "drain" : "undrain"}`),
  settings: () => get<Preferences>("/api/settings"),
  saveSettings: (changes: Partial<Preferences>) => put<Preferences>("/api/settings", changes),
  serviceUrls: () => get<ServiceUrl[]>("/api/settings/services"),
  setServiceUrl: (id: string, url: string | null) => put<ServiceUrl>(`/api/settings/services/${id}`, { url }),

  jobs: (f: { status?: string[]; kind?: string; active_only?: boolean; session_id?: string; limit?: number; offset?: number }) =>
    get<JobPage>("/api/jobs", { ...f, status: f.status }),
  job: (id: string) => get<Job>(`/api/jobs/${id}`),
  jobKinds: () => get<JobKindInfo[]>("/api/jobs/kinds"),
  submitImage: (body: ImageJobRequest) => post<JobAccepted>("/api/jobs", body),
  controlModels: () => get<ControlModels>("/api/control/models"),
  controlPreview: (body: PreprocessRequest, signal?: AbortSignal) => postForBlob("/api/control/preprocess", body, signal),
  cancelJob: (id: string) => post<Job>(`/api/jobs/${id}/cancel`),
  retryJob: (id: string) => post<Job>(`/api/jobs/${id}/retry`),
  moveToFront: (id: string) => post<Job>(`/api/jobs/${id}/move-to-front`),

  assets: (f: AssetFilters & { job_id?: string; limit?: number; offset?: number; cursor?: string; include_total?: boolean; compact?: boolean }) =>
    get<AssetPage>("/api/assets", f),
  setFavorite: (id: string, favorite: boolean) => put<Asset>(`/api/assets/${id}/favorite`, { favorite }),
  deleteAssets: (ids: string[]) => post<AssetsDeleted>("/api/assets/delete", { ids }),
  downloadAssets: (ids: string[]) => downloadFile("/api/assets/zip", { ids }, "hollywool-assets.zip"),
  videoSessions: () => get<SessionsData>("/api/video-sessions").then((d) => d.sessions),
  asset: (id: string) => get<Asset>(`/api/assets/${id}`),
  assetParams: (id: string) => optional(() => get<Record<string, unknown>>(`/api/assets/${id}/params`)),
  schedulers: () => get<SchedulerInfo[]>("/api/models/schedulers"),
  readImageMetadata: (file: File) => {
    const body = new FormData();
    body.append("file", file);
    return post<ImageMetadata>("/api/images/metadata", body);
  },
  assetModels: () => get<string[]>("/api/assets/models"),
  deleteAsset: (id: string) => del<Deleted>(`/api/assets/${id}`),

  sessions: () => get<SessionsData>("/api/sessions").then((d) => d.sessions),
  createSession: (name: string) => post<Session>("/api/sessions", { name }),
  renameSession: (id: string, name: string) => put<Session>(`/api/sessions/${id}`, { name }),
  deleteSession: (id: string) => del<Deleted>(`/api/sessions/${id}`),
  generateTitle: async (prompt: string): Promise<string | null> => {
    const r = await optional(() => post<{ title?: string }>("/api/generate-title", { prompt }));
    return r?.title ?? null;
  },

  /** The local catalogue (/api/models/detailed); null when the server has none. */
  models: (): Promise<LocalModel[] | null> =>
    optional(() => get<{ models: LocalModel[] }>("/api/models/detailed").then((d) => d.models)),
  cacheStatus: (): Promise<CacheStatus | null> => optional(() => get<CacheStatus>("/api/models/cache-status")),
  downloads: (): Promise<ModelDownload[] | null> => optional(() => get<ModelDownload[]>("/api/models/downloads")),
  downloadModel: (id: string) => post<JobAccepted>(`/api/models/${id}/download`),
  deleteModelCache: (id: string) => del<unknown>(`/api/models/${id}/cache`),
  addModel: (req: AddModelRequest) => post<LocalModelInfo>("/api/models", req),
  removeModel: (id: string) => del<unknown>(`/api/models/${encodeURIComponent(id)}`),
  families: () => get<FamilyInfo[]>("/api/models/families"),
  modelFolders: () => get<ModelFolderInfo[]>("/api/models/folders"),
  addModelFolder: (path: string) => post<ModelFolderInfo>("/api/models/folders", { path }),
  removeModelFolder: (path: string) => api<ModelFolderInfo[]>("/api/models/folders", { method: "DELETE", query: { path } }),
  /** With a model type, only the LoRAs that fit it (the server filters on each LoRA's `model_types`). */
  loras: (type?: string): Promise<Lora[] | null> =>
    optional(() => get<{ loras: Lora[] }>("/api/loras", { model_type: type }).then((d) => d.loras)),
  canGenerate: (id: string): Promise<CanGenerate | null> =>
    optional(() => get<CanGenerate>(`/api/system/can-generate/${encodeURIComponent(id)}`)),
  styles: (): Promise<StylePreset[] | null> => optional(() => get<StylePreset[]>("/api/styles")),
  limits: () => get<RequestLimits>("/api/limits"),
  logs: (f: { type?: string; status?: string; limit: number; offset: number }) =>
    get<RequestLogPage>("/api/settings/logs", f),
  log: (id: number) => get<RequestLog>(`/api/settings/logs/${id}`),
  deleteLog: (id: number) => del<Deleted>(`/api/settings/logs/${id}`),
  clearLogs: () => del<{ deleted: number }>("/api/settings/logs"),
};
