"""A job's model files on the worker's own machine, checked before it loads.

A hub model (or a catalogue upscaler, or a hub ControlNet) missing there is downloaded there, as in the
studio. What the user added by path (a model folder or file, a LoRA file, a ControlNet under `control_models:`,
an upscaler file in the studio's upscalers folder) travels as the studio's own entry, so the worker resolves it
exactly as the studio does; a path the worker's machine lacks fails the job naming the machine and the path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hollywool.errors import StudioError
from hollywool.models.catalog import ModelEntry
from hollywool.models.control_models import ControlModel
from hollywool.models.loras import LoraInfo
from hollywool.models.upscalers import UpscalerModel

if TYPE_CHECKING:
    from hollywool.models.manager import ModelManager


@dataclass(frozen=True)
class UserModels:
    """The user-added LoRAs, ControlNets and upscaler files a job uses, as the studio resolved them."""

    loras: tuple[LoraInfo, ...] = ()
    controls: tuple[ControlModel, ...] = ()
    upscalers: tuple[tuple[UpscalerModel, str], ...] = ()  # (entry, its file's path)


def user_models(kind: str, params: dict[str, Any], models: ModelManager) -> UserModels:
    """The studio's side: the entries of the LoRAs, local ControlNets and upscaler files `params` name.
    An unknown LoRA fails here as it would have in the studio's own process."""
    loras = tuple(models.loras.get(str(lr["lora_id"])) for lr in _dicts(params.get("loras")) if lr.get("lora_id"))
    controls_named = {str(c.get(k)) for c in _dicts(params.get("control")) for k in ("model", "preprocessor")}
    controls = tuple(m for m in models.controls.all() if m.id in controls_named and m.path)
    hires = params.get("hires")
    named_upscalers = {hires.get("upscaler")} if isinstance(hires, dict) else set[Any]()
    if kind == "upscale":
        named_upscalers.add(params.get("model"))
    upscalers = tuple(
        (m, str(models.upscalers.path_of(m)))
        for m in models.upscalers.all()
        if m.id in named_upscalers and m.source == "folder"
    )
    return UserModels(loras, controls, upscalers)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def entry_paths(entry: ModelEntry) -> list[Path]:
    """The local files and folders a non-hub entry loads from (a hub model's are fetched where it runs)."""
    if entry.source == "hub":
        return []
    named = [entry.path, *entry.text_encoders, entry.vae, entry.config]
    return [Path(p).expanduser() for p in named if p]


def check_on_node(entry: ModelEntry, host: str, device: str) -> None:
    _require(f"model {entry.id}", "model folder", entry_paths(entry), host, device, ", or run it from the hub")


def use_on_node(found: UserModels, models: ModelManager, host: str, device: str) -> None:
    """Check the job's user-added files on this machine, then make the worker's model manager resolve their ids
    to the studio's entries."""
    for lora in found.loras:
        _require(f"LoRA {lora.id}", "LoRA folder", [Path(lora.path)], host, device)
    for control in found.controls:
        _require(f"control model {control.id}", "folder", [Path(control.path or "").expanduser()], host, device)
    for upscaler, path in found.upscalers:
        _require(f"upscaler {upscaler.id}", "upscalers folder", [Path(path)], host, device)
    for lora in found.loras:
        models.loras.register(lora)
    for control in found.controls:
        models.controls.register(control)
    for upscaler, path in found.upscalers:
        models.upscalers.register(upscaler, Path(path))


def _require(what: str, folder: str, paths: Iterable[Path], host: str, device: str, other_way: str = "") -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise StudioError(
            f"{what}: not on {host} (the worker on {device}): {', '.join(missing)} missing there. "
            f"Give that machine the same {folder} at the same path (a shared folder){other_way}.",
            detail=f"missing on {host}: {', '.join(missing)}",
        )
