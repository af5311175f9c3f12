import { describe, expect, it } from "vitest";
import { formatBytes, formatSeconds, titleFromPrompt } from "./utils";

describe("utils", () => {
  it("names a session from the first words of a prompt", () => {
    expect(titleFromPrompt("a lighthouse on a cliff at dusk, oil painting, dramatic")).toBe("A lighthouse on a cliff at");
    expect(titleFromPrompt("   ")).toBe("New session");
    expect(titleFromPrompt("cat,")).toBe("Cat");
    expect(titleFromPrompt("x".repeat(80)).length).toBeLessThanOrEqual(48);
  });
  it("formats sizes and durations", () => {
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(null)).toBe("–");
    expect(formatSeconds(75)).toBe("1m 15s");
    expect(formatSeconds(0.2)).toBe("<1s");
  });
});
