"""The cost ledger: what each remote request cost (or is expected to cost), summed for the UI.

A row is written `pending` with the estimate before a request is submitted, so concurrent jobs see
each other against the daily budget; it becomes `charged` when the result arrives (with the billed
amount when the provider reports one) or `void` when the provider does not bill (failed, cancelled).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import text

from hollywool.storage.db import Database, now

_COUNTED = "status IN ('pending', 'charged')"


def today() -> str:
    return time.strftime("%Y-%m-%d")


class CostLedger:
    def __init__(self, db: Database):
        self.db = db
        # Budget check and reservation happen together, so two jobs cannot both slip under it.
        self.lock = threading.Lock()

    def reserve(self, *, job_id: str, provider: str, model: str, session_id: str | None, estimate: float | None) -> int:
        """A pending row for the job's next request (reusing one left by an interrupted attempt)."""
        t = now()
        with self.db.write() as conn:
            row = conn.execute(
                text("SELECT id FROM costs WHERE job_id = :j AND request_id IS NULL AND status = 'pending'"),
                {"j": job_id},
            ).first()
            if row:
                conn.execute(
                    text("UPDATE costs SET amount_usd = :a, updated_at = :t WHERE id = :id"),
                    {"a": estimate or 0.0, "t": t, "id": row[0]},
                )
                return row[0]
            return conn.execute(
                text(
                    "INSERT INTO costs (job_id, provider, model, session_id, amount_usd, estimated, status, day, "
                    "created_at, updated_at) VALUES (:j, :p, :m, :s, :a, 1, 'pending', :d, :t, :t) RETURNING id"
                ),
                {"j": job_id, "p": provider, "m": model, "s": session_id, "a": estimate or 0.0, "d": today(), "t": t},
            ).scalar_one()

    def attach_request(self, entry_id: int, request_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE costs SET request_id = :r, updated_at = :t WHERE id = :id"),
                {"r": request_id, "t": now(), "id": entry_id},
            )

    def find(self, job_id: str, request_id: str) -> int | None:
        with self.db.read() as conn:
            return conn.execute(
                text("SELECT id FROM costs WHERE job_id = :j AND request_id = :r ORDER BY id DESC LIMIT 1"),
                {"j": job_id, "r": request_id},
            ).scalar()

    def settle(self, entry_id: int, *, amount: float | None, estimated: bool) -> None:
        with self.db.write() as conn:
            if amount is None:
                conn.execute(
                    text("UPDATE costs SET status = 'charged', updated_at = :t WHERE id = :id"),
                    {"t": now(), "id": entry_id},
                )
            else:
                conn.execute(
                    text(
                        "UPDATE costs SET status = 'charged', amount_usd = :a, estimated = :e, updated_at = :t "
                        "WHERE id = :id"
                    ),
                    {"a": amount, "e": int(estimated), "t": now(), "id": entry_id},
                )

    def void(self, entry_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE costs SET status = 'void', updated_at = :t WHERE id = :id"), {"t": now(), "id": entry_id}
            )

    # -- reading -------------------------------------------------------------------------------
    def spent_on(self, day: str) -> float:
        with self.db.read() as conn:
            return conn.execute(
                text(f"SELECT COALESCE(SUM(amount_usd), 0) FROM costs WHERE day = :d AND {_COUNTED}"), {"d": day}
            ).scalar_one()

    def for_jobs(self, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not job_ids:
            return {}
        names = ", ".join(f":i{n}" for n in range(len(job_ids)))
        with self.db.read() as conn:
            rows = conn.execute(
                text(
                    f"SELECT job_id, SUM(amount_usd), MAX(estimated), MIN(status) FROM costs "
                    f"WHERE job_id IN ({names}) AND {_COUNTED} GROUP BY job_id"
                ),
                {f"i{n}": v for n, v in enumerate(job_ids)},
            ).all()
        return {r[0]: {"amount_usd": r[1], "estimated": bool(r[2])} for r in rows}

    def summary(self, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
        where, args = [_COUNTED], {}
        if since:
            where.append("day >= :since")
            args["since"] = since
        if until:
            where.append("day <= :until")
            args["until"] = until
        clause = " AND ".join(where)
        out: dict[str, Any] = {}
        with self.db.read() as conn:
            total = conn.execute(
                text(f"SELECT COALESCE(SUM(amount_usd), 0), COUNT(*) FROM costs WHERE {clause}"), args
            ).one()
            out["total_usd"] = round(total[0], 6)
            out["count"] = total[1]
            for name, column in (
                ("by_day", "day"),
                ("by_provider", "provider"),
                ("by_model", "model"),
                ("by_session", "session_id"),
            ):
                rows = conn.execute(
                    text(
                        f"SELECT {column}, SUM(amount_usd), COUNT(*), SUM(CASE WHEN estimated = 1 THEN 1 ELSE 0 END), "
                        f"SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) FROM costs WHERE {clause} "
                        f"GROUP BY {column} ORDER BY {column}"
                    ),
                    args,
                ).all()
                key = column if column != "session_id" else "session_id"
                out[name] = [
                    {key: r[0], "total_usd": round(r[1], 6), "count": r[2], "estimated": r[3], "pending": r[4]}
                    for r in rows
                ]
        return out
