"""Read a .safetensors checkpoint into memory in the dtype the model will run in, one tensor at a time.

`safetensors.torch.load_file` maps the file: every page a loader touches stays in the process (as
file-backed resident memory) until the whole state dict is dropped, so loading an fp16 checkpoint
into an fp32 model holds both at once (2.1 GB on top of 4.1 GB for SD 1.5). Reading each tensor with
plain reads and casting it right away holds only the target copy: the model's parameters can then be
these very tensors (diffusers does not copy a tensor that already has the right dtype and device).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

_CHUNK = 64 * 1024 * 1024


def _torch_dtypes() -> dict[str, torch.dtype]:
    import torch

    return {
        "F64": torch.float64,
        "F32": torch.float32,
        "F16": torch.float16,
        "BF16": torch.bfloat16,
        "F8_E4M3": torch.float8_e4m3fn,
        "F8_E5M2": torch.float8_e5m2,
        "I64": torch.int64,
        "I32": torch.int32,
        "I16": torch.int16,
        "I8": torch.int8,
        "U8": torch.uint8,
        "BOOL": torch.bool,
    }


def _read_into(fh: Any, target: torch.Tensor) -> None:
    """Fill a contiguous tensor with the next bytes of the file."""
    import torch

    view = target.view(-1).view(torch.uint8).numpy().data.cast("B")
    done = 0
    while done < len(view):
        n = fh.readinto(view[done : done + _CHUNK])
        if not n:
            raise ValueError("the file ends before its last tensor")
        done += n


def read_state_dict(
    path: Path, dtype: torch.dtype | None = None, select: Callable[[str], bool] | None = None
) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file (those whose name `select` accepts); floating-point ones cast to
    `dtype` as they are read (None: as stored, so fp8 stays fp8).

    A cast goes through one reused chunk buffer into the final tensor, so no file-sized temporary
    is ever allocated (fresh pages cost more than the copy).
    """
    import torch

    dtypes = _torch_dtypes()
    chunk: torch.Tensor | None = None
    with open(path, "rb", buffering=0) as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header: dict[str, Any] = json.loads(fh.read(size))
        header.pop("__metadata__", None)
        base = 8 + size
        out: dict[str, torch.Tensor] = {}
        for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
            if select is not None and not select(name):
                continue
            stored = dtypes[info["dtype"]]
            cast = dtype is not None and stored.is_floating_point and stored != dtype
            tensor = torch.empty(info["shape"], dtype=dtype if cast else stored)
            fh.seek(base + info["data_offsets"][0])
            if not cast:
                _read_into(fh, tensor)
            else:
                if chunk is None:
                    chunk = torch.empty(_CHUNK, dtype=torch.uint8)
                flat, per = tensor.view(-1), _CHUNK // stored.itemsize
                for first in range(0, flat.numel(), per):
                    part = chunk[: min(per, flat.numel() - first) * stored.itemsize]
                    _read_into(fh, part)
                    flat[first : first + part.numel() // stored.itemsize].copy_(part.view(stored))
            out[name] = tensor
    return out
