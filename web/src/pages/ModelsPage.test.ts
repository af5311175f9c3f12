import { describe, expect, it } from "vitest";
import type { DownloadProgressEvent } from "@/live/events";
import { job, localModel } from "@/test/fixtures";
import { activeDownloadOf, configProblemsNotice, downloadModelId, downloadState, withCacheStatus } from "./ModelsPage";

describe("download jobs and their models", () => {
  // The shape of /api/models/downloads items: a JobView, the model in params.model (no top-level model_id).
  const dl = job({ id: "j1", kind: "download", status: "running", params: { model: "sdxl-base" }, progress: 40 });

  it("finds a model's download through params.model", () => {
    expect(downloadModelId(dl)).toBe("sdxl-base");
    expect(downloadModelId(job({ id: "j2", params: {} }))).toBeNull();
    expect(activeDownloadOf([dl], "sdxl-base")?.id).toBe("j1");
    expect(activeDownloadOf([dl], "flux-dev")).toBeUndefined();
  });

  it("ignores finished downloads and other jobs about the model", () => {
    expect(activeDownloadOf([{ ...dl, status: "completed" }], "sdxl-base")).toBeUndefined();
    expect(activeDownloadOf([{ ...dl, kind: "image" }], "sdxl-base")).toBeUndefined();
  });

  it("takes a hub model's downloaded state from the cache status", () => {
    const cache = { budget_bytes: 0, used_bytes: 0, free_bytes: 0, models: [], hub_cache_bytes: 0, downloaded: ["a"], cache_dir: "" };
    expect(withCacheStatus(localModel({ id: "a" }), cache).downloaded).toBe(true);
    expect(withCacheStatus(localModel({ id: "b", downloaded: true }), cache).downloaded).toBe(false);
    expect(withCacheStatus(localModel({ id: "c", source: "folder", downloaded: true }), cache).downloaded).toBe(true);
    expect(withCacheStatus(localModel({ id: "b", downloaded: true }), null).downloaded).toBe(true);
  });
});

describe("config.yaml problems on the Models page", () => {
  it("says nothing when every entry was used", () => {
    expect(configProblemsNotice({ path: "/d/config.yaml", errors: [], skipped: [] })).toBeNull();
    expect(configProblemsNotice(undefined)).toBeNull();
  });

  it("counts and names the skipped entries with their reasons", () => {
    const notice = configProblemsNotice({
      path: "/d/config.yaml",
      errors: [],
      skipped: [
        { id: "my-model", reason: "path /x does not exist" },
        { id: "other", reason: "it has no `type`" },
      ],
    });
    expect(notice?.title).toBe("2 entries in config.yaml were skipped:");
    expect(notice?.lines).toEqual(["my-model: path /x does not exist", "other: it has no `type`"]);
    expect(configProblemsNotice({ path: null, errors: [], skipped: [{ id: "a", reason: "r" }] })?.title).toBe(
      "1 entry in config.yaml was skipped:",
    );
  });

  it("says when the file itself could not be read", () => {
    const notice = configProblemsNotice({ path: "/d/config.yaml", errors: ["/d/config.yaml is not valid YAML: x at line 3, column 2. It was not read."], skipped: [] });
    expect(notice?.title).toMatch(/could not be read/);
    expect(notice?.lines[0]).toMatch(/line 3/);
  });
});

describe("a model's download state on its card and page", () => {
  const offline = "The model's files are not on this machine and the Hugging Face hub cannot be reached. Download it while online.";
  const failed = job({ id: "f1", kind: "model.download", status: "failed", params: { model: "m" }, error: offline, created_at: 10 });
  const bytes = (j: string | null, done: number, total: number | null): DownloadProgressEvent => ({
    type: "download.progress", ts: 0, download_id: `d-${j}`, job_id: j, model_id: "m", filename: null,
    downloaded_bytes: done, total_bytes: total, speed_bps: null, eta_seconds: null,
  });

  it("shows the readable failure of the newest download, from the server's list or the live jobs", () => {
    expect(downloadState([], [failed], [], "m")).toEqual({ state: "failed", job: failed, message: offline });
    expect(downloadState([failed], [], [], "m")).toMatchObject({ state: "failed", message: offline });
    expect(downloadState([], [{ ...failed, error: null }], [], "m")).toMatchObject({ message: expect.stringContaining("Retry") });
    expect(downloadState([], [failed], [], "other")).toBeNull();
  });

  it("a retry replaces the failure with its progress, from the job's bytes (not an older attempt's)", () => {
    const retry = job({ id: "r1", kind: "model.download", status: "running", params: { model: "m" }, progress: 20, created_at: 20 });
    const stale = bytes("f1", 900, 1000);
    expect(downloadState([retry], [failed], [stale], "m")).toMatchObject({ state: "running", job: { id: "r1" }, bytes: undefined, pct: 20 });
    const now = bytes("r1", 250, 1000);
    expect(downloadState([retry], [failed], [stale, now], "m")).toMatchObject({ state: "running", bytes: now, pct: 25 });
  });

  it("the live state of a job wins over the listed one, and a finished download shows nothing", () => {
    const listed = { ...failed, status: "running" as const };
    expect(downloadState([failed], [listed], [], "m")?.state).toBe("failed");
    expect(downloadState([{ ...failed, status: "completed", error: null }], [listed], [bytes("f1", 5, 10)], "m")).toBeNull();
    expect(downloadState([{ ...failed, status: "cancelled" }], [], [], "m")).toBeNull();
  });

  it("bytes naming the model before its job is known show as progress until they are complete", () => {
    expect(downloadState([], [], [bytes(null, 1, 4)], "m")).toMatchObject({ state: "running", pct: 25 });
    expect(downloadState([], [], [bytes(null, 4, 4)], "m")).toBeNull();
  });
});
