import { describe, expect, it } from "vitest";
import type { RemoteModelInfo } from "@/pages/providers/api";
import { paramSpec, remoteModel } from "@/test/fixtures";
import { defaultDuration, durationChoices, providerParamSpecs, remoteImageCapacity, remoteVideoRequest, snapFrames } from "./api";

const kling: RemoteModelInfo = remoteModel({
  id: "fal:fal-ai/kling-video/v2/master/text-to-video",
  name: "Kling 2.0 Master",
  category: "text-to-video",
  is_video: true,
  model_id: "fal-ai/kling-video/v2/master/text-to-video",
  params: [
    paramSpec({ name: "prompt", type: "string", required: true }),
    paramSpec({ name: "duration", type: "string", enum: ["5", "10"], default: "5" }),
    paramSpec({ name: "aspect_ratio", type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" }),
    paramSpec({ name: "negative_prompt", type: "string" }),
    paramSpec({ name: "cfg_scale", type: "number", minimum: 0, maximum: 1, default: 0.5 }),
  ],
  // What /api/models answers: the inputs the studio fills from the request's own fields.
  studio_params: { prompt: "prompt", duration: "duration", negative_prompt: "negative_prompt" },
});

const form = { prompt: "a fox in the snow", negative_prompt: "", duration: 5, seed: "", provider_params: {} };

describe("remote text-to-video requests", () => {
  it("sends only the fields a remote job accepts", () => {
    const body = remoteVideoRequest(kling, { ...form, duration: 10, provider_params: { aspect_ratio: "9:16" } });
    expect(body).toEqual({ model: kling.id, prompt: "a fox in the snow", duration: 10, provider_params: { aspect_ratio: "9:16" } });
    for (const local of ["width", "height", "num_frames", "fps", "steps", "guidance_scale", "loras", "reference_images", "resolution"]) {
      expect(body).not.toHaveProperty(local);
    }
  });

  it("drops provider params the model does not list, and empty ones", () => {
    const body = remoteVideoRequest(kling, { ...form, provider_params: { cfg_scale: 0.7, bogus: 1, aspect_ratio: "" } });
    expect(body.provider_params).toEqual({ cfg_scale: 0.7 });
  });

  it("sends a negative prompt or seed only when the model has one", () => {
    expect(remoteVideoRequest(kling, { ...form, negative_prompt: "blur", seed: "42" })).toMatchObject({ negative_prompt: "blur" });
    expect(remoteVideoRequest(kling, { ...form, seed: "42" })).not.toHaveProperty("seed");
    const bare: RemoteModelInfo = { ...kling, params: [], studio_params: {} };
    expect(remoteVideoRequest(bare, { ...form, negative_prompt: "blur" })).not.toHaveProperty("negative_prompt");
  });

  it("reads duration choices and the model's own parameters from its schema", () => {
    expect(durationChoices(kling)).toEqual([5, 10]);
    expect(defaultDuration(kling)).toBe(5);
    expect(durationChoices({ ...kling, params: [] })).toBeNull();
    expect(defaultDuration({ ...kling, params: [] })).toBe(5);
    expect(providerParamSpecs(kling).map((p) => p.name)).toEqual(["aspect_ratio", "cfg_scale"]);
  });
});

describe("frame counts", () => {
  // `frames` as /api/video/models answers it: valid counts are step * k + 1 up to max.
  it("snaps to the nearest step * k + 1 under the model's maximum", () => {
    expect(snapFrames(50, { step: 4, max: 49 })).toBe(49);
    expect(snapFrames(10, { step: 8, max: 257 })).toBe(9);
    expect(snapFrames(14, { step: 8, max: 257 })).toBe(17);
    expect(snapFrames(300, { step: 8, max: 257 })).toBe(257);
    expect(snapFrames(11, { step: 6, max: 163 })).toBe(13);
  });
  it("breaks a tie towards the longer count and offers no single frame when more fit, as the server does", () => {
    expect(snapFrames(3, { step: 4, max: 49 })).toBe(5); // 1 and 5 are as near; 1 is not offered
    expect(snapFrames(7, { step: 4, max: 49 })).toBe(9); // 5 or 9: the longer
    expect(snapFrames(0, { step: 1, max: 25 })).toBe(2);
    expect(snapFrames(12, { step: 1, max: 25 })).toBe(12);
  });
  it("stays under a maximum that is not on the step itself", () => {
    expect(snapFrames(60, { step: 4, max: 50 })).toBe(49);
    expect(snapFrames(9, { step: 8, max: 1 })).toBe(1);
  });
});

describe("remote image-to-video requests", () => {
  const i2v: RemoteModelInfo = {
    ...kling,
    id: "fal:fal-ai/kling-video/v2/master/image-to-video",
    model_id: "fal-ai/kling-video/v2/master/image-to-video",
    category: "image-to-video",
    max_reference_images: 2,
    params: [
      paramSpec({ name: "prompt", type: "string", required: true }),
      paramSpec({ name: "image_url", type: "string", required: true }),
      paramSpec({ name: "tail_image_url", type: "string" }),
      paramSpec({ name: "duration", type: "string", enum: ["5", "10"], default: "5" }),
    ],
    studio_params: { prompt: "prompt", image_url: "reference_images", tail_image_url: "reference_images", duration: "duration" },
  };
  const a = "data:image/png;base64,QUFB";
  const b = "data:image/png;base64,QkJC";
  const c = "data:image/png;base64,Q0ND";

  it("sends the input images as reference_images, no more than the model takes", () => {
    const body = remoteVideoRequest(i2v, { ...form, images: [a, b, c] });
    expect(body).toEqual({
      model: i2v.id,
      prompt: "a fox in the snow",
      duration: 5,
      provider_params: {},
      reference_images: [{ image_base64: a }, { image_base64: b }],
    });
    expect(remoteVideoRequest({ ...i2v, max_reference_images: 1 }, { ...form, images: [a, b] }).reference_images).toEqual([{ image_base64: a }]);
  });

  it("sends no reference_images to a model that takes none, or when none were picked", () => {
    expect(remoteVideoRequest(kling, { ...form, images: [a] })).not.toHaveProperty("reference_images");
    expect(remoteVideoRequest(i2v, { ...form, images: [] })).not.toHaveProperty("reference_images");
    expect(remoteVideoRequest(i2v, form)).not.toHaveProperty("reference_images");
  });

  it("never offers the inputs the images fill as provider parameters, whatever they are called", () => {
    expect(providerParamSpecs(i2v).map((p) => p.name)).toEqual([]);
    const renamed: RemoteModelInfo = {
      ...i2v,
      params: [...i2v.params, paramSpec({ name: "first_frame", type: "string" }), paramSpec({ name: "motion", type: "number" })],
      studio_params: { ...i2v.studio_params, first_frame: "reference_images" },
    };
    expect(providerParamSpecs(renamed).map((p) => p.name)).toEqual(["motion"]);
    expect(remoteImageCapacity(i2v)).toBe(2);
    expect(remoteImageCapacity(kling)).toBe(0);
  });
});
