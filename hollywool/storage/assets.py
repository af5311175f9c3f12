"""Asset rows: one per saved image or video file under the outputs folder.

The gallery reads them newest first in keyset order, (created_at, seq) descending: a page after a
cursor costs the same at any depth. Text search goes through the `assets_fts` index (migration 15).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, computed_field
from sqlalchemy import text

from hollywool.errors import InvalidInputError
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
    favorite: bool = False

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
    favorite: bool | None = None
    created_after: float | None = None
    created_before: float | None = None
    limit: int = 50
    offset: int = 0
    cursor: str | None = None
    include_total: bool = True
    compact: bool = False  # leave `params` out (the grid does not read them; a ComfyUI graph can be large)


@dataclass
class AssetListing:
    items: list[Asset]
    total: int | None
    next_cursor: str | None


_COLUMNS = (
    "id, kind, path, mime, width, height, duration, fps, frame_count, has_audio, size_bytes, thumbnail_path, "
    "model, prompt, negative_prompt, seed, params, job_id, session_id, created_at, favorite, seq"
)
_QUALIFIED = ", ".join(f"assets.{c.strip()}" for c in _COLUMNS.split(","))  # beside assets_fts' columns
THUMBNAIL_SUFFIX = ".thumb.webp"
# Search terms beyond these are ignored: a query of hundreds of words is not a search.
_MAX_TERMS = 16
_TERM = re.compile(r"\w+", re.UNICODE)


def thumbnail_url(asset_id: str, thumbnail_path: str | None) -> str:
    """The static file once the WebP thumbnail exists; until then the route that makes it (once)."""
    if thumbnail_path and thumbnail_path.endswith(THUMBNAIL_SUFFIX):
        return f"/outputs/{thumbnail_path}"
    return f"/api/assets/{asset_id}/thumbnail"


def _to_asset(row, compact: bool = False) -> Asset:  # noqa: ANN001
    m = dict(row._mapping)
    thumb = m.pop("thumbnail_path")
    m.pop("seq", None)
    return Asset(
        **{k: v for k, v in m.items() if k not in ("params", "has_audio", "favorite")},
        params={} if compact else loads(m["params"], {}),
        has_audio=bool(m["has_audio"]),
        favorite=bool(m["favorite"]),
        url=f"/outputs/{m['path']}",
        thumbnail_url=thumbnail_url(m["id"], thumb),
    )


def encode_cursor(created_at: float, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at!r}|{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, seq = raw.split("|")
        return float(created), int(seq)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("cursor: not a cursor this gallery gave out", field="cursor") from None


def fts_query(search: str) -> str | None:
    """The user's words, all required, the last one also as a prefix (search as you type); None without words.

    Quoting makes FTS5 operators (AND, NEAR, column filters, `*`) plain text: any input is a valid query.
    Only the last word is a prefix: FTS5 merges a prefix's whole doclist before it can skip through it,
    and whole words stream.
    """
    terms = _TERM.findall(search)[:_MAX_TERMS]
    return " ".join(f'"{t}"' for t in terms) + "*" if terms else None


class AssetRepository:
    def __init__(self, db: Database):
        self.db = db

    def insert(self, values: dict[str, Any]) -> Asset:
        self.insert_many([values])
        asset = self.get(values["id"])
        assert asset is not None
        return asset

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert rows in one transaction (the gallery bench fills 100,000 this way).

        `seq` is the next insertion number; the insert trigger indexes the row's text under it.
        """
        if not rows:
            return
        with self.db.write() as conn:
            seq = conn.execute(text("SELECT IFNULL(MAX(seq), 0) FROM assets")).scalar_one()
            by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for values in rows:
                seq += 1
                values = {**values, "params": dumps(values.get("params") or {}), "seq": seq}
                values["created_at"] = values.get("created_at") or now()
                by_columns.setdefault(tuple(values), []).append(values)
            for cols, group in by_columns.items():
                names = ", ".join(cols)
                binds = ", ".join(":" + c for c in cols)
                conn.execute(text(f"INSERT INTO assets ({names}) VALUES ({binds})"), group)

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
        """The seed's offset paging: a page and the total."""
        listing = self.page(q)
        return listing.items, listing.total or 0

    def page(self, q: AssetQuery) -> AssetListing:
        """One page in gallery order: newest first, (created_at, seq) descending; a search's hits newest
        saved first (seq descending, the same order for everything the studio saves), read from the
        full-text index in its own order so that a page stops after `limit` hits however many match."""
        where, args = self._filters(q)
        match = fts_query(q.search) if q.search else None
        if q.search and q.search.strip() and match is None:  # only symbols ("%"): no word to find
            return AssetListing([], 0 if q.include_total else None, None)
        with self.db.read() as conn:
            total = self._count(conn, where, args, match) if q.include_total else None
            if q.cursor:
                created, seq = decode_cursor(q.cursor)
                where.append("seq < :cursor_seq" if match else "(created_at, seq) < (:cursor_created, :cursor_seq)")
                args.update(cursor_created=created, cursor_seq=seq)
            clause = "".join(f" AND {w}" for w in where)
            if match:
                sql = (
                    f"SELECT {_QUALIFIED} FROM assets_fts JOIN assets ON assets.seq = assets_fts.rowid "
                    f"WHERE assets_fts MATCH :match{clause} ORDER BY assets_fts.rowid DESC"
                )
            else:
                sql = f"SELECT {_COLUMNS} FROM assets WHERE 1{clause} ORDER BY created_at DESC, seq DESC"
            rows = conn.execute(
                text(f"{sql} LIMIT :limit OFFSET :offset"),
                {**args, "match": match, "limit": q.limit + 1, "offset": q.offset},
            ).all()
        more = len(rows) > q.limit
        rows = rows[: q.limit]
        last = rows[-1]._mapping if rows else None
        next_cursor = encode_cursor(last["created_at"], last["seq"]) if more and last else None
        return AssetListing([_to_asset(r, compact=q.compact) for r in rows], total, next_cursor)

    @staticmethod
    def _count(conn, where: list[str], args: dict[str, Any], match: str | None) -> int:  # noqa: ANN001
        if match and not where:
            sql, args = "SELECT COUNT(*) FROM assets_fts WHERE assets_fts MATCH :match", {"match": match}
        elif match:
            # `+seq` keeps the filter's index (which holds seq) driving the count, hits checked against a set.
            in_hits = "+seq IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH :match)"
            sql, args = (
                f"SELECT COUNT(*) FROM assets WHERE {' AND '.join(where)} AND {in_hits}",
                {**args, "match": match},
            )
        else:
            sql = "SELECT COUNT(*) FROM assets" + (f" WHERE {' AND '.join(where)}" if where else "")
        return conn.execute(text(sql), args).scalar_one()

    @staticmethod
    def _filters(q: AssetQuery) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        args: dict[str, Any] = {}
        for column in ("kind", "model", "session_id", "job_id"):
            value = getattr(q, column)
            if value:
                where.append(f"assets.{column} = :{column}")
                args[column] = value
        if q.favorite is not None:
            where.append("favorite = 1" if q.favorite else "favorite = 0")
        if q.created_after is not None:
            where.append("created_at >= :created_after")
            args["created_after"] = q.created_after
        if q.created_before is not None:
            where.append("created_at < :created_before")
            args["created_before"] = q.created_before
        return where, args

    def models(self) -> list[str]:
        with self.db.read() as conn:
            return list(
                conn.execute(text("SELECT DISTINCT model FROM assets WHERE model IS NOT NULL ORDER BY model")).scalars()
            )

    def set_favorite(self, asset_id: str, favorite: bool) -> Asset | None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE assets SET favorite = :f WHERE id = :id"), {"f": 1 if favorite else 0, "id": asset_id}
            )
        return self.get(asset_id)

    def set_thumbnail(self, asset_id: str, thumbnail_path: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE assets SET thumbnail_path = :t WHERE id = :id"), {"t": thumbnail_path, "id": asset_id}
            )

    def delete(self, asset_id: str) -> Asset | None:
        asset = self.get(asset_id)
        if asset:
            with self.db.write() as conn:
                conn.execute(text("DELETE FROM assets WHERE id = :id"), {"id": asset_id})
        return asset

    def delete_many(self, ids: list[str]) -> list[tuple[Asset, str | None]]:
        """Delete the rows of `ids` that exist, in one transaction; answers each with its thumbnail path."""
        found: list[tuple[Asset, str | None]] = []
        with self.db.write() as conn:
            for asset_id in dict.fromkeys(ids):
                row = conn.execute(text(f"SELECT {_COLUMNS} FROM assets WHERE id = :id"), {"id": asset_id}).first()
                if row is None:
                    continue
                found.append((_to_asset(row), row._mapping["thumbnail_path"]))
                conn.execute(text("DELETE FROM assets WHERE id = :id"), {"id": asset_id})
        return found

    def thumbnail_path(self, asset_id: str) -> str | None:
        with self.db.read() as conn:
            return conn.execute(text("SELECT thumbnail_path FROM assets WHERE id = :id"), {"id": asset_id}).scalar()
