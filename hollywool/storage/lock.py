"""One process owns a data folder: an OS lock on `<data dir>/hollywool.lock`, held for the process's life.

The lock is `flock` on the open file, so the kernel drops it when the owner dies (even by SIGKILL): a
lock left by a crash is simply taken over. The owner's pid, machine and address are written inside
the file only so that the next process can say who holds the folder.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock: the folder is not guarded there
    fcntl = None

LOCK_FILE = "hollywool.lock"


@dataclass(frozen=True)
class Owner:
    pid: int | None = None
    host: str | None = None  # the machine's name: a pid means nothing on another machine
    url: str | None = None  # where its API answers; None for the command line's in-process mode

    def describe(self) -> str:
        parts = [f"pid {self.pid}" if self.pid else "pid unknown"]
        if self.host and self.host != socket.gethostname():
            parts.append(f"on {self.host}")
        parts.append(self.url or "in-process, no API address")
        return ", ".join(parts)


class DataFolderInUse(Exception):
    def __init__(self, data_dir: Path, owner: Owner):
        self.data_dir = data_dir
        self.owner = owner
        self.headline = f"Another HollyWool ({owner.describe()}) is using {data_dir}"
        super().__init__(f"{self.headline}; stop it or use --data-dir / HOLLYWOOL_DATA_DIR.")


class DataFolderLock:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, url: str | None = None) -> None:
        """Take the folder, or raise DataFolderInUse naming the process that has it."""
        if self._fd is not None:
            self._write(url)  # already ours: just record the address we serve at
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
        try:
            _lock(fd)
        except BlockingIOError:
            os.close(fd)
            raise DataFolderInUse(self.data_dir, self.owner() or Owner()) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._write(url)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # the file stays (deleting it would race a process opening it)
        finally:
            os.close(fd)  # closing drops the flock

    def owner(self) -> Owner | None:
        """Who the lock file says holds the folder (None when it says nothing readable)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict):
            return None
        pid = raw.get("pid")
        return Owner(
            pid=pid if isinstance(pid, int) else None,
            host=raw.get("host") if isinstance(raw.get("host"), str) else None,
            url=raw.get("url") if isinstance(raw.get("url"), str) else None,
        )

    def _write(self, url: str | None) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "url": url, "since": time.time()}
        data = json.dumps(info).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


def _lock(fd: int) -> None:
    if fcntl is not None:  # BlockingIOError when another process holds it
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
