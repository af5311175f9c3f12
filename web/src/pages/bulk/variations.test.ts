import { describe, expect, it } from "vitest";
import { fromTexts, listProblem, promptsOf, regenerateGuidance, variationFormErrors, variationsReducer, type Variation } from "./variations";

const texts = (l: Variation[]) => l.map((v) => v.text);

describe("variationsReducer", () => {
  const start = fromTexts(["a fox", "a bear", "an owl"]);

  it("replaces the list with a fresh set, each with its own key", () => {
    const l = variationsReducer(start, { type: "replace", texts: ["x", "y"] });
    expect(texts(l)).toEqual(["x", "y"]);
    expect(new Set(l.map((v) => v.key)).size).toBe(2);
    expect(l.some((v) => start.some((s) => s.key === v.key))).toBe(false);
  });

  it("adds at the end, or right after a given prompt", () => {
    expect(texts(variationsReducer(start, { type: "add", text: "a deer" }))).toEqual(["a fox", "a bear", "an owl", "a deer"]);
    expect(texts(variationsReducer(start, { type: "add", after: start[0].key }))).toEqual(["a fox", "", "a bear", "an owl"]);
  });

  it("removes and edits one prompt by key, leaving the others and their keys alone", () => {
    const removed = variationsReducer(start, { type: "remove", key: start[1].key });
    expect(texts(removed)).toEqual(["a fox", "an owl"]);
    expect(removed[1].key).toBe(start[2].key);
    const edited = variationsReducer(start, { type: "edit", key: start[2].key, text: "a snowy owl at night" });
    expect(texts(edited)).toEqual(["a fox", "a bear", "a snowy owl at night"]);
    expect(edited[0]).toBe(start[0]);
  });

  it("moves a prompt up or down, not past the ends", () => {
    expect(texts(variationsReducer(start, { type: "move", key: start[2].key, delta: -1 }))).toEqual(["a fox", "an owl", "a bear"]);
    expect(variationsReducer(start, { type: "move", key: start[0].key, delta: -1 })).toBe(start);
    expect(variationsReducer(start, { type: "move", key: start[2].key, delta: 1 })).toBe(start);
  });

  it("clears", () => {
    expect(variationsReducer(start, { type: "clear" })).toEqual([]);
  });
});

describe("checks before a run", () => {
  it("sends trimmed prompts in order", () => {
    expect(promptsOf(fromTexts(["  a fox ", "a bear\n"]))).toEqual(["a fox", "a bear"]);
  });

  it("names the empty prompts by position", () => {
    expect(listProblem([])).toBe("Add at least one prompt.");
    expect(listProblem(fromTexts(["a", " ", "b"]))).toMatch(/^Prompt 2 is empty/);
    expect(listProblem(fromTexts(["", "a", ""]))).toMatch(/^Prompts 1, 3 are empty/);
    expect(listProblem(fromTexts(["a", "b"]))).toBeNull();
    expect(listProblem(fromTexts(Array.from({ length: 501 }, () => "x")))).toMatch(/at most 500/);
  });

  it("refuses an empty idea and a count out of 1..100", () => {
    expect(variationFormErrors("", 5)).toEqual({ base_prompt: "Describe the idea first." });
    expect(variationFormErrors("an idea", 0).count).toBeDefined();
    expect(variationFormErrors("an idea", 101).count).toBeDefined();
    expect(variationFormErrors("an idea", 2.5).count).toBeDefined();
    expect(variationFormErrors("an idea", 100)).toEqual({});
  });
});

describe("regenerateGuidance", () => {
  it("keeps the style and lists the other prompts so the new one differs", () => {
    const g = regenerateGuidance("watercolour", ["a fox", "", "a bear"]);
    expect(g).toContain("watercolour");
    expect(g).toContain("- a fox\n- a bear");
  });

  it("is empty with nothing to say, and shortens long prompts", () => {
    expect(regenerateGuidance(" ", [])).toBe("");
    const g = regenerateGuidance("", ["x".repeat(300)]);
    expect(g.length).toBeLessThan(260);
    expect(g).toContain("…");
  });
});
