import { describe, expect, it } from "vitest";
import { style } from "@/test/fixtures";
import { NO_STYLE, styleChoices } from "./styles";

describe("styleChoices", () => {
  it("is None and then the server's styles, in its order, with nothing of the UI's own", () => {
    const server = [style({ id: "cinematic", template: "cinematic film still of {prompt}" }), style({ id: "anime" })];
    expect(styleChoices(server).map((s) => s.id)).toEqual(["none", "cinematic", "anime"]);
    expect(styleChoices(server)[1].template).toBe("cinematic film still of {prompt}");
    expect(styleChoices([NO_STYLE, ...server]).map((s) => s.id)).toEqual(["none", "cinematic", "anime"]);
    expect(styleChoices(undefined)).toEqual([NO_STYLE]);
  });
});
