import { describe, expect, it } from "vitest";
import { localModel, remoteModel } from "@/test/fixtures";
import { exactAspect, sizeFor, sizeRulesOf, snapTo, type AspectPreset, type SizeRules } from "./aspect";

// As the API answers them (GET /api/models, GET /api/aspect-ratios).
const flux: SizeRules = { multiple: 16, min: 64, max: 4096, aspectSizes: { "1:1": { width: 1024, height: 1024 }, "16:9": { width: 1360, height: 768 } } };
const presets: AspectPreset[] = [
  { id: "1:1", width: 1, height: 1 },
  { id: "16:9", width: 16, height: 9 },
  { id: "9:16", width: 9, height: 16 },
];

describe("sizeRulesOf", () => {
  it("reads a model's multiple, bounds and preset sizes from its /api/models entry", () => {
    expect(sizeRulesOf(localModel({ id: "sd", size_multiple: 8, min_size: 64, max_size: 4096 }))).toMatchObject({ multiple: 8, min: 64, max: 4096 });
    expect(sizeRulesOf(remoteModel({ id: "fal:x" }))?.aspectSizes["16:9"]).toEqual({ width: 1368, height: 768 });
  });
  it("is null when the API gives no size rules (a video model, or no model)", () => {
    expect(sizeRulesOf(localModel({ id: "cog", is_video: true, size_multiple: null, aspect_sizes: null }))).toBeNull();
    expect(sizeRulesOf(undefined)).toBeNull();
  });
});

describe("snapTo", () => {
  it("rounds to the nearest multiple the model takes", () => {
    expect(snapTo(1023, { ...flux, multiple: 8 })).toBe(1024);
    expect(snapTo(1019, { ...flux, multiple: 8 })).toBe(1016);
    expect(snapTo(770, flux)).toBe(768);
  });
  it("clamps to the model's smallest and largest side, on the multiple", () => {
    expect(snapTo(10, flux)).toBe(64);
    expect(snapTo(9000, flux)).toBe(4096);
    expect(snapTo(30, { ...flux, multiple: 48 })).toBe(96); // the smallest multiple of 48 from 64
    expect(snapTo(5000, { ...flux, multiple: 48, max: 4100 })).toBe(4080);
  });
});

describe("sizeFor", () => {
  it("is the model's own size for a preset (the server's answer, not a computation)", () => {
    expect(sizeFor(flux, "16:9", { width: 1, height: 1 })).toEqual({ width: 1360, height: 768 });
  });
  it("snaps a free size, or a preset the model has no size for, to the model's rules", () => {
    expect(sizeFor(flux, null, { width: 1000, height: 30 })).toEqual({ width: 1008, height: 64 });
    expect(sizeFor(flux, "5:4", { width: 1000, height: 800 })).toEqual({ width: 1008, height: 800 });
  });
  it("keeps the size when the API gives no rules", () => {
    expect(sizeFor(null, "16:9", { width: 700, height: 500 })).toEqual({ width: 700, height: 500 });
  });
});

describe("exactAspect", () => {
  it("finds the preset of exactly this ratio, else none", () => {
    expect(exactAspect(1360, 768, presets)?.id).toBe("16:9");
    expect(exactAspect(768, 1360, presets)?.id).toBe("9:16");
    expect(exactAspect(512, 512, presets)?.id).toBe("1:1");
    expect(exactAspect(1000, 700, presets)).toBeNull();
    expect(exactAspect(512, 512, [])).toBeNull();
  });
});
