"""How much memory loaded models may use, and how each job places its model.

The budget is the memory that cached pipelines may hold together: a user setting when given, else the
GPU's memory (or the whole unified memory on parts like the DGX Spark, whose GPU shares system RAM),
else system RAM on a CPU-only machine, minus headroom for activations and the rest of the system.

A memory plan per job picks the cheapest placement that fits:
  device            every component on the device (fastest)
  model_offload     components move to the device one at a time (diffusers' model CPU offload)
  sequential_offload  weights stream to the device layer by layer (slow, smallest footprint)
plus VAE tiling for large images or a tight fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import psutil

GB = 1024**3
# Part of the device memory kept free for activations, the CUDA context and other processes.
_HEADROOM = 0.15
# Above this many pixels, decode the image in tiles (the VAE's activations grow with the area).
_TILE_PIXELS = 1536 * 1536


@dataclass(frozen=True)
class MemoryInfo:
    kind: str  # cuda, unified, cpu
    total_bytes: int
    free_bytes: int


def memory_info(device: str) -> MemoryInfo:
    """Memory of the device generation runs on (imports torch only for CUDA devices)."""
    vm = psutil.virtual_memory()
    if device.startswith("cuda"):
        import torch

        gpu = torch.device(device)
        # torch picks the properties' class at import, so pyright cannot resolve its annotation
        props = cast(Any, torch.cuda.get_device_properties(gpu))  # pyright: ignore[reportUnknownMemberType]
        if getattr(props, "is_integrated", False):  # unified memory: the GPU draws on system RAM
            return MemoryInfo("unified", vm.total, vm.available)
        free, total = torch.cuda.mem_get_info(gpu)
        return MemoryInfo("cuda", total, free)
    return MemoryInfo("cpu", vm.total, vm.available)


def default_budget(info: MemoryInfo) -> int:
    if info.kind == "cpu":  # leave room for the OS, the studio and the job's activations
        return int(info.total_bytes * 0.5)
    return int(info.total_bytes * (1 - _HEADROOM))


@dataclass(frozen=True)
class MemoryPlan:
    placement: str  # device, model_offload, sequential_offload
    vae_tiling: bool
    required_bytes: int
    available_bytes: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_memory(
    model_bytes: int, largest_component_bytes: int, available_bytes: int, pixels: int, *, on_cpu: bool
) -> MemoryPlan:
    """Pick a placement for a model of `model_bytes` (largest part `largest_component_bytes`)."""
    big_image = pixels >= _TILE_PIXELS
    if on_cpu or model_bytes <= available_bytes:
        reason = "runs on the CPU" if on_cpu else "fits on the device"
        return MemoryPlan("device", big_image, model_bytes, available_bytes, reason)
    if largest_component_bytes <= available_bytes:
        return MemoryPlan(
            "model_offload", True, model_bytes, available_bytes, "does not fit whole: components take turns"
        )
    return MemoryPlan(
        "sequential_offload", True, model_bytes, available_bytes, "largest component does not fit: layers stream in"
    )


def apply_placement(pipe: Any, placement: str, device: str) -> None:
    if placement == "model_offload":
        pipe.enable_model_cpu_offload(device=device)
    elif placement == "sequential_offload":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)


def set_vae_tiling(pipe: Any, enabled: bool) -> None:
    vae = getattr(pipe, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return
    vae.enable_tiling() if enabled else vae.disable_tiling()


def module_size(module: Any) -> int:
    """Bytes of a torch module's weights and buffers (0 for anything else: schedulers, tokenizers)."""
    params = getattr(module, "parameters", None)
    if params is None:
        return 0
    size = sum(p.numel() * p.element_size() for p in module.parameters())
    return size + sum(b.numel() * b.element_size() for b in module.buffers())


def free_bytes_now() -> int:
    """Free memory where generation runs, without importing torch: the first GPU through NVML, else RAM."""
    from hollywool.system_info import nvml_gpus

    gpus = nvml_gpus()
    if gpus and not gpus[0].unified_memory:
        return int(max(gpus[0].memory_total_gb - gpus[0].memory_used_gb, 0.0) * GB)
    return psutil.virtual_memory().available
