import { describe, expect, it } from "vitest";
import { toCacheStatus, toCanGenerate, toLoras, toModels, toStyles } from "./normalize";

describe("normalisers for the image-engine endpoints", () => {
  it("reads models from a list or a wrapper", () => {
    const m = { id: "sd-turbo", name: "SD Turbo", type: "sd", category: "fast", size_gb: 5 };
    expect(toModels([m])[0].name).toBe("SD Turbo");
    expect(toModels({ models: [m] })[0].id).toBe("sd-turbo");
    expect(toModels({ "sd-turbo": { name: "SD Turbo", type: "sd" } })[0].id).toBe("sd-turbo");
    expect(toModels(null)).toEqual([]);
  });
  it("reads cache status as a map or a list", () => {
    expect(toCacheStatus({ a: { cached: true, size_bytes: 10 }, b: false })).toEqual({
      a: { cached: true, size_bytes: 10 },
      b: { cached: false },
    });
    expect(toCacheStatus([{ model_id: "a", cached: true }])).toEqual({ a: { cached: true, size_bytes: null } });
    expect(toCacheStatus({ downloaded: ["sd-turbo"], hub_cache_bytes: 5, loaded: [] })).toEqual({ "sd-turbo": { cached: true } });
  });
  it("reads the studio's `downloaded` flag as cached", () => {
    expect(toModels([{ id: "a", name: "A", type: "sd", category: "fast", downloaded: true }])[0].cached).toBe(true);
  });
  it("reads can-generate answers", () => {
    expect(toCanGenerate({ can_generate: false, reason: "needs 24 GB", required_gb: 24, available_gb: 8 })).toMatchObject({
      ok: false,
      reason: "needs 24 GB",
      required_gb: 24,
    });
    expect(toCanGenerate({ ok: true }).ok).toBe(true);
    expect(toCanGenerate("weird").ok).toBe(true);
  });
  it("reads LoRAs and styles", () => {
    expect(toLoras({ loras: [{ id: "l1", name: "Ink", base_model: "sdxl" }] })[0]).toMatchObject({ id: "l1", base: "sdxl" });
    expect(toLoras({ loras: [{ id: "l1", name: "Ink" }] })[0].trigger_words).toEqual([]);
    expect(toLoras([{ id: "l2", trigger_words: ["inkpunk ", "", 3, "nvinkpunk"] }])[0].trigger_words).toEqual(["inkpunk", "nvinkpunk"]);
    expect(toStyles(["anime"])[0]).toEqual({ id: "anime", name: "anime", prompt: undefined, negative_prompt: undefined });
    expect(toStyles({ styles: [{ id: "cinematic", name: "Cinematic" }] })[0].name).toBe("Cinematic");
  });
});
