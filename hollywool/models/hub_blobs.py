"""Hub files fetched into the cache so that the bytes that arrived survive a crash or a failed job.

huggingface_hub 2.4.0 resumes a file only within one call (`http_get` retries with `Range`): each
call writes to a fresh `blobs/<etag>.<random>.incomplete` opened with "wb" and deletes it when the
call fails, and one left behind by a killed process is never read again. So the studio fetches each
missing file itself with the library's own `http_get` (Range, retries, size check), appending to a
stable `blobs/<etag>.incomplete` under the library's per-blob lock and renaming it to `blobs/<etag>`
once whole; `snapshot_download` then finds every blob and only links the snapshot. Files of
Xet-backed repos come over plain HTTP too (the hub serves them), since a Xet transfer cannot
resume into a partial file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ProgressFn = Callable[[int, int | None], None]

# `http_get` writes and reports whole chunks of `DOWNLOAD_CHUNK_SIZE` (10 MB by default): with 1 MB
# a crash loses at most 1 MB, and the progress moves on a slow line too.
_CHUNK_BYTES = 1024 * 1024


def blob_paths(storage: Path, etag: str) -> tuple[Path, Path]:
    """(the blob, its partial download) in a repo's cache folder."""
    blob = storage / "blobs" / etag
    return blob, blob.with_name(f"{etag}.incomplete")


def bytes_on_disk(storage: Path, etag: str, size: int) -> int:
    """How much of a blob the cache holds: all of it, what a partial download kept, or nothing."""
    blob, partial = blob_paths(storage, etag)
    if blob.exists():
        return size
    return min(partial.stat().st_size, size) if partial.exists() else 0


class ByteProgress:
    """Sums the bytes of several files as they arrive, starting from what is on disk already."""

    def __init__(self, report: ProgressFn, total: int | None, on_disk: dict[str, int]):
        self.report = report
        self.total = total
        self._start = dict(on_disk)
        self._done = sum(on_disk.values())
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:  # reports in order, so the count never goes back
            self._done += n
            self.report(min(self._done, self.total) if self.total else self._done, self.total)

    def bar(self, etag: str) -> type:
        """A progress-bar class for `http_get` downloading the blob `etag`."""
        progress = self

        class _Bar:
            def __init__(self, *_: Any, initial: int = 0, **__: Any):
                # `initial` is where http_get starts (0 when the server ignored the Range).
                with progress._lock:
                    progress._done += initial - progress._start.get(etag, 0)
                    progress._start[etag] = initial

            def __enter__(self) -> _Bar:
                return self

            def __exit__(self, *_: Any) -> None:
                return None

            def update(self, n: float | None = 1) -> None:
                progress.add(int(n or 0))

            def close(self) -> None:
                return None

        return _Bar


def fetch_blob(storage: Path, url: str, *, token: str | None, timeout: float, endpoint: str, progress: ByteProgress):
    """Bring the file at hub address `url` into `storage/blobs`, continuing a partial download."""
    # The hub client leaves some parameters of these untyped (a bare dict, tqdm).
    from huggingface_hub import constants, get_hf_file_metadata  # pyright: ignore[reportUnknownVariableType]
    from huggingface_hub.file_download import http_get  # pyright: ignore[reportUnknownVariableType]
    from huggingface_hub.utils import WeakFileLock, build_hf_headers  # pyright: ignore[reportUnknownVariableType]

    constants.DOWNLOAD_CHUNK_SIZE = min(constants.DOWNLOAD_CHUNK_SIZE, _CHUNK_BYTES)
    meta = get_hf_file_metadata(url, token=token, timeout=timeout, endpoint=endpoint)
    if not meta.etag:
        return  # no blob name to keep a partial under: the library's own download handles (or rejects) it
    blob, partial = blob_paths(storage, meta.etag)
    headers = build_hf_headers(token=token)
    if urlparse(meta.location).netloc != urlparse(url).netloc:
        headers.pop("authorization", None)  # a signed CDN address: the token stays with the hub
    lock = storage.parent / ".locks" / storage.name / f"{meta.etag}.lock"  # the library's lock for this blob
    lock.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):
        if blob.exists():
            return
        blob.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("ab") as f:
            if meta.size is not None and f.tell() > meta.size:  # not this file: start it over
                f.seek(0)
                f.truncate()
            bar = progress.bar(meta.etag)
            http_get(meta.location, f, resume_size=f.tell(), headers=headers, expected_size=meta.size, tqdm_class=bar)
        os.replace(partial, blob)
