"""User preferences (the Settings page): typed, validated, stored as rows of one key each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import text

from hollywool.storage.db import Database
from hollywool.urls import check_http_url


class Preferences(BaseModel):
    """Everything `GET/PUT /api/settings` reads and writes. Secrets never live here."""

    default_model: str | None = None
    default_video_model: str | None = None
    default_steps: int | None = Field(None, ge=1, le=200)
    default_guidance: float | None = Field(None, ge=0, le=50)
    # The Image page's size for a new form; null: the model's own size (as steps and guidance).
    default_width: int | None = Field(None, ge=64, le=4096)
    default_height: int | None = Field(None, ge=64, le=4096)
    theme: Literal["light", "dark", "system"] = "system"
    max_log_entries: int = Field(1000, ge=10, le=100_000)
    request_logging: bool = True
    auto_name_sessions: bool = True
    # Service addresses chosen in Settings (null: the environment's default); see service_urls.py.
    comfyui_url: str | None = Field(None, max_length=2048)
    civitai_url: str | None = Field(None, max_length=2048)
    memory_budget_gb: float | None = Field(None, gt=0, le=2048)
    daily_budget_usd: float | None = Field(None, ge=0)
    llm_provider: Literal["anthropic", "openai_compatible"] = "anthropic"
    llm_model: str | None = None
    # The seed's AppSettings fields.
    auto_save_history: bool = True
    favorite_models: list[str] = Field(default_factory=list, max_length=200)
    # ComfyUI or A1111/Forge `models` folders whose files are used in place (POST /api/models/folders adds one).
    model_folders: list[str] = Field(default_factory=list, max_length=50)
    # The model Automatic1111's API (/sdapi/v1) uses: its `sd_model_checkpoint` option; null: default_model.
    sdapi_model: str | None = Field(None, max_length=500)

    @field_validator("comfyui_url", "civitai_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_http_url(value) if value is not None and value.strip() else None


class PreferencesRepository:
    def __init__(self, db: Database):
        self.db = db
        self._listeners: list[Callable[[Preferences], None]] = []

    def add_listener(self, listener: Callable[[Preferences], None]) -> None:
        """`listener(preferences)` after every change (the GPU workers take the new ones)."""
        self._listeners.append(listener)

    def get(self) -> Preferences:
        with self.db.read() as conn:
            rows = conn.execute(text("SELECT key, value FROM settings")).all()
        stored = {k: json.loads(v) for k, v in rows if k in Preferences.model_fields}
        return Preferences(**stored)

    def update(self, changes: dict[str, Any]) -> Preferences:
        merged = Preferences(**{**self.get().model_dump(), **changes})  # validates the whole
        with self.db.write() as conn:
            for key in changes:
                conn.execute(
                    text(
                        "INSERT INTO settings (key, value) VALUES (:k, :v) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                    ),
                    {"k": key, "v": json.dumps(getattr(merged, key))},
                )
        for listener in self._listeners:
            listener(merged)
        return merged
