import { afterEach, describe, expect, it, vi } from "vitest";
import { localModel, remoteModel } from "@/test/fixtures";
import { categoriesOf, filterModels, formatPrice, formatUsd, isRemoteModel, localOf, providerApi, takesField, type RemoteModel } from "./api";
import { keyText } from "./ProvidersPage";

describe("formatUsd", () => {
  it("keeps fractions of a cent readable and trims trailing zeros past the cents", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.003)).toBe("$0.003");
    expect(formatUsd(0.0025)).toBe("$0.0025");
    expect(formatUsd(0.03)).toBe("$0.03");
    expect(formatUsd(0.125)).toBe("$0.125");
    expect(formatUsd(1.2)).toBe("$1.20");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(null)).toBe("–");
  });
});

describe("formatPrice", () => {
  it("says the unit", () => {
    expect(formatPrice({ unit_price: 0.03, unit: "image", currency: "USD" })).toBe("$0.03 / image");
    expect(formatPrice({ unit_price: 0.1, unit: "second" })).toBe("$0.10 / second");
    expect(formatPrice({ unit_price: 0.025, unit: "megapixels" })).toBe("$0.025 / MP");
    expect(formatPrice({ unit_price: 2, unit: "image", currency: "EUR" })).toBe("2 EUR / image");
    expect(formatPrice(null)).toBeNull();
  });
});

const m = (id: string, category: string, extra: Partial<RemoteModel> = {}): RemoteModel => ({
  id: `fal:${id}`,
  provider: "fal",
  model_id: id,
  name: id.split("/").pop() ?? id,
  category,
  ...extra,
});

describe("filterModels", () => {
  const models = [
    m("fal-ai/flux/schnell", "text-to-image", { description: "Fast FLUX" }),
    m("fal-ai/kling-video", "text-to-video", { tags: ["cinematic"] }),
    m("fal-ai/esrgan", "upscaling"),
  ];
  it("searches id, name, description and tags, case-insensitively", () => {
    expect(filterModels(models, "FLUX", "").map((x) => x.model_id)).toEqual(["fal-ai/flux/schnell"]);
    expect(filterModels(models, "cinematic", "").map((x) => x.model_id)).toEqual(["fal-ai/kling-video"]);
    expect(filterModels(models, "  ", "")).toHaveLength(3);
  });
  it("filters by category, with the search", () => {
    expect(filterModels(models, "", "upscaling").map((x) => x.model_id)).toEqual(["fal-ai/esrgan"]);
    expect(filterModels(models, "flux", "upscaling")).toEqual([]);
    expect(categoriesOf(models)).toEqual(["text-to-image", "text-to-video", "upscaling"]);
  });
});

describe("keys and remote models", () => {
  it("never has more of a key to show than its mask", () => {
    expect(keyText({ has_api_key: true, api_key_masked: "••••abcd", key_source: "stored", key_env: "FAL_KEY" })).toBe("Key ••••abcd");
    expect(keyText({ has_api_key: true, api_key_masked: "••••abcd", key_source: "env", key_env: "FAL_KEY" })).toBe("Key ••••abcd from FAL_KEY");
    expect(keyText({ has_api_key: false, api_key_masked: null, key_source: null, key_env: "FAL_KEY" })).toBe("No key (or set FAL_KEY)");
  });
  it("tells a remote model from a local one", () => {
    expect(isRemoteModel(localModel({ id: "tiny", type: "sd", category: "fast" }))).toBe(false);
    expect(isRemoteModel(remoteModel({ id: "fal:x" }))).toBe(true);
    expect(localOf(localModel({ id: "tiny" }))?.id).toBe("tiny");
    expect(localOf(remoteModel({ id: "fal:x" }))).toBeUndefined();
  });
});

describe("remote models from /api/models", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("reads the wrapped answer ({models, ...}) and keeps the remote entries", async () => {
    const remote = remoteModel({ id: "fal:x" });
    const answer = { models: [localModel({ id: "tiny-sd" }), remote], current_model: null, loaded_models: [] };
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } }));
    expect((await providerApi.remoteModels("image")).map((m) => m.id)).toEqual(["fal:x"]);
  });

  it("says whether the studio fills one of a model's inputs from a request field (studio_params)", () => {
    const m = remoteModel({ id: "fal:x", studio_params: { prompt: "prompt", num_inference_steps: "steps" } });
    expect(takesField(m, "steps")).toBe(true);
    expect(takesField(m, "negative_prompt")).toBe(false);
  });
});
