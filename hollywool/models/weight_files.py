"""What a weights file holds, from its header alone: tensor names, shapes, dtypes (.safetensors and .gguf).

Nothing here loads weights or imports torch: a safetensors file's JSON header and a GGUF file's tensor
table are read (GGUF through `gguf.GGUFReader`, which maps the file without reading its data). The
precision of a file is the dtype that holds most of its parameters: "fp8" for `float8_e4m3fn` weights,
the quantization type ("Q8_0", "Q4_K", ...) for GGUF files.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hollywool.models.safetensors_header import read_tensors

WEIGHT_SUFFIXES = (".safetensors", ".sft", ".gguf")
FP8 = "fp8"
# Bytes per parameter of the safetensors dtypes a model file uses.
_SAFETENSORS_BYTES = {
    "F64": 8.0, "F32": 4.0, "BF16": 2.0, "F16": 2.0, "F8_E4M3": 1.0, "F8_E5M2": 1.0,
    "I64": 8.0, "I32": 4.0, "I16": 2.0, "I8": 1.0, "U8": 1.0, "BOOL": 1.0,
}  # fmt: skip
_PRECISION = {"BF16": "bf16", "F16": "fp16", "F32": "fp32", "F8_E4M3": FP8, "F8_E5M2": "fp8_e5m2"}
_GGUF_FLOAT = {"F32": "fp32", "F16": "fp16", "BF16": "bf16"}


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: str  # safetensors' dtype name ("BF16", "F8_E4M3") or the GGUF type name ("Q8_0", "F16")
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class WeightFile:
    path: Path
    format: Literal["safetensors", "gguf"]
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]

    @property
    def shapes(self) -> dict[str, list[int]]:
        return {name: list(t.shape) for name, t in self.tensors.items()}

    @property
    def precision(self) -> str:
        """The dtype most parameters are stored in: bf16, fp16, fp32, fp8, or a GGUF type (Q8_0, Q4_K, ...)."""
        counts: Counter[str] = Counter()
        for t in self.tensors.values():
            counts[t.dtype] += t.numel
        if not counts:
            return "unknown"
        dtype = counts.most_common(1)[0][0]
        if self.format == "gguf":
            return _GGUF_FLOAT.get(dtype, dtype)
        return _PRECISION.get(dtype, dtype.lower())

    @property
    def is_fp8(self) -> bool:
        return self.format == "safetensors" and self.precision == FP8

    @property
    def scaled_fp8(self) -> bool:
        """ComfyUI's "scaled" fp8 (a `scale_weight` or `weight_scale` per layer): upcast with its scales, never kept."""
        return is_scaled_fp8_names(self.tensors)

    def has_fp8(self, prefix: str | tuple[str, ...] = "") -> bool:
        """Whether tensors under `prefix` are float8_e4m3fn that can stay so (not scaled fp8)."""
        fp8 = any(t.dtype == "F8_E4M3" for n, t in self.tensors.items() if n.startswith(prefix))
        return fp8 and not self.scaled_fp8

    @property
    def is_gguf(self) -> bool:
        return self.format == "gguf"


def is_weight_file(path: Path) -> bool:
    return path.suffix.lower() in WEIGHT_SUFFIXES


# ComfyUI's scaled fp8 files: the older `scaled_fp8` marker with `<layer>.scale_weight`, and the mixed-precision
# format of its newer repackagings (flux2_dev_fp8mixed, qwen_image_edit_2511_fp8mixed): `<layer>.weight_scale`, with
# `<layer>.input_scale` (activation scales, unused when upcasting) and a `<layer>.comfy_quant` description beside it.
SCALE_SUFFIXES = (".scale_weight", ".weight_scale")
SCALE_ONLY_SUFFIXES = (*SCALE_SUFFIXES, ".scaled_fp8", ".scale_input", ".input_scale", ".comfy_quant")


def is_scaled_fp8_names(names: Any) -> bool:
    return any(n == "scaled_fp8" or n.endswith((".scaled_fp8", *SCALE_SUFFIXES)) for n in names)


def read_weight_file(path: Path) -> WeightFile:
    """The header of a .safetensors or .gguf file; ValueError when it is neither, OSError when unreadable."""
    if path.suffix.lower() == ".gguf":
        return _read_gguf(path)
    raw, metadata = read_tensors(path)
    tensors: dict[str, TensorInfo] = {}
    for name, info in raw.items():
        shape = tuple(int(d) for d in info.get("shape", []))
        dtype = str(info.get("dtype", ""))
        offsets = info.get("data_offsets") or [0, 0]
        nbytes = int(offsets[1]) - int(offsets[0]) if len(offsets) == 2 else 0
        nbytes = nbytes or int(math.prod(shape) * _SAFETENSORS_BYTES.get(dtype, 2.0))
        tensors[name] = TensorInfo(shape, dtype, nbytes)
    return WeightFile(path, "safetensors", tensors, metadata)


def _read_gguf(path: Path) -> WeightFile:
    from gguf import GGUFReader, GGUFValueType

    try:
        reader = GGUFReader(path)
    except (ValueError, IndexError, KeyError) as exc:  # a bad magic number, a truncated table
        raise ValueError(f"{path.name}: not a GGUF file ({exc})") from None
    tensors = {
        # GGUF stores dimensions innermost first; torch's order is the reverse.
        t.name: TensorInfo(tuple(int(d) for d in reversed(t.shape.tolist())), t.tensor_type.name, int(t.n_bytes))
        for t in reader.tensors
    }
    metadata: dict[str, str] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or not field.types or field.types[0] == GGUFValueType.ARRAY:
            continue
        metadata[key] = str(field.contents())
    return WeightFile(path, "gguf", tensors, metadata)
