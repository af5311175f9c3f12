"""Weights per precision: what a family declares, what a model's files hold, and what each precision costs.

A family declares the published size of each component's weights per precision (`Weights`, one line
per component). A model on disk is measured instead: a safetensors header gives every tensor's shape,
so its parameter count is exact, and a GGUF file is counted as it is (its blocks stay quantized in
memory). From the parameter counts `needs` gives each component's bytes at the run dtype and in fp8,
which is what the memory plan chooses between (memory.py). This is the one rule for weight memory: a whole
checkpoint, split files (each text encoder and VAE file measured on its own), fp8 and GGUF files included.

fp8 here is storage only: weights kept in float8_e4m3fn and cast up layer by layer for compute
(diffusers' layerwise casting), applied to the denoiser and the text encoders, never to the VAE.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hollywool.models.gguf_text_encoders import stays_quantized
from hollywool.models.weight_files import is_scaled_fp8_names, read_weight_file

# Bytes per parameter; GGUF block formats include their scales (Q8_0: 34 bytes per 32 weights, K-quants per 256).
BYTES_PER_PARAM: dict[str, float] = {
    "float32": 4,  # run dtypes, as torch names them
    "bfloat16": 2,
    "float16": 2,
    "fp32": 4,
    "bf16": 2,
    "fp16": 2,
    "fp8": 1,
    "q8_0": 34 / 32,
    "q5_k": 176 / 256,
    "q4_k": 144 / 256,
}
LABELS = {"fp32": "fp32", "bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "q8_0": "GGUF Q8_0",
          "q5_k": "GGUF Q5_K", "q4_k": "GGUF Q4_K", "gguf": "GGUF"}  # fmt: skip
PUBLISHED_GB = 1e9  # published file sizes are decimal gigabytes, as the model hub lists them
# Components whose weights may be kept in fp8 at run time: the denoiser and the text encoders.
_FP8_PREFIXES = ("transformer", "unet", "prior", "text_encoder", "model")


@dataclass(frozen=True)
class Weights:
    """One component's published weights in GB per precision; None where no such file is published.

    `bf16` is the 16-bit release (bf16 or fp16), the reference every family gives.
    """

    bf16: float
    fp8: float | None = None
    q8_0: float | None = None
    q4_k: float | None = None

    @property
    def params(self) -> int:
        return int(self.bf16 * PUBLISHED_GB / 2)

    def published(self) -> dict[str, float]:
        sizes = {"bf16": self.bf16, "fp8": self.fp8, "q8_0": self.q8_0, "q4_k": self.q4_k}
        return {p: gb for p, gb in sizes.items() if gb is not None}


@dataclass(frozen=True)
class ComponentNeed:
    """One component of one model: how many parameters, and in what its files store them."""

    name: str
    params: int
    # bf16, fp16, fp32, fp8, fp8_scaled (ComfyUI's scaled fp8: upcast at load) or gguf (kept as its file, `file_bytes`,
    # whatever the run dtype)
    stored: str = "bf16"
    file_bytes: int = 0
    unquantized: int = 0  # of a GGUF file's parameters, those its loader dequantizes (a text encoder's norms)

    @property
    def castable(self) -> bool:
        return self.stored != "gguf" and self.name.startswith(_FP8_PREFIXES)

    def bytes_at(self, precision: str, run_dtype: str, keep_fp8: bool = False) -> int:
        """Bytes in memory when run in `run_dtype` with the plan's `precision` ("native" or "fp8"); `keep_fp8`: the
        device keeps an fp8 file's weights in fp8 (CUDA), whatever the plan."""
        if self.stored == "gguf":  # its blocks as stored, plus what is dequantized at load
            return self.file_bytes + int(self.unquantized * BYTES_PER_PARAM.get(run_dtype, 2))
        if (precision == "fp8" and self.castable) or (keep_fp8 and self.stored == "fp8"):
            return self.params
        return int(self.params * BYTES_PER_PARAM.get(run_dtype, 2))


@dataclass(frozen=True)
class Footprint:
    """A model's memory at one precision: all its components together, and the largest alone."""

    precision: str  # "native" (the run dtype) or "fp8"
    label: str  # what the user reads: "bfloat16", "fp8"
    total_bytes: int
    largest_bytes: int


def footprints(components: Iterable[ComponentNeed], run_dtype: str, *, keep_fp8: bool = False) -> list[Footprint]:
    """The precisions a model can run in, best quality first: its run dtype (fp8 files kept fp8 where the device
    keeps them, `keep_fp8`), then fp8 storage if anything casts."""
    parts = list(components)
    if not parts:
        return []
    native = [c.bytes_at("native", run_dtype, keep_fp8) for c in parts]
    out = [Footprint("native", _stored_label(parts, run_dtype, keep_fp8), sum(native), max(native))]
    if any(c.castable for c in parts):
        fp8 = [c.bytes_at("fp8", run_dtype) for c in parts]
        out.append(Footprint("fp8", "fp8", sum(fp8), max(fp8)))
    return out


def _stored_label(parts: list[ComponentNeed], run_dtype: str, keep_fp8: bool) -> str:
    gguf = sorted({c.name for c in parts if c.stored == "gguf"})
    fp8 = sorted({c.name for c in parts if c.stored == "fp8"}) if keep_fp8 else []
    return (f"{run_dtype}" + (f", GGUF ({', '.join(gguf)})" if gguf else "")
            + (f", fp8 file ({', '.join(fp8)})" if fp8 else ""))  # fmt: skip


def declared_needs(weights: Mapping[str, Weights], stored: Mapping[str, str] | None = None) -> list[ComponentNeed]:
    """Component needs from a family's published sizes (for a hub model that is not on disk yet); `stored` names the
    precision of the files of some components (fp8), as measuring them once downloaded will say."""
    stored = stored or {}
    return [ComponentNeed(name, w.params, stored.get(name, "bf16")) for name, w in weights.items()]


def lighter_published(weights: Mapping[str, Weights]) -> dict[str, int]:
    """Bytes of the whole model in each GGUF precision published for its largest component: every
    component in that precision where it is published, the others in their smallest published form."""
    if not weights:
        return {}
    largest = max(weights.values(), key=lambda w: w.bf16)
    out: dict[str, int] = {}
    for precision in ("q8_0", "q4_k"):
        if precision in largest.published():
            sizes = [w.published().get(precision, min(w.published().values())) for w in weights.values()]
            out[precision] = int(sum(sizes) * PUBLISHED_GB)
    return out


# -- measuring files on disk -----------------------------------------------------------------------
_STORED = {"F32": "fp32", "F16": "fp16", "BF16": "bf16", "F8_E4M3": "fp8", "F8_E5M2": "fp8"}


def _tensors(path: Path) -> dict[str, dict[str, Any]]:
    """A safetensors file's tensor entries (dtype, shape), from its header."""
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header: dict[str, Any] = json.loads(fh.read(size))
    header.pop("__metadata__", None)
    return {k: v for k, v in header.items() if isinstance(v, dict)}


def _count(tensors: Iterable[dict[str, Any]]) -> tuple[int, str]:
    """(parameters, stored precision: the dtype holding most of them) of some tensor entries."""
    by_dtype: dict[str, int] = {}
    for spec in tensors:
        dtype = str(spec.get("dtype", "BF16"))
        by_dtype[dtype] = by_dtype.get(dtype, 0) + math.prod(spec.get("shape") or [1])
    main = max(by_dtype, key=lambda d: by_dtype[d], default="BF16")
    return sum(by_dtype.values()), _STORED.get(main, "bf16")


def measure_files(name: str, files: Iterable[Path], *, dequantized: bool = False) -> ComponentNeed | None:
    """A component's need from its weight files; None when none can be read. `dequantized`: a GGUF text encoder,
    whose linear layers keep their blocks and whose other tensors are dequantized to the pipeline's dtype."""
    params, file_bytes, stored, unquantized = 0, 0, "bf16", 0
    for f in files:
        try:
            size = f.stat().st_size
            if f.suffix == ".gguf" and dequantized:  # a text encoder: its linear layers stay quantized
                for tensor_name, t in read_weight_file(f).tensors.items():
                    params += t.numel
                    if stays_quantized(tensor_name, t.shape, t.dtype):
                        file_bytes += t.nbytes
                    else:
                        unquantized += t.numel
                stored = "gguf"
            elif f.suffix == ".gguf":
                stored, file_bytes = "gguf", file_bytes + size
            elif f.suffix == ".safetensors":
                tensors = _tensors(f)
                count, stored = _count(tensors.values())
                stored = "fp8_scaled" if stored == "fp8" and is_scaled_fp8_names(tensors) else stored
                params += count
            else:  # a pickled .bin: assume 16-bit weights
                params += size // 2
        except (OSError, ValueError, struct.error):
            continue
    if not params and not file_bytes:
        return None
    return ComponentNeed(name, params, stored, file_bytes, unquantized)


# Top-level key prefixes of single-file checkpoints, grouped into the components they load as.
_SINGLE_FILE_PARTS = (
    ("vae", ("first_stage_model.", "vae.")),
    ("text_encoder", ("cond_stage_model.", "conditioner.", "text_encoders.", "text_encoder")),
)


def measure_single_file(path: Path) -> list[ComponentNeed]:
    """The parts of a single-file checkpoint: its VAE, text encoders and the rest (the denoiser)."""
    if path.suffix == ".gguf":
        found = measure_files("transformer", [path])
        return [found] if found else []
    try:
        tensors = _tensors(path)
    except (OSError, ValueError, struct.error):
        return []
    parts: dict[str, list[dict[str, Any]]] = {}
    for key, spec in tensors.items():
        part = next((n for n, prefixes in _SINGLE_FILE_PARTS if key.startswith(prefixes)), "model")
        parts.setdefault(part, []).append(spec)
    scaled = is_scaled_fp8_names(tensors)
    return [ComponentNeed(name, count, "fp8_scaled" if scaled and stored == "fp8" else stored)
            for name, (count, stored) in ((n, _count(specs)) for n, specs in parts.items())]  # fmt: skip
