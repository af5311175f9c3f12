/** Bulk generation: types, query keys and fetchers for /api/bulk and /api/bulk-sessions. */
import { buildUrl, del, get, post, put } from "@/api/client";
import type { components } from "@/api/schema";
import type { JobAccepted, Sent, Session } from "@/api/types";

type S = components["schemas"];

export type VariationsRequest = S["VariationsRequest"];
export type VariationsResponse = S["VariationsResponse"];
export type BulkRequest = S["BulkRequest"];

/** One prompt of a batch (hollywool/bulk/service.py BulkItem). */
export type BulkItem = Sent<S["BulkItem"]>;
/** A batch as the list shows it (no `items`). */
export type BulkSummary = Sent<S["BulkSummary"]>;
/** GET /api/bulk/jobs/{id}, cancel and retry: the batch with its prompts. */
export type BulkView = Sent<S["BulkView"]>;
export type BulkPage = Sent<S["BulkPage"]>;

export const bulkKeys = {
  job: (id: string) => ["bulk", "job", id] as const,
  jobs: (sessionId: string | null) => ["bulk", "jobs", sessionId ?? "all"] as const,
  sessions: ["bulk", "sessions"] as const,
};

export const bulkApi = {
  variations: (body: VariationsRequest) => post<VariationsResponse>("/api/bulk/variations", body),
  create: (body: BulkRequest) => post<JobAccepted>("/api/bulk/jobs", body),
  job: (id: string) => get<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}`),
  jobs: (sessionId: string | null, limit = 50) => get<BulkPage>("/api/bulk/jobs", { session_id: sessionId, limit }),
  cancel: (id: string) => post<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}/cancel`),
  retry: (id: string, indexes?: number[]) =>
    post<BulkView>(`/api/bulk/jobs/${encodeURIComponent(id)}/retry`, indexes ? { indexes } : {}),
  /** A plain link: the token cookie authorises it like the /outputs images. */
  exportUrl: (id: string) => buildUrl(`/api/bulk/jobs/${encodeURIComponent(id)}/export`),

  sessions: () => get<{ sessions: Session[] }>("/api/bulk-sessions").then((d) => d.sessions),
  createSession: (name: string) => post<Session>("/api/bulk-sessions", { name }),
  renameSession: (id: string, name: string) => put<Session>(`/api/bulk-sessions/${encodeURIComponent(id)}`, { name }),
  deleteSession: (id: string) => del<{ deleted: boolean }>(`/api/bulk-sessions/${encodeURIComponent(id)}`),
};
