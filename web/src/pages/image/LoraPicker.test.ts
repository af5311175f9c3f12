import { describe, expect, it } from "vitest";
import { lora } from "@/test/fixtures";
import { fitsModelType, lorasFor } from "./LoraPicker";

describe("LoRAs for the selected model's type", () => {
  // /api/loras sends `model_types`, the model types a LoRA can be used with.
  const ink = lora({ id: "ink", base: "sdxl", model_types: ["sdxl"] });
  const anyBase = lora({ id: "any" });
  const fluxy = lora({ id: "fluxy", base: "flux", model_types: ["flux"] });

  it("offers only the LoRAs whose model_types hold the model's type", () => {
    expect(lorasFor([ink, anyBase, fluxy], "sdxl").map((l) => l.id)).toEqual(["ink", "any"]);
    expect(lorasFor([ink, anyBase, fluxy], "flux").map((l) => l.id)).toEqual(["any", "fluxy"]);
    expect(lorasFor([ink, fluxy], "sd3")).toEqual([]);
  });

  it("offers all of them before a model is chosen", () => {
    expect(lorasFor([ink, anyBase, fluxy], undefined)).toHaveLength(3);
    expect(fitsModelType(ink, "sd")).toBe(false);
  });
});
