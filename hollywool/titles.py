"""Short session titles from a prompt, made locally (no network, no model)."""

from __future__ import annotations

import re

_NOISE = re.compile(r"<[^>]*>|\(([^():]*)(?::[\d.]+)?\)|\[[^\]]*\]|:\d+(\.\d+)?")
_QUALITY = {
    "masterpiece", "best", "quality", "highly", "detailed", "high", "detail", "8k", "4k", "hd", "uhd", "ultra",
    "realistic", "photorealistic", "sharp", "focus", "trending", "artstation", "octane", "render", "cinematic",
    "lighting", "award", "winning", "intricate", "professional", "photo", "photograph", "of", "illustration",
}  # fmt: skip
_SMALL = {"a", "an", "the", "and", "or", "in", "on", "at", "of", "with", "to", "for", "by", "from"}


def title_from_prompt(prompt: str, max_words: int = 6) -> str:
    """The prompt's subject in title case: weights, LoRA tags and quality boilerplate removed."""
    text = _NOISE.sub(lambda m: m.group(1) or " ", prompt)
    clauses = [c.strip() for c in re.split(r"[,.;\n|]+", text) if c.strip()]
    words: list[str] = []
    for clause in clauses:
        candidate = [w for w in re.findall(r"[\w'-]+", clause) if w.lower() not in _QUALITY or words]
        if not candidate:
            continue
        words.extend(candidate)
        if len(words) >= 3:
            break
    while words and words[0].lower() in {"a", "an", "the"}:
        words.pop(0)
    words = words[:max_words]
    while words and words[-1].lower() in _SMALL:
        words.pop()
    if not words:
        return "Untitled"
    return " ".join(w if i and w.lower() in _SMALL else w[:1].upper() + w[1:] for i, w in enumerate(words))
