import { describe, expect, it } from "vitest";
import { checkReferenceFile, validateImageForm, type ImageForm } from "./validation";

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

describe("validateImageForm mirrors the API limits", () => {
  it("accepts a valid form", () => {
    expect(validateImageForm(ok)).toEqual({});
  });
  it("needs a prompt and a model", () => {
    const e = validateImageForm({ ...ok, prompt: "   ", model: "" });
    expect(e.prompt).toBeTruthy();
    expect(e.model).toBeTruthy();
  });
  it("limits prompt length to 10000", () => {
    expect(validateImageForm({ ...ok, prompt: "x".repeat(10_001) }).prompt).toMatch(/10000/);
    expect(validateImageForm({ ...ok, negative_prompt: "x".repeat(10_001) }).negative_prompt).toBeTruthy();
  });
  it("checks size range and multiple from the model's rules (as /api/models gives them)", () => {
    expect(validateImageForm({ ...ok, width: 32 }).width).toMatch(/64/);
    expect(validateImageForm({ ...ok, height: 5000 }).height).toMatch(/4096/);
    expect(validateImageForm({ ...ok, width: 516 }).width).toMatch(/multiple of 8/);
    const flux = { multiple: 16, min: 128, max: 2048, aspectSizes: {} };
    expect(validateImageForm({ ...ok, sizeRules: flux, width: 520 }).width).toMatch(/multiple of 16/);
    expect(validateImageForm({ ...ok, sizeRules: flux, width: 64 }).width).toBe("Between 128 and 2048 px.");
    expect(validateImageForm({ ...ok, sizeRules: flux, width: 512 }).width).toBeUndefined();
  });
  it("leaves the size to the server when no rules are known, but wants whole pixels", () => {
    expect(validateImageForm({ ...ok, sizeRules: null, width: 516 })).toEqual({});
    expect(validateImageForm({ ...ok, sizeRules: null, width: 0 }).width).toBeTruthy();
  });
  it("checks steps 1-200, guidance 0-50, batch 1-4", () => {
    expect(validateImageForm({ ...ok, steps: 0 }).steps).toBeTruthy();
    expect(validateImageForm({ ...ok, steps: 201 }).steps).toBeTruthy();
    expect(validateImageForm({ ...ok, steps: 2.5 }).steps).toBeTruthy();
    expect(validateImageForm({ ...ok, steps: null }).steps).toBeUndefined();
    expect(validateImageForm({ ...ok, guidance_scale: 51 }).guidance_scale).toBeTruthy();
    expect(validateImageForm({ ...ok, guidance_scale: -1 }).guidance_scale).toBeTruthy();
    expect(validateImageForm({ ...ok, num_images: 5 }).num_images).toBeTruthy();
    expect(validateImageForm({ ...ok, num_images: 0 }).num_images).toBeTruthy();
  });
  it("checks a fixed seed only", () => {
    expect(validateImageForm({ ...ok, seedMode: "fixed", seed: null }).seed).toBeTruthy();
    expect(validateImageForm({ ...ok, seedMode: "fixed", seed: 2 ** 32 }).seed).toBeTruthy();
    expect(validateImageForm({ ...ok, seedMode: "fixed", seed: 2 ** 32 - 1 }).seed).toBeUndefined();
    expect(validateImageForm({ ...ok, seedMode: "random", seed: -5 }).seed).toBeUndefined();
  });
  it("checks LoRA weights 0-1.5, at most 5 references, strength 0.1-1", () => {
    const e = validateImageForm({ ...ok, loras: [{ lora_id: "a", weight: 1 }, { lora_id: "b", weight: 1.6 }] });
    expect(e["loras.1.weight"]).toBeTruthy();
    expect(e["loras.0.weight"]).toBeUndefined();
    expect(validateImageForm({ ...ok, referenceCount: 6 }).reference_images).toBeTruthy();
    expect(validateImageForm({ ...ok, referenceCount: 1, strength: 0.05 }).strength).toBeTruthy();
    expect(validateImageForm({ ...ok, referenceCount: 0, strength: 0.05 }).strength).toBeUndefined();
  });
});

describe("checkReferenceFile", () => {
  it("refuses non-images and files over 20 MB", () => {
    expect(checkReferenceFile({ type: "text/plain", size: 10, name: "a.txt" })).toMatch(/not an image/);
    expect(checkReferenceFile({ type: "image/png", size: 21 * 1024 * 1024, name: "big.png" })).toMatch(/20 MB/);
    expect(checkReferenceFile({ type: "image/png", size: 1000, name: "ok.png" })).toBeNull();
  });
});
