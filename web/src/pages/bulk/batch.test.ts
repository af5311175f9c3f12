import { describe, expect, it } from "vitest";
import type { Job } from "@/api/types";
import { blankJob } from "@/live/jobsReducer";
import type { BulkItem } from "./api";
import { batchSignature, batchSummary, costText, estimateCost, mergeLive } from "./batch";

function item(index: number, status: BulkItem["status"], extra: Partial<BulkItem> = {}): BulkItem {
  return {
    index,
    job_id: `c${index}`,
    prompt: `prompt ${index}`,
    status,
    stage: status,
    progress: 0,
    message: null,
    asset_id: null,
    image_url: null,
    thumbnail_url: null,
    images: [],
    error: null,
    seed: null,
    cost_usd: null,
    ...extra,
  };
}

function job(id: string, status: Job["status"], extra: Partial<Job> = {}): Job {
  return { ...blankJob(id, "image", status), created_at: 1, updated_at: 1, ...extra };
}

describe("mergeLive", () => {
  it("moves an active item with the websocket and keeps finished ones as REST says", () => {
    const items = [item(0, "completed", { thumbnail_url: "/t.png" }), item(1, "queued"), item(2, "running")];
    const live = {
      c0: job("c0", "running"),
      c1: job("c1", "running", { stage: "generating", progress: 40 }),
      c2: job("c2", "failed", { error: "out of memory" }),
    };
    const merged = mergeLive(items, live);
    expect(merged[0]).toBe(items[0]);
    expect(merged[1]).toMatchObject({ status: "running", stage: "generating", progress: 40 });
    expect(merged[2]).toMatchObject({ status: "failed", error: "out of memory" });
  });

  it("does not move a running item back to queued", () => {
    const items = [item(0, "running", { progress: 50 })];
    expect(mergeLive(items, { c0: job("c0", "queued") })[0]).toBe(items[0]);
  });
});

describe("batchSignature", () => {
  it("changes when the parent or a child changes state, not for other jobs", () => {
    const jobs = { p: job("p", "running"), a: job("a", "queued", { parent_id: "p" }), x: job("x", "running") };
    const s1 = batchSignature(jobs, "p");
    expect(batchSignature({ ...jobs, x: job("x", "completed") }, "p")).toBe(s1);
    expect(batchSignature({ ...jobs, a: job("a", "completed", { parent_id: "p" }) }, "p")).not.toBe(s1);
    expect(batchSignature(jobs, null)).toBe("");
  });
});

describe("summaries", () => {
  it("says the counts that matter", () => {
    expect(batchSummary({ total: 10, completed: 6, failed: 1, running: 1, queued: 2, cancelled: 0 })).toBe("6 of 10 done · 1 running · 2 queued · 1 failed");
    expect(batchSummary({ total: 3, completed: 3, failed: 0, running: 0, queued: 0, cancelled: 0 })).toBe("3 of 3 done");
  });

  it("estimates a per-image price and says a cost only for remote batches", () => {
    expect(estimateCost({ unit_price: 0.003, unit: "image" }, 10, 2)).toBeCloseTo(0.06);
    expect(estimateCost({ unit_price: 0.1, unit: "second" }, 10, 1)).toBeNull();
    expect(estimateCost(null, 10, 1)).toBeNull();
    expect(costText({ kind: "image", cost_usd: 0, cost_estimated: false })).toBeNull();
    expect(costText({ kind: "remote", cost_usd: 0.03, cost_estimated: true })).toBe("$0.03 (estimated)");
  });
});
