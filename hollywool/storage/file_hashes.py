"""The sha256 of model files, computed once: a row per resolved path, valid while its size and mtime match."""

from __future__ import annotations

from sqlalchemy import text

from hollywool.storage.db import Database, now


class FileHashRepository:
    def __init__(self, db: Database):
        self.db = db

    def get(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The stored sha256 when the file is as it was when hashed (same size and mtime); else None."""
        with self.db.read() as conn:
            row = conn.execute(
                text("SELECT sha256 FROM file_hashes WHERE path = :p AND size = :s AND mtime_ns = :m"),
                {"p": path, "s": size, "m": mtime_ns},
            ).first()
        return row[0] if row else None

    def put(self, path: str, size: int, mtime_ns: int, sha256: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO file_hashes (path, size, mtime_ns, sha256, hashed_at) VALUES (:p, :s, :m, :h, :t) "
                    "ON CONFLICT(path) DO UPDATE SET size = :s, mtime_ns = :m, sha256 = :h, hashed_at = :t"
                ),
                {"p": path, "s": size, "m": mtime_ns, "h": sha256.lower(), "t": now()},
            )
