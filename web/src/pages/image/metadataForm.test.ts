import { describe, expect, it } from "vitest";
import { defaultForm } from "./formState";
import { fromMetadata, sourceName } from "./metadataForm";
import { dropProblem } from "./MetadataDrop";

const ctx = {
  models: [{ id: "tiny-sd", name: "Tiny SD" }],
  schedulers: [{ name: "euler_a", label: "Euler a" }],
  styles: [{ id: "anime" }],
  loras: ["ink"],
  presets: [{ id: "16:9", width: 16, height: 9 }],
};

describe("a dropped image's metadata into the form", () => {
  it("restores what maps and lists what does not", () => {
    // POST /api/images/metadata's params for an A1111 PNG
    const r = fromMetadata(defaultForm(), {
      source: "a1111",
      prompt: "a castle",
      negative_prompt: "lowres",
      steps: 28,
      guidance_scale: 6.5,
      seed: 314,
      width: 1360,
      height: 768,
      scheduler: "euler_a",
      model: "juggernautXL_v9",
      strength: 0.45,
      loras: [{ lora_id: "ink", weight: 0.6 }, { lora_id: "add_detail", weight: 0.5 }],
      unreadable: ["a1111: steps: 'x' is not usable"],
      unmapped: ["Clip skip: 2"],
    }, ctx);
    expect(r.form).toMatchObject({
      prompt: "a castle",
      negative_prompt: "lowres",
      steps: 28,
      guidance_scale: 6.5,
      seedMode: "fixed",
      seed: 314,
      seedOnce: true,
      width: 1360,
      height: 768,
      aspect: "16:9",
      scheduler: "euler_a",
      strength: 0.45,
      model: "",
      loras: [{ lora_id: "ink", weight: 0.6 }],
    });
    expect(r.restored).toEqual(["prompt", "negative prompt", "steps", "guidance", "strength", "seed", "size", "sampler", "LoRAs"]);
    expect(r.unmapped).toEqual([
      "Clip skip: 2",
      "a1111: steps: 'x' is not usable",
      'model "juggernautXL_v9": not in this studio',
      'LoRA "add_detail": not in this studio',
    ]);
  });

  it("matches models and samplers by name too, and keeps what the file does not say", () => {
    const f = { ...defaultForm(), prompt: "kept", steps: 9 };
    const r = fromMetadata(f, { model: "tiny sd", scheduler: "Euler A", style: "noir" }, ctx);
    expect(r.form).toMatchObject({ prompt: "kept", steps: 9, model: "tiny-sd", scheduler: "euler_a", seedMode: "random" });
    expect(r.unmapped).toEqual(['style "noir": not in this studio']);
  });

  it("names the tool and says at drop time when a file is not an image", () => {
    expect(sourceName("a1111")).toBe("A1111/Forge");
    expect(sourceName(null)).toBe("an unknown tool");
    expect(dropProblem(new File(["x"], "notes.txt", { type: "text/plain" }))).toMatch(/notes.txt is not an image/);
    expect(dropProblem(new File(["x"], "a.png", { type: "image/png" }))).toBeNull();
  });
});
