import { describe, expect, it } from "vitest";
import type { RemoteModelInfo } from "@/pages/providers/api";
import { defaultDuration, durationChoices, providerParamSpecs, remoteVideoRequest, snapFrames } from "./api";

const kling: RemoteModelInfo = {
  id: "fal:fal-ai/kling-video/v2/master/text-to-video",
  name: "Kling 2.0 Master",
  type: "remote",
  category: "text-to-video",
  remote: true,
  provider: "fal",
  model_id: "fal-ai/kling-video/v2/master/text-to-video",
  params: [
    { name: "prompt", type: "string", required: true },
    { name: "duration", type: "string", enum: ["5", "10"], default: "5" },
    { name: "aspect_ratio", type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" },
    { name: "negative_prompt", type: "string" },
    { name: "cfg_scale", type: "number", minimum: 0, maximum: 1, default: 0.5 },
  ],
};

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
    const bare: RemoteModelInfo = { ...kling, params: [] };
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
  it("snaps to the model's form", () => {
    expect(snapFrames(50, "4k+1", 49)).toBe(49);
    expect(snapFrames(10, "8k+1", 257)).toBe(9);
  });
});
