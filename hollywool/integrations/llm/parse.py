"""Reading a list of prompts out of what a language model wrote: JSON, numbered lists, bullets,
with or without extra prose around them."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_ITEM = re.compile(r"^\s*(?:(?:prompt|variation)\s*)?(?:#?\d{1,3}\s*[.):\]-]|[-*•]|\(\d{1,3}\))\s+(.*\S)\s*$", re.I)
_LABEL = re.compile(r"^\s*(?:\*\*)?(?:prompt|variation)\s*#?\d{1,3}(?:\*\*)?\s*[:.-]\s*(.*\S)\s*$", re.I)
_KEYS = ("variations", "prompts", "items", "results", "data")


def _from_json_value(value: Any) -> list[str] | None:
    if isinstance(value, dict):
        for key in _KEYS:
            if key in value:
                return _from_json_value(value[key])
        lists = [v for v in value.values() if isinstance(v, list)]
        return _from_json_value(lists[0]) if len(lists) == 1 else None
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict):
                text = item.get("prompt") or item.get("text") or item.get("variation")
                if isinstance(text, str):
                    out.append(text)
        return out if out else None
    return None


def _json_candidates(text: str) -> list[str]:
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    candidates.append(text)
    for opener, closer in (("[", "]"), ("{", "}")):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    return candidates


def _clean(item: str) -> str:
    item = item.strip().strip("*").strip()
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'“”":
        item = item[1:-1]
    item = item.strip("“”").strip()
    return re.sub(r"\s+", " ", item)


def parse_prompts(text: str) -> list[str]:
    """Every prompt found in `text`, cleaned and de-duplicated, in order."""
    found: list[str] | None = None
    for candidate in _json_candidates(text):
        try:
            found = _from_json_value(json.loads(candidate.strip()))
        except (ValueError, TypeError):
            continue
        if found:
            break
    if not found:
        found = _list_items(text)
    out, seen = [], set()
    for item in found or []:
        cleaned = _clean(item)
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            out.append(cleaned)
    return out


def _list_items(text: str) -> list[str]:
    text = _FENCE.sub(lambda m: m.group(1), text)
    items: list[str] = []
    in_item = False
    for line in text.splitlines():
        match = _LABEL.match(line) or _ITEM.match(line)
        if match:
            items.append(match.group(1))
            in_item = True
        elif line.strip() and in_item and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()  # a wrapped continuation of the item above
        else:
            in_item = False
    if items:
        return items
    # No list markers: one prompt per non-empty line, minus an introduction ending with a colon.
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return [ln for ln in lines if not ln.endswith(":")]
