"""Turning a catalogue entry into a pipeline: from a hub snapshot, a local folder or a single file."""

from __future__ import annotations

from pathlib import Path

from hollywool.engines.diffusers.catalog import ModelEntry
from hollywool.engines.diffusers.downloads import HubModels, NotDownloaded
from hollywool.engines.diffusers.families import Family
from hollywool.engines.diffusers.schedulers import make_scheduler
from hollywool.engines.diffusers.single_file import load_single_file
from hollywool.errors import StudioError


def model_files(entry: ModelEntry, hub: HubModels) -> Path | None:
    """Where the entry's files are on this machine, or None when a hub model is not downloaded."""
    if entry.source == "hub":
        return hub.local_snapshot(entry)
    path = Path(entry.path).expanduser()
    return path if path.exists() else None


def load_pipeline(entry: ModelEntry, family: Family | None, hub: HubModels, configs_root: Path, dtype):  # noqa: ANN001, ANN201
    from diffusers import DiffusionPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()  # the job reports its own progress
    transformers_logging.disable_progress_bar()
    location = model_files(entry, hub)
    if location is None:
        if entry.source == "hub":
            raise NotDownloaded(f"{entry.id} is not downloaded yet")
        raise StudioError(f"model {entry.id}: {entry.path} does not exist")
    if entry.source == "file":
        pipe = load_single_file(location, entry.type, entry.config, configs_root, dtype)
    else:
        variant = entry.variant if entry.source == "hub" or _has_variant(location, entry.variant) else None
        pipe = DiffusionPipeline.from_pretrained(location, dtype=dtype, variant=variant, local_files_only=True)
    _apply_extras(pipe, entry, hub)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _has_variant(folder: Path, variant: str | None) -> bool:
    return bool(variant) and any(folder.glob(f"*/*.{variant}.safetensors"))


def _apply_extras(pipe, entry: ModelEntry, hub: HubModels) -> None:  # noqa: ANN001
    """Catalogue extras: a replacement UNet file (SDXL Lightning) and a default scheduler."""
    unet = entry.extra.get("unet")
    if unet:
        from safetensors.torch import load_file

        path = hub.extra_file(unet["repo"], unet["file"])
        if path is None:
            raise NotDownloaded(f"{entry.id}: {unet['file']} is not downloaded yet")
        pipe.unet.load_state_dict(load_file(path))
    scheduler = entry.extra.get("scheduler")
    if scheduler:
        options = {k: v for k, v in scheduler.items() if k != "name"}
        pipe.scheduler = make_scheduler(scheduler["name"], pipe.scheduler.config, options)
