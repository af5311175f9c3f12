import { describe, expect, it } from "vitest";
import { localModel, remoteModel } from "@/test/fixtures";
import { groupByCategory, isReady, localOptionSuffix, matchesSearch } from "@/pages/image/ModelSelect";
import { videoOptionLabel } from "@/pages/video/api";
import { addModelRequest, splitPaths, splitSummary } from "./AddModelDialog";
import { folderSummary } from "./ModelFoldersPanel";

describe("the Models page's groups and search", () => {
  const flux2 = localModel({ id: "flux2-klein-4b", name: "FLUX.2 Klein 4B", type: "flux2-klein", family: "FLUX.2 Klein", category: "fast" });
  const sd3 = localModel({ id: "sd3-medium", name: "SD3 Medium", type: "sd3", family: "Stable Diffusion 3", category: "quality", legacy: true });
  const zimage = localModel({ id: "z-image-turbo", name: "Z-Image Turbo", type: "zimage", family: "Z-Image", category: "quality" });
  const remote = remoteModel({ id: "fal:flux", name: "FLUX remote" });

  it("puts the legacy families in one Legacy group after every other group, remote ones included", () => {
    const groups = groupByCategory([sd3, remote, zimage, flux2]).map(([key, list]) => [key, list.map((m) => m.id)]);
    expect(groups[0]).toEqual(["fast", ["flux2-klein-4b"]]);
    expect(groups[1]).toEqual(["quality", ["z-image-turbo"]]);
    expect(groups.at(-1)).toEqual(["legacy", ["sd3-medium"]]);
  });

  it("matches every word against the name, the id and the family", () => {
    expect(matchesSearch(flux2, "klein")).toBe(true);
    expect(matchesSearch(flux2, "FLUX2-KLEIN")).toBe(true); // the id
    expect(matchesSearch(sd3, "stable diffusion")).toBe(true); // the family's words
    expect(matchesSearch(zimage, "klein")).toBe(false);
    expect(matchesSearch(zimage, "  ")).toBe(true);
  });

  it("marks the models that run without a download as ready", () => {
    const cached = localModel({ id: "a", source: "hub", downloaded: true, memory_gb: 0 });
    const missing = localModel({ id: "b", source: "hub", downloaded: false, memory_gb: 0 });
    const folder = localModel({ id: "c", source: "folder", downloaded: true, memory_gb: 0 });
    expect([cached, missing, folder].map(isReady)).toEqual([true, false, true]);
    expect(localOptionSuffix(folder)).toBe(" · ready");
    expect(localOptionSuffix(missing)).toBe("");
    expect(localOptionSuffix(remote)).toBe("");
  });
});

describe("adding a model", () => {
  it("leaves blank fields out so the server reads the family from the files", () => {
    expect(addModelRequest(" /m/my-model ", " ", "")).toEqual({ path: "/m/my-model" });
    expect(addModelRequest("/m/x.safetensors", "Mine", "sdxl")).toEqual({ path: "/m/x.safetensors", name: "Mine", type: "sdxl" });
  });

  it("sends split files only when given: text encoders one per line or comma-separated, a VAE", () => {
    expect(addModelRequest("/m/flux.gguf", "", "", { textEncoders: " \n ", vae: " " })).toEqual({ path: "/m/flux.gguf" });
    const split = { textEncoders: "/te/clip_l.safetensors\n\n /te/t5xxl.safetensors ,/te/clip_l.safetensors", vae: " /vae/ae.safetensors " };
    expect(addModelRequest("/m/flux.gguf", "", "flux", split)).toEqual({
      path: "/m/flux.gguf",
      type: "flux",
      text_encoders: ["/te/clip_l.safetensors", "/te/t5xxl.safetensors"],
      vae: "/vae/ae.safetensors",
    });
    expect(splitPaths("a, b\r\nc")).toEqual(["a", "b", "c"]);
    const ltx = { textEncoders: "/te/gemma.safetensors", vae: "/vae/video.safetensors", parts: "/vae/audio.safetensors\n/te/connector.safetensors" };
    expect(addModelRequest("/m/ltx.gguf", "", "", ltx).parts).toEqual(["/vae/audio.safetensors", "/te/connector.safetensors"]);
  });

  it("says which split files an added model reads", () => {
    expect(splitSummary({ text_encoders: ["a", "b"], vae: "v", parts: [] })).toBe("with 2 text encoders and a VAE");
    expect(splitSummary({ text_encoders: ["a"], vae: null, parts: [] })).toBe("with 1 text encoder");
    expect(splitSummary({ text_encoders: [], vae: "v", parts: [] })).toBe("with a VAE");
    expect(splitSummary({ text_encoders: [], vae: null, parts: [] })).toBe("");
    expect(splitSummary({ text_encoders: ["g"], vae: "v", parts: ["a", "c"] })).toBe("with 1 text encoder, a VAE and 2 part files");
  });

  it("sums up a models folder by role", () => {
    const file = (role: "checkpoint" | "lora" | "vae", model_id: string | null = null) => ({
      path: "/x",
      role,
      family: null,
      detail: "",
      precision: "fp16",
      size_bytes: 1,
      model_id,
      problem: null,
      text_encoders: [],
      vae: null,
      parts: [],
    });
    expect(folderSummary({ files: [file("checkpoint", "local-a"), file("checkpoint", "local-b"), file("lora")] })).toBe(
      "2 checkpoints · 1 LoRA · 2 usable as models",
    );
    expect(folderSummary({ files: [] })).toBe("no model files found");
  });
});

describe("the video picker", () => {
  it("says which local video models are ready", () => {
    const m = { id: "ltx", name: "LTX-2.3", audio: true } as Parameters<typeof videoOptionLabel>[0];
    expect(videoOptionLabel(m, new Set(["ltx"]))).toBe("LTX-2.3 (with audio) · ready");
    expect(videoOptionLabel(m, new Set())).toBe("LTX-2.3 (with audio)");
  });
});
