/**
 * The live events the backend publishes (hollywool/jobs/events.py), typed from the schemas that
 * `GET /api/events/types` declares. The generated types leave `type` optional (it has a default on
 * the server); every published event carries it, so `Sent<>` makes it, like every field, present.
 */
import type { components } from "@/api/schema";
import type { Sent } from "@/api/types";

type S = components["schemas"];

export type JobStateEventType = S["JobEvent"]["type"];

/** `job` is the job as `GET /api/jobs/{id}` shows it (a JobView on the server too). */
export type JobStateEvent = Sent<S["JobEvent"]>;
export type JobProgressEvent = Sent<S["JobProgress"]>;
export type JobPreviewEvent = Sent<S["JobPreview"]>;
export type DownloadProgressEvent = Sent<S["DownloadProgress"]>;
export type ModelLoadedEvent = Sent<S["ModelLoaded"]>;
export type ModelUnloadedEvent = Sent<S["ModelUnloaded"]>;
export type ModelEvent = ModelLoadedEvent | ModelUnloadedEvent;
export type StreamOverflowEvent = Sent<S["StreamOverflow"]>;

/** Frames of the websocket itself (not events of the bus): a greeting and a keep-alive. */
export interface ControlEvent {
  type: "hello" | "ping";
}

export type LiveEvent =
  | JobStateEvent
  | JobProgressEvent
  | JobPreviewEvent
  | DownloadProgressEvent
  | ModelEvent
  | StreamOverflowEvent
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
