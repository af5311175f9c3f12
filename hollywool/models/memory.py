"""How much memory loaded models may use, and how each job runs its model: in what precision, and where.

The budget is the memory that cached pipelines may hold together: a user setting when given, else the
GPU's memory (or the whole unified memory on parts like the DGX Spark, whose GPU shares system RAM),
else system RAM on a CPU-only machine, minus headroom for activations and the rest of the system.

A memory plan per model picks the best precision and the cheapest placement that fit:
  device            every component on the device (fastest)
  model_offload     components move to the device one at a time (diffusers' model CPU offload)
  sequential_offload  weights stream to the device layer by layer (slow, smallest footprint)
in the run dtype first, then with the denoiser and text encoders kept in fp8 (precision.py), plus VAE
tiling for large images or a tight fit. Offload exists only on a discrete GPU (on unified memory and
on the CPU the weights would stay in the same memory); fp8 storage only on a GPU (the CPU computes in
float32 anyway). When nothing fits even the whole machine, the plan says so in a sentence with a next
step, and the job is refused (409) before it is queued.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import psutil

from hollywool.models.precision import Footprint

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


@dataclass(frozen=True)
class WorkerDevice:
    """A device jobs run on in another process (a GPU worker), as it last reported: its memory, the budget
    its loaded models share, and the models it holds."""

    kind: str  # cuda, unified, cpu
    total_bytes: int
    budget_bytes: int
    loaded: tuple[str, ...] = ()
    device: str = ""  # its name on its machine: cuda:1


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


def memory_info_now(device: str) -> MemoryInfo:
    """The same answer from NVML or the OS, without importing torch (for checks made when a job is submitted)."""
    from hollywool.system_info import nvml_gpus

    vm = psutil.virtual_memory()
    gpus = nvml_gpus() if device.startswith("cuda") else []
    if not gpus:
        return MemoryInfo("cpu", vm.total, vm.available)
    if gpus[0].unified_memory:
        return MemoryInfo("unified", vm.total, vm.available)
    total = int(gpus[0].memory_total_gb * GB)
    return MemoryInfo("cuda", total, int(max(gpus[0].memory_total_gb - gpus[0].memory_used_gb, 0.0) * GB))


def capped(info: MemoryInfo, device_memory_gb: float | None) -> MemoryInfo:
    """`info` as if the device had `device_memory_gb` (the HOLLYWOOL_DEVICE_MEMORY_GB setting), when given."""
    if not device_memory_gb:
        return info
    total = int(device_memory_gb * GB)
    return MemoryInfo(info.kind, total, min(info.free_bytes, total))


def default_budget(info: MemoryInfo) -> int:
    if info.kind == "cpu":  # leave room for the OS, the studio and the job's activations
        return int(info.total_bytes * 0.5)
    return int(info.total_bytes * (1 - _HEADROOM))


@dataclass(frozen=True)
class MemoryPlan:
    placement: str  # device, model_offload, sequential_offload; "none" when nothing fits
    vae_tiling: bool
    required_bytes: int  # the model's weights at the chosen precision
    available_bytes: int
    reason: str  # what the user reads: why this precision and placement, or why nothing fits and what to do
    precision: str = ""  # the weights as run: "bfloat16", "fp8 (transformer, text_encoder_2)"
    fp8_components: tuple[str, ...] = ()  # components kept in fp8 and cast up layer by layer
    device_bytes: int = 0  # weights on the device at once: all of them, the largest component, or about none
    fits: bool = True
    best_bytes: int = 0  # the weights in the best precision, for comparison

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """What a job reports of the plan it ran with."""
        return {"precision": self.precision, "placement": self.placement, "fp8_components": list(self.fp8_components),
                "reason": self.reason}  # fmt: skip

    @property
    def device_share(self) -> float:
        """The part of the best-precision weights this plan keeps on the device at once."""
        return min(self.device_bytes / self.best_bytes, 1.0) if self.best_bytes else 1.0


@dataclass(frozen=True)
class Room:
    """Where a model may go: the device memory it may have now (within the budget, beside other
    models), RAM for offloaded weights, and the machine's memory (what is left when it runs alone)."""

    kind: str  # cuda, unified, cpu
    device_bytes: int
    host_bytes: int = 0  # free RAM for offloaded weights (cuda only: elsewhere the device's memory is the RAM)
    device_total: int = 0
    host_total: int = 0

    @property
    def can_offload(self) -> bool:
        return self.kind == "cuda"

    @property
    def can_cast(self) -> bool:
        return self.kind != "cpu"


def room_of(info: MemoryInfo, available_bytes: int) -> Room:
    """The room for a model on the device `info` describes, with `available_bytes` of it free for the model now."""
    if info.kind != "cuda":
        return Room(info.kind, available_bytes, 0, info.total_bytes, 0)
    vm = psutil.virtual_memory()
    return Room("cuda", available_bytes, vm.available, info.total_bytes, vm.total)


def _usable(total: int) -> int:
    return int(total * (1 - _HEADROOM))


def plan_memory(
    model_bytes: int, largest_component_bytes: int, available_bytes: int, pixels: int, *, on_cpu: bool
) -> MemoryPlan:
    """Pick a placement for a model of `model_bytes` (largest part `largest_component_bytes`), in one precision."""
    # No RAM limit on offloading, as before; the CPU runs whatever is loaded.
    room = Room("cpu" if on_cpu else "cuda", available_bytes, 1 << 62, 1 << 62 if on_cpu else available_bytes, 1 << 62)
    return choose_plan([Footprint("native", "", model_bytes, largest_component_bytes)], room, pixels)


def choose_plan(
    options: Sequence[Footprint],
    room: Room,
    pixels: int,
    *,
    fp8: Sequence[str] = (),
    next_step: str = "choose a smaller model",
) -> MemoryPlan:
    """The best way to run a model whose precisions are `options` (best quality first) in `room`.

    Preference: the best precision on the device, then with its components taking turns (model
    offload), then the lighter precisions the same way, then layers streaming in (sequential offload,
    slow). First within the room there is now; failing that within the whole machine (the cache then
    holds this model alone, as it does any model larger than the budget); failing that, nothing fits.
    """
    big_image = pixels >= _TILE_PIXELS
    usable = [o for o in options if o.precision == "native" or room.can_cast] or list(options[:1])
    if room.kind == "cpu":  # the CPU runs whatever is loaded: only refuse what the machine cannot hold
        limits = [(_usable(room.device_total), 0)]
    else:
        limits = [(room.device_bytes, room.host_bytes), (_usable(room.device_total), _usable(room.host_total))]
    for device_bytes, host_bytes in limits:
        found = _first_fit(usable, room, device_bytes, host_bytes)
        if found is not None:
            option, placement = found
            return MemoryPlan(
                placement,
                big_image or placement != "device",
                option.total_bytes,
                room.device_bytes,
                _reason(option, placement, usable[0], room, fp8),
                option.label,
                tuple(fp8) if option.precision == "fp8" else (),
                _on_device(option, placement),
                best_bytes=usable[0].total_bytes,
            )
    lightest = min(usable, key=lambda o: o.total_bytes)
    return MemoryPlan(
        "none", True, lightest.total_bytes, room.device_bytes, refusal(lightest, usable[0], room, next_step),
        lightest.label, fits=False, best_bytes=usable[0].total_bytes,
    )  # fmt: skip


def _first_fit(options: Sequence[Footprint], room: Room, device: int, host: int) -> tuple[Footprint, str] | None:
    for option in options:
        if option.total_bytes <= device:
            return option, "device"
        if room.can_offload and option.largest_bytes <= device and option.total_bytes <= host:
            return option, "model_offload"
    if room.can_offload:
        for option in options:
            if option.total_bytes <= host:
                return option, "sequential_offload"
    return None


def _on_device(option: Footprint, placement: str) -> int:
    if placement == "device":
        return option.total_bytes
    return option.largest_bytes if placement == "model_offload" else 0


def _reason(option: Footprint, placement: str, best: Footprint, room: Room, fp8: Sequence[str]) -> str:
    where = {
        "device": "runs on the CPU" if room.kind == "cpu" else "fits on the device",
        "model_offload": "does not fit whole: components take turns on the device",
        "sequential_offload": "largest component does not fit: layers stream in from system memory (slow)",
    }[placement]
    if option is best:
        return f"{where} in {option.label}" if option.label else where
    lighter = f"{option.label} for {', '.join(fp8)}" if option.precision == "fp8" and fp8 else option.label
    return f"{where}, in {lighter} (in {best.label} it needs {best.total_bytes / GB:.1f} GB)"


def refusal(lightest: Footprint, best: Footprint, room: Room, next_step: str) -> str:
    """The sentence a user reads when a model cannot run here, ending with the next step."""
    lighter = f" even in {lightest.label}" if lightest is not best else ""
    has = f"{room.device_total / GB:.0f} GB"
    if room.can_offload:
        lighter = f"{lighter} with offload" if lighter else " even with offload"
        has = f"{has} of GPU memory and {room.host_total / GB:.0f} GB of RAM"
    return f"needs {lightest.total_bytes / GB:.1f} GB{lighter}; this machine has {has}; {next_step}"


def apply_precision(pipe: Any, fp8_components: Sequence[str], compute_dtype: Any) -> None:
    """Keep these components' weights in fp8, cast up to `compute_dtype` layer by layer as they run.

    diffusers models skip their precision-sensitive layers (norms, embeddings) by their own list; other
    modules (transformers text encoders) get diffusers' default skip patterns, their embeddings, and the
    layers the model itself keeps in float32 (T5's `wo`, which casts its input to its weight's dtype)."""
    if not fp8_components:
        return
    import torch
    from diffusers.hooks.layerwise_casting import DEFAULT_SKIP_MODULES_PATTERN, apply_layerwise_casting

    for name in fp8_components:
        module = getattr(pipe, name, None)
        if module is None or any(p.dtype == torch.float8_e4m3fn for p in module.parameters()):
            continue  # absent, or loaded in fp8 already (an fp8 file kept as it is)
        if hasattr(module, "enable_layerwise_casting"):
            module.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute_dtype)
            continue
        kept = [*(getattr(module, "_keep_in_fp32_modules", None) or ()),
                *(getattr(module, "_keep_in_fp32_modules_strict", None) or ())]  # fmt: skip
        # A head tied to the token embedding (Qwen3-4B's lm_head) shares its weight: casting the head would store
        # the embedding in fp8 too, and its fp8 output breaks the first norm.
        embeddings = {id(m.weight) for m in module.modules() if isinstance(m, torch.nn.Embedding)}
        tied = [n for n, m in module.named_modules() if not isinstance(m, torch.nn.Embedding)
                and id(getattr(m, "weight", None)) in embeddings]  # fmt: skip
        skip = (*DEFAULT_SKIP_MODULES_PATTERN, *(rf"(^|\.){re.escape(k)}$" for k in kept),
                *(rf"^{re.escape(n)}$" for n in tied))  # fmt: skip
        # Embeddings stay too: pipelines read a text encoder's dtype from its first parameter, the token embedding.
        apply_layerwise_casting(
            module,
            storage_dtype=torch.float8_e4m3fn,
            compute_dtype=compute_dtype,
            skip_modules_pattern=skip,
            skip_modules_classes=(torch.nn.Embedding,),
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


# Of a video model's catalogue `memory_gb` (its peak at the default size and length, every weight on the
# device), the part that is activations and decoding; the rest is weights.
_VIDEO_ACTIVATION_SHARE = 0.3


def video_estimate_gb(memory_gb: float, volume: int, default_volume: int, device_share: float = 1.0) -> float:
    """A video job's peak on the device: the weights' share as much of it as the plan keeps on the device
    (`MemoryPlan.device_share`), plus the activations' share scaled by the requested volume."""
    ratio = volume / max(default_volume, 1)
    return memory_gb * ((1 - _VIDEO_ACTIVATION_SHARE) * device_share + _VIDEO_ACTIVATION_SHARE * ratio)
