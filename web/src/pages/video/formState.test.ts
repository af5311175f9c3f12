import { describe, expect, it } from "vitest";
import type { VideoModel } from "./api";
import { afterVideoSubmit, emptyVideoForm, framesProblem, localVideoRequest, pickVideoModel, sourceFromParams, videoFormFromParams, withVideoModel } from "./formState";

describe("pickVideoModel", () => {
  const models = [{ id: "wan" }, { id: "ltx" }, { id: "cog", legacy: true }];
  it("takes the chosen model or Settings' default video model first", () => {
    expect(pickVideoModel(models, "ltx", new Set())?.id).toBe("ltx");
    expect(pickVideoModel(models, "cog", new Set(["wan"]))?.id).toBe("cog");
  });
  it("else a ready current model, then a ready legacy one, then the first current", () => {
    expect(pickVideoModel(models, "", new Set(["ltx"]))?.id).toBe("ltx");
    expect(pickVideoModel(models, "gone", new Set(["cog"]))?.id).toBe("cog");
    expect(pickVideoModel(models, "", new Set())?.id).toBe("wan");
  });
});

const cog = {
  id: "cog",
  default_width: 720,
  default_height: 480,
  frames: { form: "4k+1", step: 4, max: 49, default: 49 },
  fps: 8,
  default_steps: 50,
  default_guidance: 6,
} as unknown as VideoModel;

const recorded = {
  model: "cog",
  prompt: "a paper boat",
  negative_prompt: "blurry",
  width: 32,
  height: 16,
  num_frames: 5,
  fps: 6,
  steps: 3,
  guidance_scale: 4.5,
  seed: 4242,
  reference_images: [{ upload_id: "abc123" }],
};

describe("video form reuse", () => {
  it("restores every recorded field over the model's defaults, the seed for one job", () => {
    const f = videoFormFromParams(cog, recorded);
    expect(f).toEqual({ prompt: "a paper boat", negative: "blurry", width: 32, height: 16, frames: 5, fps: 6, steps: 3, guidance: 4.5, seed: "4242", seedOnce: true });
    // The request made from the restored form is the recorded one, field for field.
    expect(localVideoRequest("cog", f, [sourceFromParams(recorded)!], true)).toEqual(recorded);
    expect(afterVideoSubmit(f).seed).toBe("");
  });

  it("falls back to the model's defaults for what was not recorded", () => {
    expect(videoFormFromParams(cog, { prompt: "x" })).toMatchObject({ width: 720, frames: 49, steps: 50, seed: "", seedOnce: false });
    expect(withVideoModel({ ...emptyVideoForm, prompt: "keep" }, cog)).toMatchObject({ prompt: "keep", width: 720, fps: 8 });
  });

  it("shows an uploaded or asset source image again", () => {
    expect(sourceFromParams(recorded)).toMatchObject({ uploadId: "abc123", preview: "/api/uploads/abc123" });
    expect(sourceFromParams({ reference_images: [{ image_asset_id: "a1" }] })).toMatchObject({ assetId: "a1", preview: "/api/assets/a1/thumbnail" });
    expect(sourceFromParams({})).toBeNull();
  });

  it("says a frame count above the model's limit instead of cutting it", () => {
    expect(framesProblem(49, cog, 8)).toBeNull();
    expect(framesProblem(81, cog, 8)).toBe("81 frames is more than this model makes (at most 49, about 6.1 s): lower the frame count.");
  });
});
