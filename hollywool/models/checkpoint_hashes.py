"""Checkpoint files' sha256, as Automatic1111 shows them (`hash` is the first 10 hex digits).

Hashing a multi-gigabyte file takes a while, so it is lazy and never in a request: `known()` answers from what
is already stored (or free: a hub LFS blob is named by its sha256, a Civitai download recorded it) and `request()`
queues the file for the one background thread, which reads it in chunks and stores the digest (SQLite, keyed by
the resolved path with its size and mtime, so an edited file is hashed again). Until then the hash is None.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
from collections.abc import Callable
from pathlib import Path

from hollywool.storage.file_hashes import FileHashRepository

log = logging.getLogger(__name__)
CHUNK = 1 << 20
IDLE_S = 30.0  # the thread ends after this long without work; the next request starts another
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# (paths the file is known by, its size) -> a recorded sha256, or None
FreeLookup = Callable[[list[str], int], "str | None"]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def hub_blob_sha256(resolved: Path) -> str | None:
    """A hub cache file is a link to `blobs/<etag>`; an LFS file's etag is its sha256 (others are 40-digit sha1s)."""
    name = resolved.name.lower()
    return name if resolved.parent.name == "blobs" and _SHA256.match(name) else None


class CheckpointHashes:
    def __init__(self, repo: FileHashRepository, free: list[FreeLookup] | None = None):
        self.repo = repo
        self.free = free or []
        self._queue: queue.Queue[Path] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _stat(path: str | Path) -> tuple[Path, int, int] | None:
        try:
            resolved = Path(path).expanduser().resolve()
            st = resolved.stat()
        except (OSError, ValueError, RuntimeError):
            return None
        return (resolved, st.st_size, st.st_mtime_ns) if resolved.is_file() else None

    def known(self, path: str | Path) -> str | None:
        """The file's sha256 when stored or free to know; None for a folder, a missing file or one not hashed yet."""
        found = self._stat(path)
        if found is None:
            return None
        resolved, size, mtime = found
        stored = self.repo.get(str(resolved), size, mtime)
        if stored:
            return stored
        free = hub_blob_sha256(resolved) or next(
            (h for lookup in self.free if (h := lookup([str(resolved), str(path)], size))), None
        )
        if free:
            free = free.lower()  # Civitai publishes upper-case hex; A1111 shows lower-case
            self.repo.put(str(resolved), size, mtime, free)
        return free

    def request(self, path: str | Path) -> None:
        """Queue the file for hashing unless its hash is known or it is queued already."""
        found = self._stat(path)
        if found is None or self.known(found[0]):
            return
        with self._lock:
            if str(found[0]) in self._pending:
                return
            self._pending.add(str(found[0]))
            self._queue.put(found[0])
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="checkpoint-hashes", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                path = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:  # under the lock `request` queues and starts: no file is left behind
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                self._hash(path)
            except Exception:  # an unreadable file, a closed database at shutdown: the next request tries again
                log.warning("could not hash %s", path, exc_info=True)
            finally:
                with self._lock:
                    self._pending.discard(str(path))

    def _hash(self, path: Path) -> None:
        before = self._stat(path)
        if before is None or self.repo.get(str(path), before[1], before[2]):
            return
        digest = sha256_of(path)
        if self._stat(path) == before:  # not written to while it was read
            self.repo.put(str(path), before[1], before[2], digest)
