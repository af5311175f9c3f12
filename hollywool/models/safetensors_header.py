"""Read a .safetensors file's tensor names, shapes and metadata from its header, without torch."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

_MAX_HEADER = 100 * 1024 * 1024


def read_header(path: Path) -> tuple[dict[str, list[int]], dict[str, str]]:
    """({tensor name: shape}, metadata) of a safetensors file; ValueError when it is not one."""
    tensors, metadata = read_tensors(path)
    return {k: v.get("shape", []) for k, v in tensors.items()}, metadata


def read_tensors(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """({tensor name: {"dtype", "shape", "data_offsets"}}, metadata) of a safetensors file; ValueError when
    it is not one. The dtype is safetensors' name: "BF16", "F16", "F32", "F8_E4M3", ..."""
    with open(path, "rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path.name}: not a safetensors file")
        (size,) = struct.unpack("<Q", raw)
        if size > _MAX_HEADER:
            raise ValueError(f"{path.name}: not a safetensors file")
        try:
            header: dict[str, Any] = json.loads(fh.read(size))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError(f"{path.name}: not a safetensors file") from None
    metadata: dict[str, str] = header.pop("__metadata__", None) or {}
    tensors: dict[str, dict[str, Any]] = {k: v for k, v in header.items() if isinstance(v, dict)}
    return tensors, metadata
