"""A tiny model's config folder posed as the studio's copy of a shipped config folder (<data dir>/configs/<name>),
so split-file tests load the tiny sizes through the shipped-config path a user's files take."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from hollywool.models.shipped_configs import MARKER, folder_digest


def studio_copy(tiny: Path, configs: Path, name: str, empty: tuple[str, ...] = ()) -> Path:
    """<configs>/<name> as the studio materialises it: the tiny folder's JSON, and in the `empty` tokenizer folders
    (every tokenizer's and processor's when none are named) only the shipped tokenizer_config.json, no vocabulary.
    Stamped as made from today's shipped folder, so the studio uses it as it is."""
    copy = configs / name
    shutil.copytree(tiny, copy, ignore=shutil.ignore_patterns("*.safetensors"))
    with resources.as_file(resources.files("hollywool.catalog").joinpath(f"configs/{name}")) as shipped:
        folders = [p for p in copy.iterdir() if p.name.startswith(("tokenizer", "processor"))]
        for folder in [p for p in folders if not empty or p.name in empty]:
            shutil.rmtree(folder)
            folder.mkdir()
            shutil.copy(shipped / folder.name / "tokenizer_config.json", folder)
        (copy / MARKER).write_text(folder_digest(shipped))
    return copy
