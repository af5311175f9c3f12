"""PNG text chunks: what HollyWool writes into every image, and what other tools wrote."""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image, PngImagePlugin

HOLLYWOOL_CHUNK = "hollywool"


def png_bytes(image: Image.Image, chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key, value) if not value.isascii() else info.add_text(key, value)
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def read_text_chunks(data: bytes) -> dict[str, str]:
    with Image.open(io.BytesIO(data)) as img:
        return {k: v for k, v in (getattr(img, "text", None) or img.info).items() if isinstance(v, str)}


def hollywool_params(chunks: dict[str, str]) -> dict[str, Any] | None:
    raw = chunks.get(HOLLYWOOL_CHUNK)
    return json.loads(raw) if raw else None
