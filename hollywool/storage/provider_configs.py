"""Per-provider settings the user chose: base URL, enabled flag, extras. Never the key (secrets.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from hollywool.storage.db import Database, dumps, loads, now


class ProviderConfig(BaseModel):
    id: str
    api_url: str | None = None
    is_enabled: bool = True
    extra: dict[str, Any] = {}


class ProviderConfigRepository:
    def __init__(self, db: Database):
        self.db = db

    def get(self, provider_id: str) -> ProviderConfig:
        with self.db.read() as conn:
            row = conn.execute(
                text("SELECT id, api_url, is_enabled, extra FROM provider_configs WHERE id = :id"), {"id": provider_id}
            ).first()
        if row is None:
            return ProviderConfig(id=provider_id)
        m = row._mapping
        return ProviderConfig(
            id=m["id"], api_url=m["api_url"], is_enabled=bool(m["is_enabled"]), extra=loads(m["extra"], {})
        )

    def update(self, provider_id: str, **changes: Any) -> ProviderConfig:
        current = self.get(provider_id).model_copy(update=changes)
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO provider_configs (id, api_url, is_enabled, extra, updated_at) "
                    "VALUES (:id, :u, :e, :x, :t) ON CONFLICT(id) DO UPDATE SET api_url = excluded.api_url, "
                    "is_enabled = excluded.is_enabled, extra = excluded.extra, updated_at = excluded.updated_at"
                ),
                {
                    "id": provider_id,
                    "u": current.api_url,
                    "e": int(current.is_enabled),
                    "x": dumps(current.extra),
                    "t": now(),
                },
            )
        return current
