"""Paths taken from requests never escape their root; files appear whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hollywool.errors import InvalidInputError


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
