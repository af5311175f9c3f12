import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/client";
import { job } from "@/test/fixtures";
import { comfyJobView, constraintsOf, nodesOf, problemsOf } from "./ComfyUIPage";

describe("ComfyUI answers narrowed from the schema's open mappings", () => {
  it("reads a parameter's constraints", () => {
    expect(constraintsOf({ constraints: { min: 1, max: 150, step: 1, choices: ["a", "b"], multiline: true } })).toEqual({
      min: 1,
      max: 150,
      step: 1,
      choices: ["a", "b"],
      multiline: true,
    });
    expect(constraintsOf({ constraints: { min: "1", choices: "a" } })).toEqual({ min: undefined, max: undefined, step: undefined, choices: undefined, multiline: false });
  });

  it("lists the nodes of an API graph, skipping what is not a node", () => {
    const nodes = nodesOf({ "3": { class_type: "KSampler", inputs: { steps: 20 }, _meta: { title: "Sampler" } }, "4": { class_type: "Save" }, x: 5 });
    expect(nodes).toEqual([
      ["3", { class_type: "KSampler", inputs: { steps: 20 }, title: "Sampler" }],
      ["4", { class_type: "Save", inputs: {}, title: null }],
    ]);
  });

  it("takes the problems of a 422", () => {
    const e = new ApiError(422, "invalid", null, [{ type: "value_not_in_list", message: "3.steps: too many", node_id: "3", input_name: "steps" }, "junk"]);
    expect(problemsOf(e)).toEqual([
      { type: "value_not_in_list", message: "3.steps: too many", node_id: "3", node_class: null, input_name: "steps", value: undefined },
    ]);
    expect(problemsOf(new Error("x"))).toBeNull();
  });

  it("shows a ComfyUI job with its workflow values as params, the live state over it", () => {
    const { params: _p, ...base } = job({ id: "c1", kind: "comfyui", status: "queued" });
    const view = { ...base, workflow_id: "w1", workflow_name: "w", current_node: null, parameters: { "3.steps": 4 }, batch_index: 0, prompt_id: null, outputs: {} };
    expect(comfyJobView(view, undefined)).toMatchObject({ id: "c1", params: { "3.steps": 4 }, status: "queued" });
    expect(comfyJobView(view, job({ id: "c1", status: "running", progress: 50 }))?.status).toBe("running");
    expect(comfyJobView(undefined, undefined)).toBeUndefined();
  });
});
