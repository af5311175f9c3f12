import { describe, expect, it } from "vitest";
import { style } from "@/test/fixtures";
import { NO_STYLE, applyStyle, styleChoices } from "./styles";

describe("applyStyle (client side, as hollywool/engines/diffusers/styles.py does it)", () => {
  const cinematic = style({ id: "cinematic", template: "cinematic film still of {prompt}, film grain", negative: "cartoon, flat lighting" });

  it("puts the prompt where the template's {prompt} is and appends the style's negative", () => {
    expect(applyStyle(" a fox ", "blurry", cinematic)).toEqual({ prompt: "cinematic film still of a fox, film grain", negative: "blurry, cartoon, flat lighting" });
    expect(applyStyle("a fox", "", cinematic).negative).toBe("cartoon, flat lighting");
  });

  it("replaces every placeholder, and keeps the prompt when the template has none", () => {
    expect(applyStyle("x", null, style({ id: "twice", template: "{prompt} and {prompt}" })).prompt).toBe("x and x");
    expect(applyStyle("a fox", null, style({ id: "plain", template: "oil painting" })).prompt).toBe("a fox, oil painting");
  });

  it("leaves the prompt alone without a style, and for the None preset", () => {
    expect(applyStyle(" a fox ", " ", undefined)).toEqual({ prompt: "a fox", negative: null });
    expect(applyStyle("a fox", null, NO_STYLE)).toEqual({ prompt: "a fox", negative: null });
  });

});

describe("styleChoices", () => {
  it("is None and then the server's styles, in its order, with nothing of the UI's own", () => {
    const server = [style({ id: "cinematic", template: "cinematic film still of {prompt}" }), style({ id: "anime" })];
    expect(styleChoices(server).map((s) => s.id)).toEqual(["none", "cinematic", "anime"]);
    expect(styleChoices(server)[1].template).toBe("cinematic film still of {prompt}");
    expect(styleChoices([NO_STYLE, ...server]).map((s) => s.id)).toEqual(["none", "cinematic", "anime"]);
    expect(styleChoices(undefined)).toEqual([NO_STYLE]);
  });
});
