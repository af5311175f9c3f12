"""The cost ledger: what each remote request cost (or is expected to cost), summed for the UI.

A row is written `pending` with the estimate before a request is submitted, so concurrent jobs see
each other against the daily budget; it becomes `charged` when the result arrives (with the billed
amount when the provider reports one) or `void` when the provider does not bill (failed, cancelled).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text

from hollywool.storage.db import Database, now

_COUNTED = "status IN ('pending', 'charged')"


class JobCost(BaseModel):
    """What one job's requests cost so far (pending and charged rows)."""

    amount_usd: float
    estimated: bool = Field(description="true while any of its amounts is an estimate")


class CostTotals(BaseModel):
    total_usd: float
    count: int
    estimated: int = Field(description="how many of the costs are estimates")
    pending: int = Field(description="how many are not settled yet")


class DayCost(CostTotals):
    day: str


class ProviderCost(CostTotals):
    provider: str | None


class ModelCost(CostTotals):
    model: str | None


class SessionCost(CostTotals):
    session_id: str | None


class CostSummary(BaseModel):
    """The costs of a period, in all and grouped four ways, and today's spending against the budget."""

    total_usd: float
    count: int
    by_day: list[DayCost]
    by_provider: list[ProviderCost]
    by_model: list[ModelCost]
    by_session: list[SessionCost]
    today: str
    today_usd: float
    daily_budget_usd: float | None
    budget_left_usd: float | None
    currency: str


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

    def for_jobs(self, job_ids: list[str]) -> dict[str, JobCost]:
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
        return {r[0]: JobCost(amount_usd=r[1], estimated=bool(r[2])) for r in rows}

    def summary(
        self, *, since: str | None = None, until: str | None = None, daily_budget_usd: float | None = None
    ) -> CostSummary:
        where, args = [_COUNTED], {}
        if since:
            where.append("day >= :since")
            args["since"] = since
        if until:
            where.append("day <= :until")
            args["until"] = until
        clause = " AND ".join(where)
        with self.db.read() as conn:
            total = conn.execute(
                text(f"SELECT COALESCE(SUM(amount_usd), 0), COUNT(*) FROM costs WHERE {clause}"), args
            ).one()

            def by(column: str) -> list[Sequence[Any]]:
                return list(
                    conn.execute(
                        text(
                            f"SELECT {column}, SUM(amount_usd), COUNT(*), "
                            f"SUM(CASE WHEN estimated = 1 THEN 1 ELSE 0 END), "
                            f"SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) FROM costs WHERE {clause} "
                            f"GROUP BY {column} ORDER BY {column}"
                        ),
                        args,
                    ).all()
                )

            by_day = [DayCost(day=r[0], **_totals(r)) for r in by("day")]
            by_provider = [ProviderCost(provider=r[0], **_totals(r)) for r in by("provider")]
            by_model = [ModelCost(model=r[0], **_totals(r)) for r in by("model")]
            by_session = [SessionCost(session_id=r[0], **_totals(r)) for r in by("session_id")]
        day = today()
        spent = self.spent_on(day)
        return CostSummary(
            total_usd=round(total[0], 6),
            count=total[1],
            by_day=by_day,
            by_provider=by_provider,
            by_model=by_model,
            by_session=by_session,
            today=day,
            today_usd=round(spent, 6),
            daily_budget_usd=daily_budget_usd,
            budget_left_usd=None if daily_budget_usd is None else round(max(daily_budget_usd - spent, 0.0), 6),
            currency="USD",
        )


def _totals(row: Sequence[Any]) -> dict[str, Any]:
    """A grouped row's totals (its columns after the group's key), as CostTotals' fields."""
    return {"total_usd": round(row[1], 6), "count": row[2], "estimated": row[3], "pending": row[4]}
