import { describe, expect, it } from "vitest";
import { job, localModel } from "@/test/fixtures";
import { activeDownloadOf, downloadModelId, withCacheStatus } from "./ModelsPage";

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
    const cache = { budget_bytes: 0, used_bytes: 0, free_bytes: 0, models: [], hub_cache_bytes: 0, downloaded: ["a"] };
    expect(withCacheStatus(localModel({ id: "a" }), cache).downloaded).toBe(true);
    expect(withCacheStatus(localModel({ id: "b", downloaded: true }), cache).downloaded).toBe(false);
    expect(withCacheStatus(localModel({ id: "c", source: "folder", downloaded: true }), cache).downloaded).toBe(true);
    expect(withCacheStatus(localModel({ id: "b", downloaded: true }), null).downloaded).toBe(true);
  });
});
