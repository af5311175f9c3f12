"""Saved ComfyUI workflows: one row each, with both formats, the parameter list and the pins."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from hollywool.errors import InvalidInputError
from hollywool.storage.db import Database, loads, now


class ComfyWorkflow(BaseModel):
    id: str
    name: str
    description: str | None = None
    thumbnail_asset_id: str | None = None
    source_format: str
    api_graph: dict[str, Any]
    editor_workflow: dict[str, Any] | None = None
    parameters: list[dict[str, Any]]
    pins: list[dict[str, Any]] = []
    created_at: float
    updated_at: float


_COLUMNS = (
    "id, name, description, thumbnail_asset_id, source_format, api_graph, editor_workflow, parameters, pins, "
    "created_at, updated_at"
)
_JSON_COLUMNS = ("api_graph", "editor_workflow", "parameters", "pins")


def dumps(value: Any) -> str | None:
    """JSON for a column. NaN and Infinity are refused: they are not JSON, would be read back as
    null or break every export of the workflow."""
    if value is None:
        return None
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise InvalidInputError(
            "workflow_json: the workflow holds NaN or Infinity, which cannot be stored; use finite numbers",
            field="workflow_json",
        ) from None


def _to_workflow(row) -> ComfyWorkflow:  # noqa: ANN001 - a SQLAlchemy Row
    m = dict(row._mapping)
    for column in _JSON_COLUMNS:
        m[column] = loads(m[column], [] if column in ("parameters", "pins") else None)
    return ComfyWorkflow(**m)


class ComfyWorkflowRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(
        self,
        *,
        name: str,
        source_format: str,
        api_graph: dict[str, Any],
        parameters: list[dict[str, Any]],
        editor_workflow: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> ComfyWorkflow:
        workflow_id = uuid.uuid4().hex
        t = now()
        with self.db.write() as conn:
            conn.execute(
                text(
                    f"INSERT INTO comfyui_workflows ({_COLUMNS}) VALUES (:id, :name, :description, NULL, :fmt, "
                    ":api, :editor, :params, '[]', :t, :t)"
                ),
                {
                    "id": workflow_id,
                    "name": name,
                    "description": description,
                    "fmt": source_format,
                    "api": dumps(api_graph),
                    "editor": dumps(editor_workflow),
                    "params": dumps(parameters),
                    "t": t,
                },
            )
        # Built from what was written, not read back: a big workflow is megabytes of JSON to parse again.
        return ComfyWorkflow(
            id=workflow_id,
            name=name,
            description=description,
            source_format=source_format,
            api_graph=api_graph,
            editor_workflow=editor_workflow,
            parameters=parameters,
            created_at=t,
            updated_at=t,
        )

    def get(self, workflow_id: str) -> ComfyWorkflow | None:
        with self.db.read() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS} FROM comfyui_workflows WHERE id = :id"), {"id": workflow_id}
            ).first()
        return _to_workflow(row) if row else None

    def list(self, limit: int = 100, offset: int = 0) -> tuple[list[ComfyWorkflow], int]:
        with self.db.read() as conn:
            total = conn.execute(text("SELECT COUNT(*) FROM comfyui_workflows")).scalar_one()
            rows = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM comfyui_workflows ORDER BY updated_at DESC, rowid DESC "
                    "LIMIT :limit OFFSET :offset"
                ),
                {"limit": limit, "offset": offset},
            ).all()
        return [_to_workflow(r) for r in rows], total

    def update(self, workflow_id: str, changes: dict[str, Any]) -> ComfyWorkflow | None:
        allowed = {"name", "description", "thumbnail_asset_id", "parameters", "pins", "api_graph", "editor_workflow"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if not changes:
            return self.get(workflow_id)
        values = {k: dumps(v) if k in _JSON_COLUMNS else v for k, v in changes.items()}
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        with self.db.write() as conn:
            row = conn.execute(
                text(
                    f"UPDATE comfyui_workflows SET {assignments}, updated_at = :t WHERE id = :id RETURNING {_COLUMNS}"
                ),
                {**values, "id": workflow_id, "t": now()},
            ).first()
        return _to_workflow(row) if row else None

    def set_thumbnail(self, workflow_id: str, asset_id: str) -> None:
        """Record the last output; does not count as an edit (updated_at stays)."""
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE comfyui_workflows SET thumbnail_asset_id = :a WHERE id = :id"),
                {"a": asset_id, "id": workflow_id},
            )

    def delete(self, workflow_id: str) -> bool:
        with self.db.write() as conn:
            result = conn.execute(text("DELETE FROM comfyui_workflows WHERE id = :id"), {"id": workflow_id})
        return result.rowcount > 0
