"""Turning a catalogue entry into a pipeline: from a hub snapshot, a local folder or a single file.

Components whose weights are already loaded for another model (the same files, e.g. a text encoder
two families use, or one base model's VAE in its fine-tunes) are passed in instead of loaded again;
`component_keys` says which files each component of a folder reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from hollywool.errors import StudioError
from hollywool.models.cache import ComponentKey
from hollywool.models.catalog import ModelEntry
from hollywool.models.hub import HubModels, NotDownloaded
from hollywool.models.schedulers import make_scheduler
from hollywool.models.split_files import ModelFiles, load_files

_WEIGHTS = ("*.safetensors", "*.bin")


def model_files(entry: ModelEntry, hub: HubModels) -> Path | None:
    """Where the entry's files are on this machine, or None when a hub model is not downloaded."""
    if entry.source == "hub":
        return hub.local_snapshot(entry)
    path = Path(entry.path).expanduser()
    return path if path.exists() else None


def component_keys(folder: Path, dtype_name: str, variant: str | None) -> dict[str, ComponentKey]:
    """For each weight-bearing component of a diffusers folder: the resolved files it loads, and the dtype.

    Hub snapshots link to content-addressed blobs, so identical weights in two repos resolve to one file.
    """
    try:
        index = json.loads((folder / "model_index.json").read_text())
    except (OSError, ValueError):
        return {}
    keys: dict[str, ComponentKey] = {}
    for name, spec in index.items():
        sub = folder / name
        if name.startswith("_") or not isinstance(spec, list) or not sub.is_dir():
            continue
        files = [p for pattern in _WEIGHTS for p in sub.glob(pattern)]
        if variant:
            files = [p for p in files if f".{variant}." in p.name] or files
        if files:
            keys[name] = (tuple(sorted(str(p.resolve()) for p in files)), dtype_name)
    return keys


def load_pipeline(
    entry: ModelEntry,
    hub: HubModels,
    configs_root: Path,
    dtype: Any,
    shared: Callable[[str, ComponentKey], Any | None] = lambda _name, _key: None,
    *,
    keep_fp8: bool = False,
    model_folders: tuple[Path, ...] = (),
) -> tuple[Any, dict[str, ComponentKey]]:
    """The entry's pipeline, and the sharing key of each component read from a folder or its own file.

    `shared(name, key)` returns an already loaded module with those weights (or None to load it);
    `keep_fp8`: fp8 weights stay fp8, upcast layer by layer as they run (CUDA); `model_folders`: the models folders
    the user named (a ComfyUI install beside one supplies tokenizer files a single file's shipped config lacks).
    """
    from diffusers import DiffusionPipeline  # pyright: ignore[reportPrivateImportUsage]  # its documented import
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()  # the job reports its own progress
    transformers_logging.disable_progress_bar()
    location = model_files(entry, hub)
    if location is None:
        if entry.source == "hub":
            raise NotDownloaded(f"{entry.id} is not downloaded yet")
        raise StudioError(f"model {entry.id}: {entry.path} does not exist")
    keys: dict[str, ComponentKey] = {}
    pipeline: Any = DiffusionPipeline  # diffusers leaves from_pretrained's **kwargs untyped
    if entry.source == "file" or entry.files:
        pipe, keys = load_files(
            entry_files(entry, hub), entry.type, configs_root, dtype, keep_fp8=keep_fp8, shared=shared,
            model_folders=model_folders,
        )  # fmt: skip
    else:
        variant = entry.variant if entry.source == "hub" or _has_variant(location, entry.variant) else None
        keys = component_keys(location, str(dtype).removeprefix("torch."), variant)
        if entry.extra.get("unet"):  # replaced below: never share the base model's UNet
            keys.pop("unet", None)
        reused = {name: module for name, key in keys.items() if (module := shared(name, key)) is not None}
        pipe = pipeline.from_pretrained(location, dtype=dtype, variant=variant, local_files_only=True, **reused)
    _apply_extras(pipe, entry, hub)
    pipe.set_progress_bar_config(disable=True)
    return pipe, keys


def entry_files(entry: ModelEntry, hub: HubModels) -> ModelFiles:
    """The files a single-file entry names: the checkpoint or diffusion model, text encoders, VAE, config; for split
    files in a hub repository, where the hub cache holds them."""
    if entry.files:
        cached = {name: hub.extra_file(entry.path, name) for name in entry.files.names()}
        missing = [name for name, path in cached.items() if path is None]
        if missing:
            raise NotDownloaded(f"{entry.id} is not downloaded yet ({', '.join(missing)})")
        found = {name: path for name, path in cached.items() if path is not None}
        return ModelFiles(
            model=found[entry.files.model],
            text_encoders=tuple(found[name] for name in entry.files.text_encoders),
            vae=found[entry.files.vae] if entry.files.vae else None,
            config=Path(entry.config).expanduser() if entry.config else None,
        )
    return ModelFiles(
        model=Path(entry.path).expanduser(),
        text_encoders=tuple(Path(p).expanduser() for p in entry.text_encoders),
        vae=Path(entry.vae).expanduser() if entry.vae else None,
        config=Path(entry.config).expanduser() if entry.config else None,
        parts=tuple(Path(p).expanduser() for p in entry.parts),
        known_as=civitai_base_model(entry),
    )


def civitai_base_model(entry: ModelEntry) -> str:
    """The Civitai base model a download was filed under (its version's `baseModel`), else ""."""
    civitai = entry.extra.get("civitai")  # a mapping the Civitai integration wrote (or the user's YAML)
    found = cast(dict[str, Any], civitai).get("base_model") if isinstance(civitai, dict) else None
    return str(found) if found else ""


def _has_variant(folder: Path, variant: str | None) -> bool:
    return bool(variant) and any(folder.glob(f"*/*.{variant}.safetensors"))


def _apply_extras(pipe: Any, entry: ModelEntry, hub: HubModels) -> None:
    """Catalogue extras: a replacement UNet file (SDXL Lightning) and a default scheduler."""
    unet = entry.extra.get("unet")
    if unet:
        from safetensors.torch import load_file  # pyright: ignore[reportUnknownVariableType]  # its path is a bare PathLike

        path = hub.extra_file(unet["repo"], unet["file"])
        if path is None:
            raise NotDownloaded(f"{entry.id}: {unet['file']} is not downloaded yet")
        pipe.unet.load_state_dict(load_file(path))
    scheduler = entry.extra.get("scheduler")
    if scheduler:
        options = {k: v for k, v in scheduler.items() if k != "name"}
        pipe.scheduler = make_scheduler(scheduler["name"], pipe.scheduler.config, options)
