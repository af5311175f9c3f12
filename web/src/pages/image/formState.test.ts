import { describe, expect, it } from "vitest";
import type { RemoteModelInfo } from "@/pages/providers/api";
import type { AspectPreset } from "@/lib/aspect";
import { localModel, paramSpec, remoteModel, style as preset } from "@/test/fixtures";
import { afterSubmit, defaultForm, defaultsOf, freshForm, fromParams, initialModel, referencesFromParams, referenceLimit, takesStrength, tookDefaults, toRequest, withAspect, withDefaults, withModel } from "./formState";

// Size rules as /api/models answers them for each model.
const sd = localModel({
  id: "tiny-sd", name: "Tiny", type: "sd", category: "fast", default_steps: 2, default_guidance: 5, size_multiple: 8,
  aspect_sizes: { "1:1": { width: 512, height: 512 }, "16:9": { width: 680, height: 384 } },
});
const flux = localModel({
  id: "flux", name: "Flux", type: "flux", category: "quality", default_steps: 4, default_guidance: 0, size_multiple: 16,
  aspect_sizes: { "1:1": { width: 1024, height: 1024 }, "16:9": { width: 1360, height: 768 } },
});
const presets: AspectPreset[] = [
  { id: "1:1", width: 1, height: 1 },
  { id: "16:9", width: 16, height: 9 },
];

describe("image form state", () => {
  it("takes a model's defaults and the size the API gives it for the preset", () => {
    const f = withModel(defaultForm(), sd);
    expect(f).toMatchObject({ model: "tiny-sd", steps: 2, guidance_scale: 5, width: 512, height: 512 });
    expect(withAspect(withModel(f, flux), "16:9", flux)).toMatchObject({ aspect: "16:9", width: 1360, height: 768 });
    expect(withModel(withAspect(f, "16:9", flux), sd)).toMatchObject({ width: 680, height: 384 });
  });

  it("snaps a free size to the new model's multiple, and keeps it for a model without size rules", () => {
    const free = { ...withModel(defaultForm(), sd), aspect: null, width: 520, height: 390 };
    expect(withModel(free, flux)).toMatchObject({ width: 528, height: 384 });
    const video = localModel({ id: "cog", is_video: true, size_multiple: null, aspect_sizes: null });
    expect(withModel(free, video)).toMatchObject({ width: 520, height: 390 });
  });

  it("builds the API request with the seed's field names", () => {
    const f = { ...withModel(defaultForm(), sd), prompt: " a cat ", negative_prompt: "", seedMode: "fixed" as const, seed: 42, num_images: 2 };
    const req = toRequest({ ...f, loras: [{ lora_id: "ink", weight: 0.8 }] }, {
      sessionId: "s1",
      references: [{ assetId: "a1" }, { base64: "QUJD" }],
      styles: [],
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

  it("sends the style id, for the server to apply, and leaves a style the server does not have out", () => {
    const styles = [preset({ id: "anime", name: "Anime", template: "anime artwork of {prompt}, studio anime", negative: "photo, realistic" })];
    const f = { ...withModel(defaultForm(), sd), prompt: " a cat ", negative_prompt: "blurry", style: "anime" };
    expect(toRequest(f, { sessionId: null, references: [], styles })).toMatchObject({
      prompt: "a cat",
      negative_prompt: "blurry",
      style: "anime",
    });
    expect(toRequest({ ...f, style: "gone" }, { sessionId: null, references: [], styles })).not.toHaveProperty("style");
    expect(toRequest({ ...f, style: "none" }, { sessionId: null, references: [], styles })).not.toHaveProperty("style");
  });

  it("random seed mode sends the seed picked at submit time", () => {
    const f = { ...withModel(defaultForm(), sd), prompt: "x" };
    expect(toRequest(f, { sessionId: null, references: [], styles: [], seed: 7 }).seed).toBe(7);
    expect(toRequest(f, { sessionId: null, references: [], styles: [] }).seed).toBeNull();
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
    }, presets);
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
    expect(fromParams(defaultForm(), { width: 500, height: 300 }, presets).aspect).toBeNull();
  });
});

describe("reuse is exact", () => {
  // A job's params as the server records them for an image-to-image job (an asset and an upload as references).
  const recorded = {
    prompt: "a lighthouse",
    negative_prompt: "blurry",
    model: "tiny-sd",
    width: 680,
    height: 384,
    steps: 7,
    guidance_scale: 4.5,
    seed: 987654,
    scheduler: "euler_a",
    style: "anime",
    strength: 0.4,
    loras: [{ lora_id: "ink", weight: 0.65 }, { lora_id: "sketch", weight: 1.2 }],
    reference_images: [{ image_asset_id: "a1" }, { upload_id: "u1" }],
    num_images: 1,
  };
  const styles = [preset({ id: "anime", name: "Anime", template: "anime {prompt}", negative: "" })];

  it("every field round-trips: recorded params -> form -> the same request", () => {
    const f = fromParams(withModel(defaultForm(), flux), recorded, presets);
    const refs = referencesFromParams(recorded);
    expect(refs).toEqual([
      { key: "a1", assetId: "a1", preview: "/api/assets/a1/thumbnail" },
      { key: "u1", uploadId: "u1", preview: "/api/uploads/u1" },
    ]);
    expect(f).toMatchObject({ aspect: "16:9", seedMode: "fixed", seedOnce: true, scheduler: "euler_a", style: "anime" });
    const req = toRequest(f, { sessionId: "s1", references: refs, styles });
    const { reference_images: _recordedRefs, ...rest } = recorded;
    expect(req).toEqual({ ...rest, session_id: "s1", reference_images: [{ image_asset_id: "a1" }, { upload_id: "u1" }] });
  });

  it("a restored fixed seed is for the next job only", () => {
    const f = fromParams(defaultForm(), recorded, presets);
    const next = afterSubmit(f);
    expect(next).toMatchObject({ seedMode: "random", seedOnce: false });
    expect(toRequest(next, { sessionId: null, references: [], styles: [], seed: 5 }).seed).toBe(5);
    // a seed the user fixed stays fixed
    const mine = { ...defaultForm(), seedMode: "fixed" as const, seed: 3 };
    expect(afterSubmit(mine)).toBe(mine);
  });

  it("params without a scheduler, seed or references restore the model's default, random and none", () => {
    const f = fromParams({ ...defaultForm(), scheduler: "dpm", seedOnce: false }, { prompt: "x" }, presets);
    expect(f).toMatchObject({ scheduler: null, seedMode: "random", seedOnce: false });
    expect(referencesFromParams({ prompt: "x" })).toEqual([]);
    expect(toRequest(f, { sessionId: null, references: [], styles: [] })).not.toHaveProperty("scheduler");
  });
});

describe("remote image requests", () => {
  const i2i: RemoteModelInfo = remoteModel({
    id: "fal:fal-ai/flux/dev/image-to-image",
    model_id: "fal-ai/flux/dev/image-to-image",
    name: "FLUX.1 [dev] Image-to-Image",
    category: "image-to-image",
    max_reference_images: 1,
    params: [
      paramSpec({ name: "prompt", type: "string", required: true }),
      paramSpec({ name: "image_url", type: "string", required: true }),
      paramSpec({ name: "strength", type: "number", minimum: 0, maximum: 1 }),
    ],
    studio_params: { prompt: "prompt", image_url: "reference_images", strength: "strength" },
  });
  const multi: RemoteModelInfo = { ...i2i, id: "fal:edit", max_reference_images: 3, params: [paramSpec({ name: "image_urls", type: "array" })], studio_params: { image_urls: "reference_images" } };
  const t2i: RemoteModelInfo = { ...i2i, id: "fal:fal-ai/flux/schnell", category: "text-to-image", max_reference_images: 0, params: [paramSpec({ name: "prompt" })], studio_params: { prompt: "prompt" } };
  const refs = [{ assetId: "a1" }, { base64: "QUJD" }, { assetId: "a2" }, { assetId: "a3" }];
  const form = (model: string) => ({
    ...withModel(defaultForm(), sd),
    model,
    prompt: "a cat",
    style: "noir",
    loras: [{ lora_id: "ink", weight: 0.8 }],
  });
  const styles = [preset({ id: "noir", name: "Noir", template: "film noir still of {prompt}, high contrast", negative: "colour" })];
  const extras = (remote: RemoteModelInfo) => ({ sessionId: null, references: refs, styles, remote });

  it("sends no more reference images than the model takes, with strength where it has one", () => {
    const req = toRequest(form(i2i.id), extras(i2i));
    expect(req.reference_images).toEqual([{ image_asset_id: "a1" }]);
    expect(req.strength).toBe(0.75);
    const many = toRequest(form(multi.id), extras(multi));
    expect(many.reference_images).toEqual([{ image_asset_id: "a1" }, { image_base64: "QUJD" }, { image_asset_id: "a2" }]);
    expect(many).not.toHaveProperty("strength");
  });

  it("sends no reference images to a model that takes none", () => {
    const req = toRequest(form(t2i.id), extras(t2i));
    expect(req).not.toHaveProperty("reference_images");
    expect(req).not.toHaveProperty("strength");
  });

  it("leaves local-only fields out (no LoRAs) and sends the style id for the server to apply", () => {
    const req = toRequest(form(i2i.id), extras(i2i));
    expect(req).not.toHaveProperty("loras");
    expect(req).toMatchObject({ style: "noir", prompt: "a cat", negative_prompt: null });
    // a local model keeps them, and all its references
    const local = toRequest(form("tiny-sd"), { ...extras(i2i), remote: null });
    expect(local).toMatchObject({ style: "noir", loras: [{ lora_id: "ink", weight: 0.8 }], prompt: "a cat" });
    expect(local.reference_images).toHaveLength(4);
  });

  it("limits the form to the model's capacity", () => {
    expect(referenceLimit(null, 5)).toBe(5);
    expect(referenceLimit(i2i, 5)).toBe(1);
    expect(referenceLimit(t2i, 5)).toBe(0);
    expect(referenceLimit({ ...i2i, max_reference_images: 9 }, 5)).toBe(5);
    expect(referenceLimit({ ...i2i, max_reference_images: undefined as unknown as number }, 5)).toBe(0);
    // local models: their own capacity from /api/models (Krea 2 takes none, Qwen-Image-Edit three)
    expect(referenceLimit({ ...sd, max_reference_images: 0 }, 5)).toBe(0);
    expect(referenceLimit({ ...sd, max_reference_images: 3 }, 5)).toBe(3);
    expect(referenceLimit({ ...sd, max_reference_images: null }, 5)).toBe(5);
    expect(takesStrength(i2i)).toBe(true);
    expect(takesStrength(multi)).toBe(false);
    expect(takesStrength({ ...i2i, params: [] })).toBe(true); // inputs not known: the provider decides
  });
});

describe("the model a new form starts with", () => {
  const hub = localModel({ id: "sd-turbo", source: "hub", downloaded: false });
  const mine = localModel({ id: "my-model", source: "folder", downloaded: true });
  const cached = localModel({ id: "sdxl", source: "hub", downloaded: true });

  it("takes the settings' default first", () => {
    expect(initialModel([hub, mine], "sd-turbo")?.id).toBe("sd-turbo");
  });

  it("else a model that runs without a download, not a hub model still to fetch", () => {
    expect(initialModel([hub, mine])?.id).toBe("my-model");
    expect(initialModel([hub, cached, mine], "gone")?.id).toBe("sdxl");
  });

  it("else the first model", () => {
    expect(initialModel([hub])?.id).toBe("sd-turbo");
    expect(initialModel([])).toBeUndefined();
  });

  describe("the Settings' defaults", () => {
    const models = [sd, flux];
    const none = defaultsOf({});

    it("a new form takes the default model, and its size, steps and guidance when Settings has none", () => {
      const f = withDefaults(defaultForm(), { ...none, model: "flux" }, models);
      expect(f).toMatchObject({ model: "flux", width: 1024, height: 1024, aspect: "1:1", steps: 4, guidance_scale: 0 });
      expect(tookDefaults(f, { ...none, model: "flux" })).toBe(true);
    });

    it("a new form takes the Settings' size snapped to the model, with the preset whose size it is, else a custom size", () => {
      const d = defaultsOf({ default_model: "tiny-sd", default_width: 683, default_height: 385, default_steps: 30, default_guidance: 6.5 });
      expect(withDefaults(defaultForm(), d, models)).toMatchObject({ model: "tiny-sd", width: 680, height: 384, aspect: "16:9", steps: 30, guidance_scale: 6.5 });
      const odd = { ...d, width: 600, height: 400 };
      expect(withDefaults(defaultForm(), odd, models)).toMatchObject({ width: 600, height: 400, aspect: null });
    });

    it("without a default model: the first ready model", () => {
      const ready = { ...flux, downloaded: true };
      expect(withDefaults(defaultForm(), none, [sd, ready]).model).toBe("flux");
    });

    it("a new session's form: the defaults, the model in use kept, the last session's work gone", () => {
      const d = defaultsOf({ default_model: "tiny-sd", default_steps: 30, default_guidance: 6.5 });
      const worked = { ...withDefaults(defaultForm(), d, models), prompt: "a cat", model: "flux", steps: 9, seedMode: "fixed" as const, seed: 7, loras: [{ lora_id: "x", weight: 1 }] };
      const f = freshForm(worked, d, models);
      expect(f).toMatchObject({ prompt: "", model: "flux", steps: 30, guidance_scale: 6.5, seedMode: "random", seed: null, loras: [] });
      expect(tookDefaults(f, d)).toBe(true);
      // The model in use left the catalogue: the default one.
      expect(freshForm({ ...worked, model: "gone" }, d, models).model).toBe("tiny-sd");
    });

    it("a model picked before the Settings arrived stays; the rest of the defaults apply", () => {
      const d = defaultsOf({ default_model: "tiny-sd", default_steps: 30 });
      const f = withDefaults({ ...defaultForm(), model: "flux" }, d, models);
      expect(f).toMatchObject({ model: "flux", steps: 30 });
      expect(withDefaults({ ...defaultForm(), model: "gone" }, d, models).model).toBe("tiny-sd");
    });

    it("a saved form takes only what changed in Settings since, and keeps the user's work", () => {
      const d = defaultsOf({ default_model: "tiny-sd" });
      const mine = { ...withDefaults(defaultForm(), d, models), prompt: "a cat", steps: 9, model: "flux" };
      expect(withDefaults(mine, d, models)).toEqual(mine);
      const wider = { ...d, width: 1024 };
      const after = withDefaults(mine, wider, models);
      expect(after).toMatchObject({ prompt: "a cat", steps: 9, model: "flux", width: 1024, height: 1024 });
      expect(tookDefaults(after, wider)).toBe(true);
      // A model that left the catalogue is replaced by the default one.
      expect(withDefaults({ ...after, model: "gone" }, wider, models).model).toBe("tiny-sd");
    });

    it("choosing a model keeps the Settings' steps and guidance over the model's own", () => {
      const d = defaultsOf({ default_steps: 12, default_guidance: 3 });
      expect(withModel(defaultForm(), flux, d)).toMatchObject({ steps: 12, guidance_scale: 3 });
      expect(withModel(defaultForm(), flux)).toMatchObject({ steps: 4, guidance_scale: 0 });
    });
  });
});
