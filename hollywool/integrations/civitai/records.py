"""Civitai downloads as rows of the `downloads` table (source 'civitai').

One row per model version file: `ref` is the version id (for its primary file) or
`<version id>:<file id>` (for another file of the version), and the table's unique (source, ref)
index is what makes "the same version is never downloaded twice" hold even under concurrent requests.
The row is the download's state; the job that runs it is only the worker.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hollywool.storage.db import Database, dumps, loads, now

SOURCE = "civitai"


class DownloadStatus(StrEnum):
    queued = "queued"
    downloading = "downloading"
    verifying = "verifying"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def active(self) -> bool:
        return self in (DownloadStatus.queued, DownloadStatus.downloading, DownloadStatus.verifying)


class Download(BaseModel):
    id: str
    version_id: int
    model_id: int | None = None
    model_name: str = ""
    version_name: str = ""
    model_type: str | None = None
    base_model: str | None = None
    trained_words: list[str] = Field(default_factory=list)
    file_id: int | None = None
    file_name: str = Field("", description="the file's name on Civitai")
    preview_url: str | None = None
    url: str | None = None
    path: str | None = Field(None, description="where the verified file is, once completed")
    filename: str | None = None
    total_bytes: int | None = None
    downloaded_bytes: int = 0
    sha256: str | None = Field(None, description="the SHA-256 Civitai publishes (upper-case hex)")
    status: DownloadStatus
    error: str | None = None
    job_id: str | None = None
    created_at: float
    updated_at: float
    # Live figures while it runs (not stored).
    speed_bps: float | None = None
    eta_seconds: float | None = None

    @computed_field(description="0 to 100")
    @property
    def progress(self) -> float:
        return round(100 * self.downloaded_bytes / self.total_bytes, 2) if self.total_bytes else 0.0


_META_FIELDS = (
    "version_id",
    "model_id",
    "model_name",
    "version_name",
    "model_type",
    "base_model",
    "trained_words",
    "file_id",
    "file_name",
    "preview_url",
)
_COLUMNS = (
    "id, ref, url, dest_path, filename, total_bytes, downloaded_bytes, sha256, status, error, job_id, meta, "
    "created_at, updated_at"
)


def ref_for(version_id: int, file_id: int | None, primary: bool) -> str:
    return str(version_id) if primary or file_id is None else f"{version_id}:{file_id}"


def _row(row) -> Download:  # noqa: ANN001 - a SQLAlchemy Row
    m = row._mapping
    meta = loads(m["meta"], {})
    return Download(
        id=m["id"],
        url=m["url"],
        path=m["dest_path"],
        filename=m["filename"],
        total_bytes=m["total_bytes"],
        downloaded_bytes=m["downloaded_bytes"],
        sha256=m["sha256"],
        status=DownloadStatus(m["status"]),
        error=m["error"],
        job_id=m["job_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        **{k: meta[k] for k in _META_FIELDS if k in meta},
    )


class DownloadRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, ref: str, *, url: str | None, total_bytes: int | None, sha256: str | None, **meta: Any):
        """Insert a queued download; returns None when one for `ref` exists already."""
        t = now()
        download_id = uuid.uuid4().hex
        try:
            with self.db.write() as conn:
                conn.execute(
                    text(
                        "INSERT INTO downloads (id, source, ref, url, total_bytes, downloaded_bytes, sha256, status, "
                        "meta, created_at, updated_at) VALUES (:id, :source, :ref, :url, :total, 0, :sha, 'queued', "
                        ":meta, :t, :t)"
                    ),
                    {
                        "id": download_id,
                        "source": SOURCE,
                        "ref": ref,
                        "url": url,
                        "total": total_bytes,
                        "sha": sha256,
                        "meta": dumps({k: meta.get(k) for k in _META_FIELDS if k in meta}),
                        "t": t,
                    },
                )
        except IntegrityError:
            return None
        return self.get(download_id)

    def get(self, download_id: str) -> Download | None:
        with self.db.read() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS} FROM downloads WHERE id = :id AND source = :s"),
                {"id": download_id, "s": SOURCE},
            ).first()
        return _row(row) if row else None

    def by_ref(self, ref: str) -> Download | None:
        with self.db.read() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS} FROM downloads WHERE source = :s AND ref = :ref"), {"s": SOURCE, "ref": ref}
            ).first()
        return _row(row) if row else None

    def sha256_of_file(self, paths: list[str], size: int) -> str | None:
        """The sha256 a completed download recorded for a file at one of `paths` that still has its size."""
        with self.db.read() as conn:
            for path in paths:
                row = conn.execute(
                    text(
                        "SELECT sha256 FROM downloads WHERE source = :s AND dest_path = :p AND status = 'completed' "
                        "AND total_bytes = :n AND sha256 IS NOT NULL"
                    ),
                    {"s": SOURCE, "p": path, "n": size},
                ).first()
                if row:
                    return row[0].lower()
        return None

    def list(
        self, *, status: list[DownloadStatus] | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[Download], int]:
        where, args = ["source = :s"], {"s": SOURCE}
        if status:
            where.append(f"status IN ({', '.join(f':st{i}' for i in range(len(status)))})")
            args.update({f"st{i}": str(s) for i, s in enumerate(status)})
        clause = " AND ".join(where)
        with self.db.read() as conn:
            total = conn.execute(text(f"SELECT COUNT(*) FROM downloads WHERE {clause}"), args).scalar_one()
            rows = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM downloads WHERE {clause} "
                    "ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"
                ),
                {**args, "limit": limit, "offset": offset},
            ).all()
        return [_row(r) for r in rows], total

    def update(self, download_id: str, **fields: Any) -> Download | None:
        columns = {"path": "dest_path"}
        allowed = {"url", "path", "filename", "total_bytes", "downloaded_bytes", "sha256", "status", "error", "job_id"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = ", ".join(f"{columns.get(k, k)} = :{k}" for k in fields)
        values = {k: (str(v) if isinstance(v, DownloadStatus) else v) for k, v in fields.items()}
        with self.db.write() as conn:
            conn.execute(
                text(f"UPDATE downloads SET {sets}{', ' if sets else ''}updated_at = :t WHERE id = :id"),
                {**values, "id": download_id, "t": now()},
            )
        return self.get(download_id)

    def reset(self, download_id: str, *, url: str | None, total_bytes: int | None, sha256: str | None) -> Download:
        """Queue a failed or cancelled download again, with the version's current file facts."""
        return self.update(
            download_id,
            url=url,
            total_bytes=total_bytes,
            sha256=sha256,
            status=DownloadStatus.queued,
            error=None,
            path=None,
            downloaded_bytes=0,
        )

    def delete(self, download_id: str) -> bool:
        with self.db.write() as conn:
            count = conn.execute(
                text("DELETE FROM downloads WHERE id = :id AND source = :s"), {"id": download_id, "s": SOURCE}
            ).rowcount
        return count > 0
