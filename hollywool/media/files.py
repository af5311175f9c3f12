"""Paths taken from requests never escape their root; files appear whole or not at all."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hollywool.errors import InvalidInputError

log = logging.getLogger("hollywool")

# What atomic_path's mkstemp names look like: `.<final name>.<8 random chars>.part`.
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$")


def safe_join(root: Path, relative: str, *, field: str = "path") -> Path:
    """Join `relative` under `root`, refusing absolute paths and any `..` that climbs out."""
    if not relative or "\x00" in relative:
        raise InvalidInputError(f"{field}: empty or invalid path", field=field)
    candidate = (root / relative).resolve()
    root = root.resolve()
    if candidate != root and root not in candidate.parents:
        raise InvalidInputError(f"{field}: path escapes its folder", field=field)
    return candidate


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success it is fsynced and renamed into place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def remove_orphan_temp_files(roots: list[Path], skip: tuple[Path, ...] = ()) -> int:
    """Delete atomic_path's temporary files left under `roots` by a crash; returns how many.

    Only for a process that owns these folders (no writer can be mid-file): a `.part` of ours is
    never resumed, so one found at start-up is garbage. Folders in `skip` (and symlinks) are not entered.
    """
    skipped = {p.resolve() for p in skip}
    removed = 0
    for root in roots:
        for folder, dirs, files in os.walk(root):  # os.walk does not follow symlinked folders
            dirs[:] = [d for d in dirs if (Path(folder) / d).resolve() not in skipped]
            for name in files:
                path = Path(folder) / name
                if _TEMP_NAME.match(name) and not path.is_symlink():
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed += 1
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted write", removed)
    return removed
