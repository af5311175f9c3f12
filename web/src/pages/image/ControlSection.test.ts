import { describe, expect, it } from "vitest";
import { defaultForm, saveForm, loadForm, toRequest, type ControlChoice } from "./formState";
import { ApiError } from "@/api/client";
import { downloadJobOf, preprocessorFor } from "./ControlSection";

const preprocessors = [
  { id: "none", name: "None", produces: null, model: false, downloaded: true, size_gb: 0 },
  { id: "canny", name: "Canny", produces: "canny", model: false, downloaded: true, size_gb: 0 },
  { id: "tile", name: "Tile", produces: "tile", model: false, downloaded: true, size_gb: 0 },
  { id: "depth-anything-v2-small", name: "Depth", produces: "depth", model: true, downloaded: false, size_gb: 0.1 },
];

const choice: ControlChoice = {
  key: "k",
  image: { base64: "AAAA", preview: "data:image/png;base64,AAAA" },
  model: "union",
  type: "canny",
  preprocessor: "canny",
  scale: 0.6,
  start: 0,
  end: 0.8,
};

describe("control section", () => {
  it("picks the preprocessor that makes a type's maps", () => {
    expect(preprocessorFor("canny", preprocessors)).toBe("canny");
    expect(preprocessorFor("depth", preprocessors)).toBe("depth-anything-v2-small");
    expect(preprocessorFor("pose", preprocessors)).toBe("none");
    const pose = { id: "vitpose-base-simple", name: "ViTPose Base (pose)", produces: "pose", model: true, downloaded: false, size_gb: 0.5 };
    expect(preprocessorFor("pose", [...preprocessors, pose])).toBe("vitpose-base-simple");
  });

  it("reads the download job a preview's 409 names, and nothing from other failures", () => {
    const downloading = new ApiError(409, "Depth is not downloaded yet; downloading it now", "preprocessor", { download_job_id: "job-1", model: "depth" });
    expect(downloadJobOf(downloading)).toBe("job-1");
    expect(downloadJobOf(new ApiError(409, "busy"))).toBeNull();
    expect(downloadJobOf(new ApiError(422, "no person", "image", { download_job_id: "job-1" }))).toBeNull();
    expect(downloadJobOf(new Error("network"))).toBeNull();
  });

  it("sends the control input with its image as the API takes it, and does not save it with the form", () => {
    const form = { ...defaultForm(), prompt: "a house", model: "tiny-sdxl", control: [choice] };
    const req = toRequest(form, { sessionId: null, references: [], styles: [] });
    expect(req.control).toEqual([{ model: "union", type: "canny", preprocessor: "canny", scale: 0.6, start: 0, end: 0.8, image: { image_base64: "AAAA" } }]);
    saveForm(form);
    expect(loadForm().control).toBeUndefined();
    expect(toRequest({ ...form, control: [] }, { sessionId: null, references: [], styles: [] }).control).toBeUndefined();
  });
});
