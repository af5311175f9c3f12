import { describe, expect, it } from "vitest";
import { hasWord, insertWord } from "./prompt";

describe("inserting a LoRA trigger word into the prompt", () => {
  it("makes an empty prompt the word itself", () => {
    expect(insertWord("", "inkpunk")).toBe("inkpunk");
    expect(insertWord("   ", " inkpunk ")).toBe("inkpunk");
  });

  it("appends as a comma-separated term", () => {
    expect(insertWord("a lighthouse at dusk", "inkpunk")).toBe("a lighthouse at dusk, inkpunk");
    expect(insertWord("a lighthouse at dusk  \n", "inkpunk")).toBe("a lighthouse at dusk, inkpunk");
  });

  it("reuses a trailing comma instead of doubling it", () => {
    expect(insertWord("a lighthouse,", "inkpunk")).toBe("a lighthouse, inkpunk");
    expect(insertWord("a lighthouse, ", "inkpunk")).toBe("a lighthouse, inkpunk");
  });

  it("never inserts a word twice", () => {
    const once = insertWord("a lighthouse", "inkpunk");
    expect(insertWord(once, "inkpunk")).toBe(once);
    expect(insertWord("InkPunk style, a lighthouse", "inkpunk")).toBe("InkPunk style, a lighthouse");
    expect(insertWord("a lighthouse, pixel art style", "pixel art")).toBe("a lighthouse, pixel art style");
  });

  it("matches whole words only", () => {
    expect(hasWord("inkpunkish lighthouse", "inkpunk")).toBe(false);
    expect(insertWord("inkpunkish lighthouse", "inkpunk")).toBe("inkpunkish lighthouse, inkpunk");
    expect(hasWord("a (ohwx:1.2) man", "ohwx")).toBe(true);
  });

  it("treats regular-expression characters in a trigger word literally", () => {
    expect(hasWord("a photo of sks", "s.s")).toBe(false);
    expect(insertWord("a photo", "<lora:ink>")).toBe("a photo, <lora:ink>");
    expect(hasWord("a photo, <lora:ink>", "<lora:ink>")).toBe(true);
  });
});
