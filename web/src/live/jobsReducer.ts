/**
 * The live job state: every job the client has seen move, the latest preview of each, and model
 * downloads. Pure: (state, action) -> state, so it is tested without a socket.
 */
import type { Job, JobStatus } from "@/api/types";
import type { DownloadProgressEvent, LiveEvent } from "./events";
import { isJobStateEvent } from "./events";

export interface Preview {
  step: number;
  image: string;
}

export interface LiveState {
  jobs: Record<string, Job>;
  previews: Record<string, Preview>;
  downloads: Record<string, DownloadProgressEvent>;
  loadedModels: string[];
}

export const initialLiveState: LiveState = { jobs: {}, previews: {}, downloads: {}, loadedModels: [] };

export type LiveAction =
  | { type: "event"; event: LiveEvent }
  /** REST answer of the active jobs: the truth after a (re)connect. */
  | { type: "sync"; active: Job[] }
  | { type: "forget"; jobId: string };

const FINISHED: JobStatus[] = ["completed", "failed", "cancelled"];
export const isFinished = (s: string | undefined) => FINISHED.includes(s as JobStatus);

/** A job known only by id (a progress event for a job not seen yet): every field of a JobView set. */
export function blankJob(jobId: string, kind: string, status: JobStatus = "running"): Job {
  const t = Date.now() / 1000;
  return {
    id: jobId,
    job_id: jobId,
    kind,
    kind_label: kind,
    title: kind,
    lane: "",
    status,
    queue_position: null,
    priority: 0,
    params: {},
    stage: status,
    stage_label: status,
    step: 0,
    total_steps: 0,
    fraction: 0,
    progress: 0,
    eta_seconds: null,
    message: null,
    error: null,
    error_detail: null,
    result: {},
    session_id: null,
    parent_id: null,
    attempts: 0,
    cancel_requested: false,
    ran_on: null,
    created_at: t,
    started_at: null,
    finished_at: null,
    updated_at: t,
    images: [],
    videos: [],
    source_image_urls: [],
  };
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case "sync": {
      const jobs: Record<string, Job> = {};
      // Keep finished jobs already known (they show as recent); replace every active one.
      for (const [id, job] of Object.entries(state.jobs)) if (isFinished(job.status)) jobs[id] = job;
      for (const job of action.active) jobs[job.id] = { ...state.jobs[job.id], ...job };
      // An active job the server no longer lists finished while we were away: drop it so the
      // notifications stop tracking it; REST queries (invalidated on reconnect) show its outcome.
      return { ...state, jobs };
    }
    case "forget": {
      const { [action.jobId]: _job, ...jobs } = state.jobs;
      const { [action.jobId]: _preview, ...previews } = state.previews;
      return { ...state, jobs, previews };
    }
    case "event":
      return applyEvent(state, action.event);
  }
}

function applyEvent(state: LiveState, event: LiveEvent): LiveState {
  if (isJobStateEvent(event)) {
    const prev = state.jobs[event.job_id];
    // Never let an older snapshot overwrite a newer one (events from two sockets, or a REST sync).
    if (prev && isFinished(prev.status) && !isFinished(event.job.status) && event.type !== "job.queued") return state;
    const job: Job = { ...prev, ...event.job, id: event.job.id ?? event.job_id, job_id: event.job_id };
    let previews = state.previews;
    if (event.type === "job.queued" && prev && isFinished(prev.status)) {
      // A retry: the old previews belong to the previous attempt.
      const { [event.job_id]: _, ...rest } = previews;
      previews = rest;
    }
    return { ...state, jobs: { ...state.jobs, [event.job_id]: job }, previews };
  }
  switch (event.type) {
    case "job.progress": {
      const prev = state.jobs[event.job_id] ?? blankJob(event.job_id, event.kind);
      if (isFinished(prev.status)) return state; // late progress after the end
      const job: Job = {
        ...prev,
        status: "running",
        stage: event.stage,
        stage_label: event.stage_label,
        step: event.step,
        total_steps: event.total_steps,
        progress: event.progress,
        eta_seconds: event.eta_seconds ?? null,
        // As the server stores it: a progress report without a message ends the last one ("Loading …").
        message: event.message ?? null,
      };
      return { ...state, jobs: { ...state.jobs, [event.job_id]: job } };
    }
    case "job.preview": {
      const prev = state.previews[event.job_id];
      if (prev && prev.step > event.step) return state;
      return { ...state, previews: { ...state.previews, [event.job_id]: { step: event.step, image: event.image } } };
    }
    case "download.progress":
      return { ...state, downloads: { ...state.downloads, [event.download_id]: event } };
    case "model.loaded":
      return state.loadedModels.includes(event.model_id)
        ? state
        : { ...state, loadedModels: [...state.loadedModels, event.model_id] };
    case "model.unloaded":
      return { ...state, loadedModels: state.loadedModels.filter((m) => m !== event.model_id) };
    default:
      return state;
  }
}

export function activeJobs(state: LiveState): Job[] {
  return Object.values(state.jobs)
    .filter((j) => j.status === "queued" || j.status === "running")
    .sort((a, b) => a.created_at - b.created_at);
}

/** Overlay the live state of a job onto a REST copy of it: whichever was updated last wins. */
export function mergeJob(rest: Job, live: Job | undefined): Job {
  if (!live) return rest;
  if (isFinished(rest.status) && !isFinished(live.status)) return rest;
  if (isFinished(live.status) && !isFinished(rest.status)) return { ...rest, ...live };
  if ((live.updated_at ?? 0) < (rest.updated_at ?? 0) && live.status === rest.status && live.step <= rest.step) return rest;
  // A queued job's place moves when others start (no event of its own says so): it comes from REST.
  const merged = { ...rest, ...live };
  return { ...merged, queue_position: merged.status === "queued" ? rest.queue_position : null };
}
