import { describe, expect, it } from "vitest";
import { configProblemsNotice } from "./ModelsPage";

describe("config.yaml problems on the Models page", () => {
  it("says nothing when every entry was used", () => {
    expect(configProblemsNotice({ path: "/d/config.yaml", errors: [], skipped: [] })).toBeNull();
    expect(configProblemsNotice(undefined)).toBeNull();
  });

  it("counts and names the skipped entries with their reasons", () => {
    const notice = configProblemsNotice({
      path: "/d/config.yaml",
      errors: [],
      skipped: [
        { id: "my-model", reason: "path /x does not exist" },
        { id: "other", reason: "it has no `type`" },
      ],
    });
    expect(notice?.title).toBe("2 entries in config.yaml were skipped:");
    expect(notice?.lines).toEqual(["my-model: path /x does not exist", "other: it has no `type`"]);
    expect(configProblemsNotice({ path: null, errors: [], skipped: [{ id: "a", reason: "r" }] })?.title).toBe(
      "1 entry in config.yaml was skipped:",
    );
  });

  it("says when the file itself could not be read", () => {
    const notice = configProblemsNotice({ path: "/d/config.yaml", errors: ["/d/config.yaml is not valid YAML: x at line 3, column 2. It was not read."], skipped: [] });
    expect(notice?.title).toMatch(/could not be read/);
    expect(notice?.lines[0]).toMatch(/line 3/);
  });
});
