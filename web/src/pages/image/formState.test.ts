import { describe, expect, it } from "vitest";
import type { ModelInfo } from "@/api/types";
import { defaultForm, fromParams, toRequest, withAspect, withModel } from "./formState";

const sd: ModelInfo = { id: "tiny-sd", name: "Tiny", type: "sd", category: "fast", default_steps: 2, default_guidance: 5 };
const flux: ModelInfo = { id: "flux", name: "Flux", type: "flux", category: "quality", default_steps: 4, default_guidance: 0 };

describe("image form state", () => {
  it("takes a model's defaults and its family's native size", () => {
    const f = withModel(defaultForm(), sd);
    expect(f).toMatchObject({ model: "tiny-sd", steps: 2, guidance_scale: 5, width: 512, height: 512 });
    const g = withAspect(withModel(f, flux), "16:9", flux);
    expect(g.width % 16).toBe(0);
    expect(g.height % 16).toBe(0);
    expect(g.width).toBeGreaterThan(g.height);
  });

  it("builds the API request with the seed's field names", () => {
    const f = { ...withModel(defaultForm(), sd), prompt: " a cat ", negative_prompt: "", seedMode: "fixed" as const, seed: 42, num_images: 2 };
    const req = toRequest({ ...f, loras: [{ lora_id: "ink", weight: 0.8 }] }, {
      sessionId: "s1",
      references: [{ assetId: "a1" }, { base64: "QUJD" }],
      styles: [],
      serverStyles: true,
    });
    expect(req).toMatchObject({
      prompt: "a cat",
      model: "tiny-sd",
      negative_prompt: null,
      width: 512,
      height: 512,
      steps: 2,
      guidance_scale: 5,
      seed: 42,
      num_images: 2,
      session_id: "s1",
      loras: [{ lora_id: "ink", weight: 0.8 }],
      reference_images: [{ image_asset_id: "a1" }, { image_base64: "QUJD" }],
      strength: 0.75,
    });
  });

  it("sends the style id when the server has styles, else adds the style text itself", () => {
    const styles = [{ id: "anime", name: "Anime", prompt: "anime style" }];
    const f = { ...withModel(defaultForm(), sd), prompt: "a cat", style: "anime" };
    expect(toRequest(f, { sessionId: null, references: [], styles, serverStyles: true })).toMatchObject({ prompt: "a cat", style: "anime" });
    const local = toRequest(f, { sessionId: null, references: [], styles, serverStyles: false });
    expect(local.prompt).toBe("a cat, anime style");
    expect(local.style).toBeUndefined();
  });

  it("random seed mode sends the seed picked at submit time", () => {
    const f = { ...withModel(defaultForm(), sd), prompt: "x" };
    expect(toRequest(f, { sessionId: null, references: [], styles: [], serverStyles: false, seed: 7 }).seed).toBe(7);
    expect(toRequest(f, { sessionId: null, references: [], styles: [], serverStyles: false }).seed).toBeNull();
  });

  it("'use these settings' restores an asset's params with a fixed seed", () => {
    const f = fromParams(defaultForm(), {
      prompt: "a lighthouse",
      negative_prompt: "blurry",
      model: "tiny-sd",
      width: 768,
      height: 432,
      steps: 9,
      guidance_scale: 3.5,
      seed: 1234,
      loras: [{ lora_id: "ink", weight: 0.5 }],
    });
    expect(f).toMatchObject({
      prompt: "a lighthouse",
      negative_prompt: "blurry",
      model: "tiny-sd",
      width: 768,
      height: 432,
      aspect: "16:9",
      steps: 9,
      guidance_scale: 3.5,
      seedMode: "fixed",
      seed: 1234,
      num_images: 1,
      loras: [{ lora_id: "ink", weight: 0.5 }],
    });
    expect(fromParams(defaultForm(), { width: 500, height: 300 }).aspect).toBeNull();
  });
});
