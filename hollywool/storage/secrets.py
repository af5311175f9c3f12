"""Secrets (provider API keys, the Civitai token): one JSON file readable by the owner only.

Secrets never go in the database (which the UI reads and a user may share) or in a log. The file is
`<data dir>/secrets.json`, mode 0600, rewritten atomically (a temporary file in the same folder,
fsynced, then renamed over the old one), so a crash leaves either the old or the new file whole.
Routers only ever say whether a secret is set (`has`), never its value. The studio opens one store
and hands that same object to every service that needs a key (provider and LLM keys, the Civitai token).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path


class SecretStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()  # read-modify-write: two keys written at once both stay

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SecretStore:
        return cls(data_dir / "secrets.json")

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        os.chmod(self.path, 0o600)

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._read().get(name) or None

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def set(self, name: str, value: str | None) -> None:
        """Store a secret; None or an empty string removes it."""
        with self._lock:
            data = self._read()
            if value:
                data[name] = value
            else:
                data.pop(name, None)
            self._write(data)

    def delete(self, name: str) -> bool:
        with self._lock:
            data = self._read()
            if name not in data:
                return False
            del data[name]
            self._write(data)
            return True

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._read())
