"""The default reply of the fake LLM servers: a numbered list of N variations of the user's idea,
with N read from the prompt ("give me 4 variations ...")."""

from __future__ import annotations

import re

_COUNT = re.compile(
    r"\b(\d{1,2})\s+(?:\w+\s+){0,2}(?:variations?|variants?|versions?|prompts?|ideas?|alternatives?)\b",
    re.IGNORECASE,
)
STYLES = [
    "cinematic lighting",
    "watercolor style",
    "golden hour",
    "dramatic shadows",
    "pastel palette",
    "ultra detailed",
    "film grain",
    "soft focus",
    "neon glow",
    "minimalist composition",
]


def requested_count(text: str, default: int = 3) -> int:
    match = _COUNT.search(text)
    return int(match.group(1)) if match else default


def idea_of(text: str) -> str:
    quoted = re.search(r'"([^"]+)"', text)
    line = quoted.group(1) if quoted else text.strip().splitlines()[-1] if text.strip() else "an image"
    return line.strip()[:200]


def default_variations(text: str) -> str:
    n = requested_count(text)
    idea = idea_of(text)
    return "\n".join(f"{i}. {idea}, {STYLES[(i - 1) % len(STYLES)]}" for i in range(1, n + 1))


def text_of(content) -> str:
    """Text of a message's content, a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content or [] if isinstance(block, dict))
