import { describe, expect, it } from "vitest";
import type { Job } from "@/api/types";
import { activeJobs, blankJob, initialLiveState, liveReducer, mergeJob, type LiveState } from "./jobsReducer";
import type { LiveEvent } from "./events";

function job(id: string, status: Job["status"], extra: Partial<Job> = {}): Job {
  return { ...blankJob(id, "image", status), params: { prompt: "a cat" }, created_at: 1, updated_at: 1, ...extra };
}

/** An event with only the fields a test cares about; the rest as the server fills them. */
const ev = (s: LiveState, e: { type: LiveEvent["type"] } & Record<string, unknown>) =>
  liveReducer(s, { type: "event", event: { ts: 0, eta_seconds: null, message: null, ...e } as LiveEvent });

describe("liveReducer", () => {
  it("tracks a job from queued through progress and previews to completed", () => {
    let s = ev(initialLiveState, { type: "job.queued", job_id: "a", job: job("a", "queued") });
    expect(activeJobs(s).map((j) => j.id)).toEqual(["a"]);
    s = ev(s, { type: "job.started", job_id: "a", job: job("a", "running") });
    s = ev(s, { type: "job.progress", job_id: "a", kind: "image", stage: "generating", step: 3, total_steps: 10, progress: 30, eta_seconds: 2.5 });
    expect(s.jobs.a).toMatchObject({ status: "running", stage: "generating", step: 3, total_steps: 10, progress: 30, eta_seconds: 2.5 });
    s = ev(s, { type: "job.preview", job_id: "a", step: 3, image: "data:image/jpeg;base64,AAA" });
    expect(s.previews.a.step).toBe(3);
    s = ev(s, { type: "job.completed", job_id: "a", job: job("a", "completed", { progress: 100 }) });
    expect(activeJobs(s)).toEqual([]);
    expect(s.jobs.a.status).toBe("completed");
  });

  it("drops a stage's message once progress goes on without one, as the server does", () => {
    let s = ev(initialLiveState, { type: "job.progress", job_id: "a", kind: "image", stage: "loading", step: 0, total_steps: 0, progress: 0, message: "Loading Tiny SD" });
    expect(s.jobs.a.message).toBe("Loading Tiny SD");
    s = ev(s, { type: "job.progress", job_id: "a", kind: "image", stage: "generating", step: 1, total_steps: 10, progress: 10 });
    expect(s.jobs.a.message).toBeNull();
  });

  it("ignores progress that arrives after the end", () => {
    let s = ev(initialLiveState, { type: "job.cancelled", job_id: "a", job: job("a", "cancelled") });
    const before = s;
    s = ev(s, { type: "job.progress", job_id: "a", kind: "image", stage: "generating", step: 9, total_steps: 10, progress: 90 });
    expect(s).toBe(before);
  });

  it("does not let an older snapshot revert a finished job, but a retry re-queues it", () => {
    let s = ev(initialLiveState, { type: "job.failed", job_id: "a", job: job("a", "failed", { error: "boom" }) });
    s = ev(s, { type: "job.preview", job_id: "a", step: 2, image: "x" });
    const stale = ev(s, { type: "job.updated", job_id: "a", job: job("a", "running") });
    expect(stale.jobs.a.status).toBe("failed");
    const retried = ev(s, { type: "job.queued", job_id: "a", job: job("a", "queued") });
    expect(retried.jobs.a.status).toBe("queued");
    expect(retried.previews.a).toBeUndefined();
  });

  it("keeps the newest preview only", () => {
    let s = ev(initialLiveState, { type: "job.preview", job_id: "a", step: 5, image: "five" });
    s = ev(s, { type: "job.preview", job_id: "a", step: 4, image: "four" });
    expect(s.previews.a.image).toBe("five");
  });

  it("creates a running skeleton for progress of a job it has not seen (after a reconnect)", () => {
    const s = ev(initialLiveState, { type: "job.progress", job_id: "z", kind: "download", stage: "downloading", step: 1, total_steps: 4, progress: 25 });
    expect(s.jobs.z).toMatchObject({ kind: "download", status: "running", progress: 25 });
  });

  it("sync replaces the active set with the server's and drops jobs that ended while away", () => {
    let s = ev(initialLiveState, { type: "job.queued", job_id: "gone", job: job("gone", "queued") });
    s = ev(s, { type: "job.completed", job_id: "done", job: job("done", "completed") });
    s = liveReducer(s, { type: "sync", active: [job("new", "running", { progress: 40 })] });
    expect(Object.keys(s.jobs).sort()).toEqual(["done", "new"]);
    expect(activeJobs(s).map((j) => j.id)).toEqual(["new"]);
  });

  it("tracks downloads and loaded models", () => {
    let s = ev(initialLiveState, { type: "download.progress", download_id: "d", downloaded_bytes: 5, total_bytes: 10 });
    expect(s.downloads.d.downloaded_bytes).toBe(5);
    s = ev(s, { type: "model.loaded", model_id: "m" });
    s = ev(s, { type: "model.loaded", model_id: "m" });
    expect(s.loadedModels).toEqual(["m"]);
    s = ev(s, { type: "model.unloaded", model_id: "m" });
    expect(s.loadedModels).toEqual([]);
  });

  it("forget removes a job and its preview", () => {
    let s = ev(initialLiveState, { type: "job.queued", job_id: "a", job: job("a", "queued") });
    s = ev(s, { type: "job.preview", job_id: "a", step: 1, image: "x" });
    s = liveReducer(s, { type: "forget", jobId: "a" });
    expect(s.jobs).toEqual({});
    expect(s.previews).toEqual({});
  });
});

describe("mergeJob", () => {
  it("prefers the REST copy once it is finished and the live one is not", () => {
    const merged = mergeJob(job("a", "completed", { updated_at: 5 }), job("a", "running", { updated_at: 4, step: 3 }));
    expect(merged.status).toBe("completed");
  });
  it("overlays live progress on a running REST copy", () => {
    const merged = mergeJob(job("a", "running", { step: 1, updated_at: 5 }), job("a", "running", { step: 7, updated_at: 5 }));
    expect(merged.step).toBe(7);
  });
  it("takes a queued job's place from REST: the live copy's is from when it was queued", () => {
    const rest = job("b", "queued", { queue_position: 1 });
    const merged = mergeJob(rest, job("b", "queued", { queue_position: 3 }));
    expect(merged.queue_position).toBe(1);
    expect(mergeJob(rest, job("b", "running", { updated_at: 2 })).queue_position).toBeNull();
  });
});
