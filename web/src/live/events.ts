/** The live events the backend publishes (hollywool/jobs/events.py), as the client reads them. */
import type { Job } from "@/api/types";

export type JobStateEventType =
  | "job.queued"
  | "job.started"
  | "job.completed"
  | "job.failed"
  | "job.cancelled"
  | "job.updated";

export interface JobStateEvent {
  type: JobStateEventType;
  ts?: number;
  job_id: string;
  job: Job;
}

export interface JobProgressEvent {
  type: "job.progress";
  ts?: number;
  job_id: string;
  kind: string;
  stage: string;
  step: number;
  total_steps: number;
  progress: number;
  eta_seconds?: number | null;
  message?: string | null;
}

export interface JobPreviewEvent {
  type: "job.preview";
  ts?: number;
  job_id: string;
  step: number;
  image: string;
}

export interface DownloadProgressEvent {
  type: "download.progress";
  ts?: number;
  download_id: string;
  job_id?: string | null;
  model_id?: string | null;
  filename?: string | null;
  downloaded_bytes: number;
  total_bytes?: number | null;
  speed_bps?: number | null;
  eta_seconds?: number | null;
}

export interface ModelEvent {
  type: "model.loaded" | "model.unloaded";
  ts?: number;
  model_id: string;
  device?: string;
  seconds?: number;
  reason?: string;
}

export interface ControlEvent {
  type: "hello" | "ping" | "stream.overflow";
}

export type LiveEvent =
  | JobStateEvent
  | JobProgressEvent
  | JobPreviewEvent
  | DownloadProgressEvent
  | ModelEvent
  | ControlEvent;

const JOB_STATE = new Set<string>([
  "job.queued",
  "job.started",
  "job.completed",
  "job.failed",
  "job.cancelled",
  "job.updated",
]);

export function isJobStateEvent(e: LiveEvent): e is JobStateEvent {
  return JOB_STATE.has(e.type);
}

/** Parse one websocket message; null for anything that is not a known event. */
export function parseEvent(data: unknown): LiveEvent | null {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data) as { type?: unknown };
    if (!value || typeof value !== "object" || typeof value.type !== "string") return null;
    return value as LiveEvent;
  } catch {
    return null;
  }
}
