/** Bulk generation: types, query keys and fetchers for /api/bulk and /api/bulk-sessions. */
import { buildUrl, del, get, post, put } from "@/api/client";
import type { components } from "@/api/schema";
import type { JobAccepted, JobMedia, JobStatus, Page, Session } from "@/api/types";

type S = components["schemas"];

export type VariationsRequest = S["VariationsRequest"];
export type VariationsResponse = S["VariationsResponse"];
export type BulkRequest = S["BulkRequest"];

/** One prompt of a batch (hollywool/bulk/service.py BulkService.view items). */
export interface BulkItem {
  index: number;
  job_id: string;
  prompt: string;
  status: JobStatus;
  stage?: string;
  progress: number;
  message?: string | null;
  asset_id: string | null;
  image_url: string | null;
  thumbnail_url: string | null;
  images: JobMedia[];
  error: string | null;
  seed: number | null;
  cost_usd: number | null;
}

/** GET /api/bulk/jobs/{id}; the list leaves `items` out. */
export interface BulkView {
  job_id: string;
  id: string;
  status: JobStatus;
  model: string;
  kind: string;
  base_prompt: string | null;
  session_id: string | null;
  width: number;
  height: number;
  steps: number | null;
  num_images: number;
  total: number;
  completed: number;
  failed: number;
  running: number;
  queued: number;
  cancelled: number;
  progress: number;
  cost_usd: number;
  cost_estimated: boolean;
  created_at: number;
  finished_at: number | null;
  items?: BulkItem[];
}

export const bulkKeys = {
  job: (id: string) => ["bulk", "job", id] as const,
  jobs: (sessionId: string | null) => ["bulk", "jobs", sessionId ?? "all"] as const,
  sessions: ["bulk", "sessions"] as const,
};

export const bulkApi = {
  variations: (body: VariationsRequest) => post<VariationsResponse>("/api/bulk/variations", body),
  create: (body: BulkRequest) => post<JobAccepted>("/api/bulk/jobs", body),
  job: (id: string) => get<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}`),
  jobs: (sessionId: string | null, limit = 50) => get<Page<BulkView>>("/api/bulk/jobs", { session_id: sessionId, limit }),
  cancel: (id: string) => post<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}/cancel`),
  retry: (id: string, indexes?: number[]) =>
    post<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}/retry`, indexes ? { indexes } : {}),
  /** A plain link: the token cookie authorises it like the /outputs images. */
  exportUrl: (id: string) => buildUrl(`/api/bulk/jobs/${encodeURIComponent(id)}/export`),

  sessions: () => get<Session[]>("/api/bulk-sessions"),
  createSession: (name: string) => post<Session>("/api/bulk-sessions", { name }),
  renameSession: (id: string, name: string) => put<Session>(`/api/bulk-sessions/${encodeURIComponent(id)}`, { name }),
  deleteSession: (id: string) => del<{ deleted: boolean }>(`/api/bulk-sessions/${encodeURIComponent(id)}`),
};
