/** The canvas's pure rules: margins snapped to the grid, the mode a canvas makes, the mask as the API wants it
 * (white = change, at the source's pixel size) and the job fields the canvas adds to an image request. */
import type { ImageJobRequest } from "@/api/types";
import { toReferenceImage, type FormReference } from "../formState";

export type Side = "left" | "top" | "right" | "bottom";
export type Margins = Record<Side, number>;
export const SIDES: Side[] = ["left", "top", "right", "bottom"];
export const NO_MARGINS: Margins = { left: 0, top: 0, right: 0, bottom: 0 };
/** Outpaint margins snap to this (every family's latent grid divides the sizes it makes into multiples of 8). */
export const MARGIN_STEP = 8;
/** The API's largest margin per side (OutpaintMargins). */
export const MAX_MARGIN = 2048;

export type CanvasMode = "inpaint" | "outpaint";

/** The picture the canvas works on: an asset or an uploaded file, with its pixel size. */
export interface CanvasSource {
  ref: FormReference;
  url: string;
  width: number;
  height: number;
  name: string;
}

export interface CanvasOptions {
  maskBlur: number;
  onlyMasked: boolean;
  padding: number;
  /** Inpaint: how far the masked area may move from the source (A1111's denoising strength). */
  strength: number;
}

export const DEFAULT_OPTIONS: CanvasOptions = { maskBlur: 4, onlyMasked: false, padding: 32, strength: 0.75 };

/** A margin typed or dragged: whole pixels on the 8 px grid, from 0 to the API's limit. */
export function snapMargin(px: number, step = MARGIN_STEP): number {
  if (!Number.isFinite(px)) return 0;
  const snapped = Math.round(px / step) * step;
  return Math.min(Math.max(snapped, 0), MAX_MARGIN);
}

/** A side's margin after its handle moved `screenDelta` CSS pixels outward on a view at `scale` (screen px per image px). */
export function draggedMargin(start: number, screenDelta: number, scale: number): number {
  return snapMargin(start + screenDelta / (scale > 0 ? scale : 1));
}

export const hasMargins = (m: Margins): boolean => SIDES.some((s) => m[s] > 0);

/** Margins win over a mask: an outpaint job repaints only the new area, so a painted mask would not be used. */
export function chooseMode(maskPainted: boolean, margins: Margins): CanvasMode | null {
  if (hasMargins(margins)) return "outpaint";
  return maskPainted ? "inpaint" : null;
}

/** What the mode does, in the words the panel shows. */
export function modeText(mode: CanvasMode | null, maskPainted: boolean, margins: Margins, source: CanvasSource | null): string {
  if (!source) return "Load a source image to paint a mask or extend it.";
  if (mode === "outpaint") {
    const sides = SIDES.filter((s) => margins[s] > 0).map((s) => `${margins[s]} px ${s}`);
    const size = extendedSize(source, margins);
    return `Outpaint: adds ${sides.join(", ")} (${size.width}×${size.height}).${maskPainted ? " The mask is not used." : ""}`;
  }
  if (mode === "inpaint") return "Inpaint: repaints the painted area and keeps the rest.";
  return "Paint a mask to inpaint, or drag an edge to outpaint. Until then, Generate ignores the canvas.";
}

export const extendedSize = (s: { width: number; height: number }, m: Margins) => ({
  width: s.width + m.left + m.right,
  height: s.height + m.top + m.bottom,
});

/** Whether any pixel of an RGBA buffer is painted (alpha above zero). */
export function anyPainted(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] > 0) return true;
  return false;
}

/** The painted layer (RGBA, paint in its alpha) as the API's mask: opaque grey levels, white where painted
 * fully, black where not; a soft brush edge is grey (the studio counts grey from the middle up as change). */
export function maskPixels(painted: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(painted.length);
  for (let i = 0; i < painted.length; i += 4) {
    const a = painted[i + 3];
    out[i] = out[i + 1] = out[i + 2] = a;
    out[i + 3] = 255;
  }
  return out;
}

/** Paint fainter than `below` (alpha) removed in place; whether any was. */
export function dropFaint(rgba: Uint8ClampedArray, below = 48): boolean {
  let changed = false;
  for (let i = 3; i < rgba.length; i += 4)
    if (rgba[i] > 0 && rgba[i] < below) {
      rgba[i] = 0;
      changed = true;
    }
  return changed;
}

/** The painted layer inverted: painted where it was not, in `rgb`. */
export function invertedPaint(painted: Uint8ClampedArray, rgb: [number, number, number]): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(painted.length);
  for (let i = 0; i < painted.length; i += 4) {
    out[i] = rgb[0];
    out[i + 1] = rgb[1];
    out[i + 2] = rgb[2];
    out[i + 3] = 255 - painted[i + 3];
  }
  return out;
}

/** Brush hardness (0..1) as the radial gradient's stops: opaque up to `hardness` of the radius, fading to the edge. */
export function brushStops(hardness: number): [number, number][] {
  const h = Math.min(Math.max(hardness, 0), 1);
  return h >= 1 ? [[0, 1], [1, 1]] : [[0, 1], [h, 1], [1, 0]];
}

/** Points along a stroke from `a` to `b`, spaced a quarter of the brush radius apart, so a fast drag leaves no gaps. */
export function strokePoints(a: { x: number; y: number }, b: { x: number; y: number }, radius: number): { x: number; y: number }[] {
  const dist = Math.hypot(b.x - a.x, b.y - a.y);
  const n = Math.max(1, Math.ceil(dist / Math.max(radius / 4, 0.5)));
  return Array.from({ length: n }, (_, i) => ({ x: a.x + ((b.x - a.x) * (i + 1)) / n, y: a.y + ((b.y - a.y) * (i + 1)) / n }));
}

/** The largest scale (screen px per image px) at which a `w`×`h` picture fits in `boxW`×`boxH`. */
export function fitScale(w: number, h: number, boxW: number, boxH: number): number {
  if (w <= 0 || h <= 0 || boxW <= 0 || boxH <= 0) return 1;
  return Math.min(boxW / w, boxH / h);
}

/**
 * The fields a canvas job adds to an image request, or null when the canvas makes no job (no source, or neither
 * mask nor margins). The source is the first (only) reference image; the size follows from it, so none is sent.
 */
export function canvasRequest(
  source: CanvasSource | null,
  mode: CanvasMode | null,
  margins: Margins,
  options: CanvasOptions,
  maskBase64: string | null,
): Partial<ImageJobRequest> | null {
  if (!source || !mode) return null;
  const common = { reference_images: [toReferenceImage(source.ref)], width: null, height: null, aspect_ratio: null };
  if (mode === "outpaint") return { ...common, mode, outpaint: { ...margins } };
  if (!maskBase64) return null;
  return {
    ...common,
    mode,
    mask: { image_base64: maskBase64 },
    mask_blur: options.maskBlur,
    inpaint_only_masked: options.onlyMasked,
    inpaint_padding: options.padding,
    strength: options.strength,
  };
}
