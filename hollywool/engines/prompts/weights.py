"""A1111 attention weights in a prompt: `(word:1.3)`, `(word)` (x1.1), `[word]` (/1.1), nested, `\\(` for a literal.

The rule, in one place: the CLIP families (SD 1.x/2.x and SDXL, `ImageFamily.prompt_weights`) encode the
weights (clip_weights.py, through compel); every other family (FLUX, SD3, Z-Image, Qwen, video ...) gets the
prompt with the weight syntax stripped, `(cat:1.3)` -> `cat`, because its text encoder has no per-token
weights and would otherwise read the brackets and numbers as words.

The parser follows A1111's semantics (unclosed brackets weigh to the end of the prompt; a bracket without a
partner is kept as text); `BREAK` is not given a meaning and stays text.
"""

from __future__ import annotations

import re

UP = 1.1  # `(word)`
DOWN = 1 / 1.1  # `[word]`

# `:1.3)` closing a round bracket: the weight of what the bracket opened.
_WEIGHT = re.compile(r":\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\)")

Fragments = list[tuple[str, float]]


def parse(text: str) -> Fragments:
    """The prompt as runs of text with their weights; neighbouring runs of one weight are merged."""
    chars: list[str] = []  # the text, one character (or escaped character) at a time
    factors: list[float] = []  # the weight of each
    round_open: list[int] = []
    square_open: list[int] = []

    def weigh(start: int, factor: float) -> None:
        for k in range(start, len(factors)):
            factors[k] *= factor

    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            factors.append(1.0)
            i += 2
            continue
        weight = _WEIGHT.match(text, i) if c == ":" and round_open else None
        if weight:
            weigh(round_open.pop(), float(weight.group(1)))
            i = weight.end()
            continue
        if c == "(":
            round_open.append(len(chars))
        elif c == "[":
            square_open.append(len(chars))
        elif c == ")" and round_open:
            weigh(round_open.pop(), UP)
        elif c == "]" and square_open:
            weigh(square_open.pop(), DOWN)
        else:
            chars.append(c)
            factors.append(1.0)
        i += 1
    for start in round_open:
        weigh(start, UP)
    for start in square_open:
        weigh(start, DOWN)
    merged: Fragments = []
    for char, weight in zip(chars, factors, strict=True):
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + char, weight)
        else:
            merged.append((char, weight))
    return merged or [("", 1.0)]


def without_weights(text: str) -> str:
    """The prompt without its weight syntax: `a (cat:1.3), [dog]` -> `a cat, dog`."""
    if not any(c in text for c in "()[]\\"):
        return text
    return "".join(chars for chars, _ in parse(text))


def is_plain(fragments: Fragments) -> bool:
    """Every run has weight 1: the prompt means the same as its stripped text."""
    return all(weight == 1.0 for _, weight in fragments)
