"""Workflows embedded in images that ComfyUI saved.

PNG: text chunks `prompt` (API graph) and `workflow` (editor format).
WebP (SaveAnimatedWEBP / SaveWEBM posters): EXIF strings "prompt:{json}" (tag 0x0110) and
"workflow:{json}" (tag 0x010F and below), as ComfyUI writes them.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from hollywool.engines.comfyui.limits import too_deep
from hollywool.engines.comfyui.workflow_formats import WorkflowError
from hollywool.json_types import JsonObject, JsonValue

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Embedded:
    prompt: JsonObject | None
    workflow: JsonObject | None


def looks_like_image(data: bytes) -> bool:
    return data.startswith(PNG_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def read_embedded(data: bytes) -> Embedded:
    """Read the prompt and workflow ComfyUI embedded in a PNG or WebP; WorkflowError if neither is there."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            info = getattr(img, "text", None) or img.info
            texts: dict[str, str] = {k: v for k, v in info.items() if isinstance(k, str) and isinstance(v, str)}
            if img.format == "WEBP":
                for value in img.getexif().values():
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if isinstance(value, str) and ":" in value:
                        key, _, rest = value.partition(":")
                        if key in ("prompt", "workflow"):
                            texts.setdefault(key, rest)
    except (UnidentifiedImageError, OSError, ValueError) as exc:  # PIL: ValueError for oversized text chunks
        raise WorkflowError([f"not a readable image: {exc}"], field="file") from None
    found = Embedded(_parse(texts.get("prompt")), _parse(texts.get("workflow")))
    if found.prompt is None and found.workflow is None:
        raise WorkflowError(
            ["the image has no embedded ComfyUI workflow (no 'prompt' or 'workflow' text)"], field="file"
        )
    return found


def _parse(raw: str | None) -> JsonObject | None:
    if not raw:
        return None
    try:
        value: JsonValue = json.loads(raw)
    except RecursionError:
        raise too_deep("file") from None
    except ValueError:
        return None
    return value if isinstance(value, dict) and value else None
