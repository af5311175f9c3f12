"""PNG text chunks: what HollyWool writes into every image, and what other tools wrote.

Reading treats the chunks as untrusted: a PNG is walked chunk by chunk (no pixels decoded), each
text chunk is bounded before and after decompression, and a chunk that cannot be read is listed in
`TextChunks.unreadable` with the reason instead of failing the whole read.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

from PIL import Image, PngImagePlugin

HOLLYWOOL_CHUNK = "hollywool"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 16 * 1024 * 1024  # one chunk, decompressed (big ComfyUI workflows are a few MB)
MAX_TOTAL_TEXT_BYTES = 64 * 1024 * 1024


class TextChunks(dict[str, str]):
    """Text chunks by keyword, plus sentences about the chunks that could not be read."""

    def __init__(self, chunks: dict[str, str] | None = None, unreadable: list[str] | None = None):
        super().__init__(chunks or {})
        self.unreadable: list[str] = list(unreadable or [])


def png_bytes(image: Image.Image, chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key, value) if not value.isascii() else info.add_text(key, value)
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def read_text_chunks(data: bytes) -> TextChunks:
    """The text chunks of a PNG (or the string metadata Pillow reads from another image format).

    Raises OSError only when the data is not an image at all; odd chunks are reported, not raised.
    """
    if data.startswith(PNG_SIGNATURE):
        return _read_png_text(data)
    with Image.open(io.BytesIO(data)) as img:
        return TextChunks({k: v for k, v in img.info.items() if isinstance(k, str) and isinstance(v, str)})


def _read_png_text(data: bytes) -> TextChunks:
    out = TextChunks()
    pos, total = len(PNG_SIGNATURE), 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            break
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        name = kind.decode()
        try:
            key, value = _text_chunk(kind, body, MAX_TOTAL_TEXT_BYTES - total)
        except ValueError as exc:
            keyword = body.split(b"\0", 1)[0][:79].decode("latin-1", "replace")
            out.unreadable.append(f"{keyword or name}: {exc}")
            continue
        total += len(value)
        out[key] = value  # the last one wins, as in Pillow
    return out


def _text_chunk(kind: bytes, body: bytes, room: int) -> tuple[str, str]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk; ValueError with a sentence when unreadable."""
    keyword, sep, rest = body.partition(b"\0")
    if not sep or not keyword or len(keyword) > 79:
        raise ValueError("the text chunk has no valid keyword")
    limit = min(MAX_TEXT_BYTES, room)
    if kind == b"tEXt":
        raw, encoding = rest, "latin-1"
    elif kind == b"zTXt":
        raw, encoding = _inflate(rest[1:], limit), "latin-1"
    else:  # iTXt: compressed flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            raise ValueError("the international text chunk is cut short")
        compressed, rest = rest[0], rest[2:]
        parts = rest.split(b"\0", 2)
        if len(parts) != 3:
            raise ValueError("the international text chunk is cut short")
        raw, encoding = (_inflate(parts[2], limit) if compressed else parts[2]), "utf-8"
    if len(raw) > limit:
        raise ValueError(f"the text is larger than {limit // (1024 * 1024)} MB; it was not read")
    try:
        return keyword.decode("latin-1"), raw.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError("the text is not valid UTF-8") from None


def _inflate(compressed: bytes, limit: int) -> bytes:
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, limit + 1)
    except zlib.error:
        raise ValueError("the compressed text is damaged") from None
    if len(raw) > limit:
        raise ValueError(f"the text is larger than {limit // (1024 * 1024)} MB once decompressed; it was not read")
    return raw


def hollywool_params(chunks: dict[str, str]) -> dict[str, Any] | None:
    """The parameters HollyWool recorded, or None when absent or not a JSON object."""
    raw = chunks.get(HOLLYWOOL_CHUNK)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
