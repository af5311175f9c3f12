"""Asset rows: one per saved image or video file under the outputs folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, computed_field
from sqlalchemy import text

from hollywool.storage.db import Database, dumps, loads, now


class Asset(BaseModel):
    id: str
    kind: str
    path: str
    url: str
    mime: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    fps: float | None = None
    frame_count: int | None = None
    has_audio: bool = False
    size_bytes: int = 0
    thumbnail_url: str | None = None
    model: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    params: dict[str, Any] = {}
    job_id: str | None = None
    session_id: str | None = None
    created_at: float

    # The seed's AssetMetadata / VideoAssetMetadata names (shared/notes/seed-api.md), derived.
    @computed_field
    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @computed_field
    @property
    def type(self) -> str:
        return self.kind

    @computed_field
    @property
    def steps(self) -> int | None:
        return self.params.get("steps")

    @computed_field
    @property
    def guidance_scale(self) -> float | None:
        return self.params.get("guidance_scale")

    @computed_field
    @property
    def batch_id(self) -> str | None:
        return self.params.get("batch_id") or self.job_id

    @computed_field
    @property
    def num_frames(self) -> int | None:
        return self.frame_count


@dataclass
class AssetQuery:
    kind: str | None = None
    model: str | None = None
    session_id: str | None = None
    job_id: str | None = None
    search: str | None = None
    limit: int = 50
    offset: int = 0


_COLUMNS = (
    "id, kind, path, mime, width, height, duration, fps, frame_count, has_audio, size_bytes, thumbnail_path, "
    "model, prompt, negative_prompt, seed, params, job_id, session_id, created_at"
)


def _to_asset(row) -> Asset:  # noqa: ANN001
    m = dict(row._mapping)
    thumb = m.pop("thumbnail_path")
    return Asset(
        **{k: v for k, v in m.items() if k not in ("params", "has_audio")},
        params=loads(m["params"], {}),
        has_audio=bool(m["has_audio"]),
        url=f"/outputs/{m['path']}",
        thumbnail_url=f"/outputs/{thumb}" if thumb else None,
    )


class AssetRepository:
    def __init__(self, db: Database):
        self.db = db

    def insert(self, values: dict[str, Any]) -> Asset:
        values = {**values, "params": dumps(values.get("params") or {})}
        values["created_at"] = values.get("created_at") or now()
        cols = ", ".join(values)
        with self.db.write() as conn:
            conn.execute(text(f"INSERT INTO assets ({cols}) VALUES ({', '.join(':' + c for c in values)})"), values)
        return self.get(values["id"])

    def get(self, asset_id: str) -> Asset | None:
        with self.db.read() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM assets WHERE id = :id"), {"id": asset_id}).first()
        return _to_asset(row) if row else None

    def get_many(self, ids: list[str]) -> list[Asset]:
        if not ids:
            return []
        names = ", ".join(f":i{n}" for n in range(len(ids)))
        with self.db.read() as conn:
            rows = conn.execute(
                text(f"SELECT {_COLUMNS} FROM assets WHERE id IN ({names})"), {f"i{n}": v for n, v in enumerate(ids)}
            ).all()
        by_id = {r._mapping["id"]: _to_asset(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def list(self, q: AssetQuery) -> tuple[list[Asset], int]:
        where, args = [], {}
        for column in ("kind", "model", "session_id", "job_id"):
            value = getattr(q, column)
            if value:
                where.append(f"{column} = :{column}")
                args[column] = value
        if q.search:
            where.append("(prompt LIKE :search ESCAPE '\\' OR negative_prompt LIKE :search ESCAPE '\\')")
            escaped = q.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args["search"] = f"%{escaped}%"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as conn:
            total = conn.execute(text(f"SELECT COUNT(*) FROM assets {clause}"), args).scalar_one()
            rows = conn.execute(
                text(f"SELECT {_COLUMNS} FROM assets {clause} ORDER BY created_at DESC LIMIT :limit OFFSET :offset"),
                {**args, "limit": q.limit, "offset": q.offset},
            ).all()
        return [_to_asset(r) for r in rows], total

    def models(self) -> list[str]:
        with self.db.read() as conn:
            return list(conn.execute(text("SELECT DISTINCT model FROM assets WHERE model IS NOT NULL")).scalars())

    def delete(self, asset_id: str) -> Asset | None:
        asset = self.get(asset_id)
        if asset:
            with self.db.write() as conn:
                conn.execute(text("DELETE FROM assets WHERE id = :id"), {"id": asset_id})
        return asset

    def thumbnail_path(self, asset_id: str) -> str | None:
        with self.db.read() as conn:
            return conn.execute(text("SELECT thumbnail_path FROM assets WHERE id = :id"), {"id": asset_id}).scalar()
