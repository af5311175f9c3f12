/** The Video page's local-model form: a model's defaults, the request, and back from a job's or an asset's params. */
import { toReferenceImage } from "@/pages/image/formState";
import type { RefImage } from "@/pages/image/ReferenceImages";
import type { I2VJobRequest, VideoModel } from "./api";

/** The source image of an image-to-video job: a picked file, an asset, or an upload the server stored. */
export type SourceImage = RefImage;

export interface VideoFormState {
  prompt: string;
  negative: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  steps: number;
  guidance: number;
  /** "" : random. */
  seed: string;
  /** The fixed seed came from "use these settings": it is used for the next job only. */
  seedOnce: boolean;
}

export const emptyVideoForm: VideoFormState = {
  prompt: "",
  negative: "",
  width: 0,
  height: 0,
  frames: 0,
  fps: 0,
  steps: 0,
  guidance: 0,
  seed: "",
  seedOnce: false,
};

/** A model's own defaults for size, frames, fps, steps and guidance; the prompt and seed stay. */
export function withVideoModel(f: VideoFormState, m: VideoModel): VideoFormState {
  return {
    ...f,
    width: m.default_width,
    height: m.default_height,
    frames: m.frames.default,
    fps: m.fps,
    steps: m.default_steps,
    guidance: m.default_guidance,
  };
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * "Use these settings": a video job's recorded params over the model's defaults. A recorded seed is
 * kept fixed for the next job only (`seedOnce`), as on the Image page.
 */
export function videoFormFromParams(m: VideoModel, p: Record<string, unknown>): VideoFormState {
  const base = withVideoModel(emptyVideoForm, m);
  const seed = num(p.seed);
  return {
    prompt: typeof p.prompt === "string" ? p.prompt : "",
    negative: typeof p.negative_prompt === "string" ? p.negative_prompt : "",
    width: num(p.width) ?? base.width,
    height: num(p.height) ?? base.height,
    frames: num(p.num_frames) ?? base.frames,
    fps: num(p.fps) ?? base.fps,
    steps: num(p.steps) ?? base.steps,
    guidance: num(p.guidance_scale) ?? base.guidance,
    seed: seed == null ? "" : String(seed),
    seedOnce: seed != null,
  };
}

/** The source image a job used (its first reference image), as the picker shows it. */
export function sourceFromParams(p: Record<string, unknown>): SourceImage | null {
  const first = Array.isArray(p.reference_images) ? (p.reference_images[0] as Record<string, unknown> | undefined) : undefined;
  if (typeof first?.image_asset_id === "string")
    return { key: first.image_asset_id, assetId: first.image_asset_id, preview: `/api/assets/${first.image_asset_id}/thumbnail` };
  if (typeof first?.upload_id === "string") return { key: first.upload_id, uploadId: first.upload_id, preview: `/api/uploads/${first.upload_id}` };
  return null;
}

/** The body of POST /api/video/jobs or /api/i2v/jobs for a local model. */
export function localVideoRequest(model: string, f: VideoFormState, sources: SourceImage[], i2v: boolean): I2VJobRequest {
  return {
    model,
    prompt: f.prompt,
    negative_prompt: f.negative || null,
    width: f.width,
    height: f.height,
    num_frames: f.frames,
    fps: f.fps,
    steps: f.steps,
    guidance_scale: f.guidance,
    seed: f.seed === "" ? null : Number(f.seed),
    reference_images: i2v ? sources.map(toReferenceImage) : [],
  };
}

/** After a submit: a seed restored by "use these settings" goes back to random. */
export const afterVideoSubmit = (f: VideoFormState): VideoFormState => (f.seedOnce ? { ...f, seed: "", seedOnce: false } : f);

/** Why the frame count cannot be sent as it is (above the model's limit), or null. */
export function framesProblem(frames: number, m: { frames: { max: number; form: string } }, fps: number): string | null {
  if (frames > m.frames.max)
    return `${frames} frames is more than this model makes (at most ${m.frames.max}, about ${(m.frames.max / (fps || 1)).toFixed(1)} s): lower the frame count.`;
  return null;
}

/** The local model the form runs: the one chosen (or Settings' default video model), else a ready current model,
 * else a ready legacy one (before one that must be downloaded), else the first current, else the first. */
export function pickVideoModel<M extends { id: string; legacy?: boolean | null }>(
  usable: M[],
  wanted: string,
  ready: Set<string>,
): M | undefined {
  const current = usable.filter((m) => !m.legacy);
  return (
    usable.find((m) => m.id === wanted) ??
    current.find((m) => ready.has(m.id)) ??
    usable.find((m) => ready.has(m.id)) ??
    current[0] ??
    usable[0]
  );
}
