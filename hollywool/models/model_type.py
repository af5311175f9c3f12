"""A model's family read from its files, for catalogue entries that leave `type` out.

A diffusers folder names its pipeline class in model_index.json (`_class_name`); the family whose
`pipeline` is that class (else whose tasks include it) is the model's. A single file is recognised
from its key names (single_file.detect). A hub repository id is not read: its files may not be here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from hollywool.errors import InvalidInputError
from hollywool.models import families


def family_for_pipeline(class_name: str) -> families.Family | None:
    """The family that loads this diffusers pipeline class: its main pipeline first, then a task's."""
    every = families.REGISTRY.all()
    return next((f for f in every if f.pipeline == class_name), None) or next(
        (f for f in every if class_name in f.tasks.values()), None
    )


def folder_type(folder: Path) -> str | None:
    try:
        index: object = json.loads((folder / "model_index.json").read_text())
    except (OSError, ValueError):
        return None
    name = cast(dict[str, object], index).get("_class_name") if isinstance(index, dict) else None
    found = family_for_pipeline(name) if isinstance(name, str) else None
    return found.type if found else None


def file_type(path: Path) -> str | None:
    from hollywool.models.single_file import detect

    try:
        return detect(path)[0].type
    except InvalidInputError:
        return None


def infer_type(path: str) -> str | None:
    """The family id of the model at `path` (a local folder or file), or None when it cannot be told."""
    local = Path(path).expanduser()
    if local.is_dir():
        return folder_type(local)
    if local.is_file():
        return file_type(local)
    return None
