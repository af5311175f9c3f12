import { describe, expect, it } from "vitest";
import {
  anyPainted,
  brushStops,
  canvasRequest,
  chooseMode,
  DEFAULT_OPTIONS,
  draggedMargin,
  dropFaint,
  invertedPaint,
  maskPixels,
  modeText,
  NO_MARGINS,
  snapMargin,
  strokePoints,
  type CanvasSource,
} from "./canvasLogic";

const source: CanvasSource = { ref: { assetId: "a1" }, url: "/x.png", width: 64, height: 48, name: "x.png" };

describe("margins", () => {
  it("snap to multiples of 8 within 0..2048", () => {
    expect(snapMargin(0)).toBe(0);
    expect(snapMargin(3)).toBe(0);
    expect(snapMargin(4)).toBe(8);
    expect(snapMargin(61)).toBe(64);
    expect(snapMargin(-20)).toBe(0);
    expect(snapMargin(5000)).toBe(2048);
    expect(snapMargin(Number.NaN)).toBe(0);
  });
  it("follow a drag in image pixels, whatever the view's scale", () => {
    expect(draggedMargin(0, 32, 0.5)).toBe(64); // 32 screen px at half size: 64 image px
    expect(draggedMargin(64, -100, 1)).toBe(0);
    expect(draggedMargin(16, 10, 2)).toBe(24); // 16 + 5, snapped
  });
});

describe("mode", () => {
  it("is inpaint with a mask, outpaint with margins (which win), none without either", () => {
    expect(chooseMode(false, NO_MARGINS)).toBeNull();
    expect(chooseMode(true, NO_MARGINS)).toBe("inpaint");
    expect(chooseMode(false, { ...NO_MARGINS, left: 8 })).toBe("outpaint");
    expect(chooseMode(true, { ...NO_MARGINS, bottom: 8 })).toBe("outpaint");
  });
  it("is said in words, with the extended size", () => {
    expect(modeText("outpaint", true, { ...NO_MARGINS, left: 32, bottom: 16 }, source)).toBe(
      "Outpaint: adds 32 px left, 16 px bottom (96×64). The mask is not used.",
    );
    expect(modeText("inpaint", true, NO_MARGINS, source)).toMatch(/^Inpaint/);
    expect(modeText(null, false, NO_MARGINS, null)).toMatch(/Load a source/);
  });
});

describe("mask", () => {
  const layer = (alphas: number[]) => new Uint8ClampedArray(alphas.flatMap((a) => [255, 0, 80, a]));
  it("exports white where painted, black elsewhere, opaque, pixel for pixel", () => {
    expect([...maskPixels(layer([0, 255, 128]))]).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255]);
  });
  it("knows whether anything is painted", () => {
    expect(anyPainted(layer([0, 0]))).toBe(false);
    expect(anyPainted(layer([0, 1]))).toBe(true);
  });
  it("drops the faint trace an eraser's soft edge leaves", () => {
    const l = layer([10, 47, 48, 255, 0]);
    expect(dropFaint(l)).toBe(true);
    expect([3, 7, 11, 15, 19].map((i) => l[i])).toEqual([0, 0, 48, 255, 0]);
    expect(dropFaint(l)).toBe(false);
  });
  it("inverts: painted where it was not", () => {
    expect([...invertedPaint(layer([0, 255]), [1, 2, 3])]).toEqual([1, 2, 3, 255, 1, 2, 3, 0]);
  });
});

describe("brush", () => {
  it("is opaque to its hardness, then fades", () => {
    expect(brushStops(1)).toEqual([[0, 1], [1, 1]]);
    expect(brushStops(0.5)).toEqual([[0, 1], [0.5, 1], [1, 0]]);
  });
  it("leaves no gaps on a fast stroke", () => {
    const pts = strokePoints({ x: 0, y: 0 }, { x: 100, y: 0 }, 8);
    expect(pts.length).toBe(50);
    expect(pts.at(-1)).toEqual({ x: 100, y: 0 });
  });
});

describe("request", () => {
  it("is nothing without a mode", () => {
    expect(canvasRequest(source, null, NO_MARGINS, DEFAULT_OPTIONS, "abc")).toBeNull();
    expect(canvasRequest(null, "inpaint", NO_MARGINS, DEFAULT_OPTIONS, "abc")).toBeNull();
  });
  it("inpaints the source with the mask and the options, at the source's size", () => {
    expect(canvasRequest(source, "inpaint", NO_MARGINS, { maskBlur: 2, onlyMasked: true, padding: 16, strength: 0.9 }, "MASK")).toEqual({
      reference_images: [{ image_asset_id: "a1" }],
      width: null,
      height: null,
      aspect_ratio: null,
      mode: "inpaint",
      mask: { image_base64: "MASK" },
      mask_blur: 2,
      inpaint_only_masked: true,
      inpaint_padding: 16,
      strength: 0.9,
    });
  });
  it("outpaints with the margins and no mask", () => {
    const req = canvasRequest({ ...source, ref: { base64: "SRC" } }, "outpaint", { ...NO_MARGINS, right: 24 }, DEFAULT_OPTIONS, "MASK");
    expect(req).toMatchObject({ mode: "outpaint", outpaint: { left: 0, top: 0, right: 24, bottom: 0 }, reference_images: [{ image_base64: "SRC" }] });
    expect(req).not.toHaveProperty("mask");
  });
});
