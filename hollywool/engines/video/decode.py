"""Final latents on disk, and a decode that survives running out of memory.

Sampling is the expensive part of a video job; decoding is the part most likely to run out of memory.
So the final latents are written to the job's work folder (atomically) and recorded in its checkpoint
before decoding starts: a job restarted after a crash decodes them instead of sampling again. A decode
that raises torch.OutOfMemoryError is retried with VAE tiling and slicing, then with the decoders
moved to the CPU.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from hollywool.media.files import atomic_path
from hollywool.models.families import Decoded, VideoFamily

log = logging.getLogger("hollywool.video")

LATENTS_FILE = "latents.pt"
DECODE_MODES = ("plain", "tiled", "offload")


def save_latents(work_dir: Path, latents: dict[str, Any]) -> Path:
    import torch

    path = work_dir / LATENTS_FILE
    with atomic_path(path) as tmp:
        torch.save({k: (v.detach().cpu() if v is not None else None) for k, v in latents.items()}, tmp)
    return path


def load_latents(path: Path) -> dict[str, Any] | None:
    import torch

    if not path.is_file():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a damaged file: sample again rather than fail the job
        log.warning("saved latents at %s are unreadable; sampling again", path)
        return None


def _decoders(pipe: Any) -> list[Any]:
    return [m for m in (getattr(pipe, n, None) for n in ("vae", "audio_vae", "vocoder")) if m is not None]


def _try(module: Any, method: str) -> None:
    fn = getattr(module, method, None)
    if fn is not None:
        with contextlib.suppress(NotImplementedError, AttributeError):
            fn()


@contextlib.contextmanager
def decode_mode(pipe: Any, mode: str) -> Generator[None, None, None]:
    """Apply a decode mode to the pipeline's decoders for the duration of one decode, then undo it."""
    modules = _decoders(pipe)
    moved: list[tuple[Any, Any]] = []
    try:
        if mode in ("tiled", "offload"):
            for m in modules:
                _try(m, "enable_tiling")
                _try(m, "enable_slicing")
        if mode == "offload":
            for m in modules:
                device = next(m.parameters()).device
                if device.type != "cpu":
                    moved.append((m, device))
                    m.to("cpu")
        yield
    finally:
        for m, device in moved:
            m.to(device)
        if mode != "plain":
            for m in modules:
                _try(m, "disable_tiling")
                _try(m, "disable_slicing")


def _release_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def decode_resilient(
    pipe: Any,
    family: VideoFamily,
    latents: dict[str, Any],
    meta: dict[str, Any],
    on_retry: Callable[[str], None],
) -> tuple[Decoded, str]:
    """Decode, falling back to tiling+slicing and then to CPU offload on out-of-memory. Returns the mode used."""
    import torch

    for index, mode in enumerate(DECODE_MODES):
        try:
            with decode_mode(pipe, mode), torch.no_grad():
                return family.decode(pipe, latents, meta, mode != "plain"), mode
        except torch.OutOfMemoryError:
            if index == len(DECODE_MODES) - 1:
                raise
            log.warning("decode ran out of memory (%s); retrying with %s", mode, DECODE_MODES[index + 1])
            _release_memory()
            on_retry(DECODE_MODES[index + 1])
    raise AssertionError("unreachable")
