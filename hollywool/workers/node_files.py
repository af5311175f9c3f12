"""A job's model files on the worker's own machine, checked before it loads: a hub model missing there is
downloaded there (the model manager's own download, as in the studio); a folder or file the studio's
catalogue names but this machine lacks fails the job naming the machine and the files."""

from __future__ import annotations

from pathlib import Path

from hollywool.errors import StudioError
from hollywool.models.catalog import ModelEntry


def entry_paths(entry: ModelEntry) -> list[Path]:
    """The local files and folders a non-hub entry loads from (a hub model's are fetched where it runs)."""
    if entry.source == "hub":
        return []
    named = [entry.path, *entry.text_encoders, entry.vae, entry.config]
    return [Path(p).expanduser() for p in named if p]


def check_on_node(entry: ModelEntry, host: str, device: str) -> None:
    missing = [str(p) for p in entry_paths(entry) if not p.exists()]
    if missing:
        raise StudioError(
            f"model {entry.id}: not on {host} (the worker on {device}): {', '.join(missing)} missing there. "
            "Give that machine the same model folder at the same path (a shared folder), or run it from the hub.",
            detail=f"missing on {host}: {', '.join(missing)}",
        )
