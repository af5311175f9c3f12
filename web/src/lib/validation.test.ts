import { describe, expect, it } from "vitest";
import { requestLimits } from "@/test/fixtures";
import { batchSizes, checkReferenceFile, randomSeed, validateImageForm, type ImageForm } from "./validation";

const ok: ImageForm = {
  prompt: "a cat",
  negative_prompt: "",
  model: "tiny-sd",
  sizeRules: { multiple: 8, min: 64, max: 4096, aspectSizes: {} },
  width: 512,
  height: 512,
  steps: 20,
  guidance_scale: 7,
  seedMode: "random",
  seed: null,
  num_images: 1,
  loras: [],
  referenceCount: 0,
  strength: 0.75,
};

const limits = requestLimits();
const v = (f: ImageForm) => validateImageForm(f, limits);

describe("validateImageForm checks the API's limits (GET /api/limits)", () => {
  it("accepts a valid form", () => {
    expect(v(ok)).toEqual({});
  });
  it("wants an image to edit for an edit model, before anything is sent", () => {
    expect(v({ ...ok, requiresReference: true }).reference_images).toMatch(/edits images/);
    expect(v({ ...ok, requiresReference: true, referenceCount: 1 }).reference_images).toBeUndefined();
  });
  it("needs a prompt and a model", () => {
    const e = v({ ...ok, prompt: "   ", model: "" });
    expect(e.prompt).toBeTruthy();
    expect(e.model).toBeTruthy();
  });
  it("limits prompt length to 10000", () => {
    expect(v({ ...ok, prompt: "x".repeat(10_001) }).prompt).toMatch(/10000/);
    expect(v({ ...ok, negative_prompt: "x".repeat(10_001) }).negative_prompt).toBeTruthy();
  });
  it("checks size range and multiple from the model's rules (as /api/models gives them)", () => {
    expect(v({ ...ok, width: 32 }).width).toMatch(/64/);
    expect(v({ ...ok, height: 5000 }).height).toMatch(/4096/);
    expect(v({ ...ok, width: 516 }).width).toMatch(/multiple of 8/);
    const flux = { multiple: 16, min: 128, max: 2048, aspectSizes: {} };
    expect(v({ ...ok, sizeRules: flux, width: 520 }).width).toMatch(/multiple of 16/);
    expect(v({ ...ok, sizeRules: flux, width: 64 }).width).toBe("Between 128 and 2048 px.");
    expect(v({ ...ok, sizeRules: flux, width: 512 }).width).toBeUndefined();
  });
  it("leaves the size to the server when no rules are known, but wants whole pixels", () => {
    expect(v({ ...ok, sizeRules: null, width: 516 })).toEqual({});
    expect(v({ ...ok, sizeRules: null, width: 0 }).width).toBeTruthy();
  });
  it("checks steps 1-200, guidance 0-50, batch 1-4", () => {
    expect(v({ ...ok, steps: 0 }).steps).toBeTruthy();
    expect(v({ ...ok, steps: 201 }).steps).toBeTruthy();
    expect(v({ ...ok, steps: 2.5 }).steps).toBeTruthy();
    expect(v({ ...ok, steps: null }).steps).toBeUndefined();
    expect(v({ ...ok, guidance_scale: 51 }).guidance_scale).toBeTruthy();
    expect(v({ ...ok, guidance_scale: -1 }).guidance_scale).toBeTruthy();
    expect(v({ ...ok, num_images: 5 }).num_images).toBeTruthy();
    expect(v({ ...ok, num_images: 0 }).num_images).toBeTruthy();
  });
  it("checks a fixed seed only", () => {
    expect(v({ ...ok, seedMode: "fixed", seed: null }).seed).toBeTruthy();
    expect(v({ ...ok, seedMode: "fixed", seed: 2 ** 32 }).seed).toBeTruthy();
    expect(v({ ...ok, seedMode: "fixed", seed: 2 ** 32 - 1 }).seed).toBeUndefined();
    expect(v({ ...ok, seedMode: "random", seed: -5 }).seed).toBeUndefined();
  });
  it("checks LoRA weights 0-1.5, at most 5 references, strength 0.1-1", () => {
    const e = v({ ...ok, loras: [{ lora_id: "a", weight: 1 }, { lora_id: "b", weight: 1.6 }] });
    expect(e["loras.1.weight"]).toBeTruthy();
    expect(e["loras.0.weight"]).toBeUndefined();
    expect(v({ ...ok, referenceCount: 6 }).reference_images).toBeTruthy();
    expect(v({ ...ok, referenceCount: 1, strength: 0.05 }).strength).toBeTruthy();
    expect(v({ ...ok, referenceCount: 0, strength: 0.05 }).strength).toBeUndefined();
  });
});

describe("checkReferenceFile", () => {
  it("refuses non-images and files over the API's limit", () => {
    expect(checkReferenceFile({ type: "text/plain", size: 10, name: "a.txt" }, limits)).toMatch(/not an image/);
    expect(checkReferenceFile({ type: "image/png", size: 21 * 1024 * 1024, name: "big.png" }, limits)).toMatch(/over 20 MB/);
    expect(checkReferenceFile({ type: "image/png", size: 1000, name: "ok.png" }, limits)).toBeNull();
    expect(checkReferenceFile({ type: "image/png", size: 3 * 2 ** 20, name: "big.png" }, requestLimits({ reference_image_bytes: 2.5 * 2 ** 20 }))).toMatch(/over 2.5 MB/);
  });
  it("leaves the size to the server while the limits load", () => {
    expect(checkReferenceFile({ type: "image/png", size: 21 * 1024 * 1024, name: "big.png" })).toBeNull();
    expect(checkReferenceFile({ type: "text/plain", size: 10, name: "a.txt" })).toMatch(/not an image/);
  });
});

describe("limits from the API, not the UI", () => {
  it("takes the bounds it is given", () => {
    const tight = requestLimits({ prompt_max_length: 5, steps: { min: 2, max: 8 }, num_images: { min: 1, max: 2 }, reference_images: 1 });
    expect(validateImageForm({ ...ok, prompt: "a cat and a dog" }, tight).prompt).toBe("At most 5 characters.");
    expect(validateImageForm({ ...ok, prompt: "cat", steps: 9 }, tight).steps).toBe("Between 2 and 8.");
    expect(validateImageForm({ ...ok, prompt: "cat", num_images: 3 }, tight).num_images).toBe("1 to 2 images.");
    expect(validateImageForm({ ...ok, prompt: "cat", referenceCount: 2 }, tight).reference_images).toBe("At most 1 reference images.");
  });
  it("while they load, checks only what needs no limit (the server checks the rest)", () => {
    const wild = { ...ok, prompt: "x".repeat(20_000), steps: 999, guidance_scale: 99, num_images: 9, referenceCount: 9, strength: 5 };
    expect(validateImageForm(wild)).toEqual({});
    expect(validateImageForm({ ...wild, prompt: " ", model: "" })).toMatchObject({ prompt: expect.any(String), model: expect.any(String) });
    expect(validateImageForm({ ...ok, seedMode: "fixed", seed: null }).seed).toBe("A whole number.");
    expect(validateImageForm({ ...ok, seedMode: "fixed", seed: 2 ** 40 }).seed).toBeUndefined();
  });
  it("picks random seeds and offers batch sizes within them", () => {
    for (let i = 0; i < 50; i++) {
      const seed = randomSeed(requestLimits({ seed: { min: 3, max: 5 } }));
      expect(Number.isInteger(seed) && seed >= 3 && seed <= 5).toBe(true);
    }
    expect(batchSizes(limits, 1)).toEqual([1, 2, 3, 4]);
    expect(batchSizes(requestLimits({ num_images: { min: 1, max: 2 } }), 1)).toEqual([1, 2]);
    expect(batchSizes(undefined, 3)).toEqual([3]);
  });
});
