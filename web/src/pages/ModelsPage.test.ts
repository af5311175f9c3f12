import { describe, expect, it } from "vitest";
import { job, localModel } from "@/test/fixtures";
import { activeDownloadOf, configProblemsNotice, downloadModelId, withCacheStatus } from "./ModelsPage";

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
