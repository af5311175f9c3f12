import { describe, expect, it } from "vitest";
import { ASPECT_PRESETS, familyOf, nearestAspect, parseRatio, sizeForAspect, snapTo } from "./aspect";

describe("snapTo", () => {
  it("rounds to the nearest multiple", () => {
    expect(snapTo(1023, 8)).toBe(1024);
    expect(snapTo(1020, 8)).toBe(1024);
    expect(snapTo(1019, 8)).toBe(1016);
    expect(snapTo(770, 16)).toBe(768);
  });
  it("clamps to the API's 64..4096 range on the multiple", () => {
    expect(snapTo(10, 8)).toBe(64);
    expect(snapTo(9000, 16)).toBe(4096);
    expect(snapTo(30, 48)).toBe(96); // smallest multiple of 48 that is >= 64
  });
});

describe("sizeForAspect", () => {
  it("keeps about base² pixels and the ratio", () => {
    const { width, height } = sizeForAspect("16:9", 1024, 8);
    expect(width % 8).toBe(0);
    expect(height % 8).toBe(0);
    expect(width / height).toBeCloseTo(16 / 9, 1);
    expect((width * height) / (1024 * 1024)).toBeGreaterThan(0.95);
    expect((width * height) / (1024 * 1024)).toBeLessThan(1.05);
  });
  it("is square for 1:1 and transposes for portrait presets", () => {
    expect(sizeForAspect("1:1", 512, 8)).toEqual({ width: 512, height: 512 });
    const land = sizeForAspect("3:2", 1024, 16);
    const port = sizeForAspect("2:3", 1024, 16);
    expect(port).toEqual({ width: land.height, height: land.width });
  });
  it("every preset lands on the family multiple for every family", () => {
    for (const type of ["sd", "sdxl", "sd3", "flux"]) {
      const { multiple, base } = familyOf(type);
      for (const p of ASPECT_PRESETS) {
        const s = sizeForAspect(p, base, multiple);
        expect(s.width % multiple, `${type} ${p.id}`).toBe(0);
        expect(s.height % multiple, `${type} ${p.id}`).toBe(0);
      }
    }
  });
  it("accepts a free ratio and falls back to square on garbage", () => {
    expect(parseRatio("5:4")).toEqual({ id: "5:4", w: 5, h: 4 });
    expect(parseRatio("nope")).toBeNull();
    expect(sizeForAspect("nope", 512, 8)).toEqual({ width: 512, height: 512 });
  });
});

describe("nearestAspect", () => {
  it("finds the preset closest to a size", () => {
    expect(nearestAspect(1344, 768).id).toBe("16:9");
    expect(nearestAspect(768, 1344).id).toBe("9:16");
    expect(nearestAspect(512, 512).id).toBe("1:1");
    expect(nearestAspect(1536, 640).id).toBe("21:9");
  });
});
