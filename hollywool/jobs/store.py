"""The job store: the contract every part of the studio relies on, and its SQLite implementation.

Concurrency rules (they hold for any implementation):
- `claim_next` is atomic: two dispatchers calling it at once never receive the same job.
- State changes are guarded by the current state: `complete`, `fail` and `mark_cancelled` only
  move a `running` job; `request_cancel` cancels a `queued` job outright and only flags a
  `running` one (its runner stops at the next step and calls `mark_cancelled`).
- A job that was `running` when the process died is found by `recover_interrupted` at the next
  start: it is queued again (keeping its checkpoint), or failed once it used up its attempts.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from hollywool.jobs.models import ACTIVE_STATUSES, Job, JobStatus, RanOn
from hollywool.storage.db import Database, dumps, loads, now


@dataclass
class NewJob:
    kind: str
    lane: str
    params: dict[str, Any]
    priority: int = 0
    session_id: str | None = None
    parent_id: str | None = None
    status: JobStatus = JobStatus.queued


@dataclass
class JobQuery:
    status: Sequence[JobStatus] | None = None
    kind: str | None = None
    session_id: str | None = None
    parent_id: str | None = None
    top_level_only: bool = False
    limit: int = 50
    offset: int = 0


@dataclass
class Progress:
    stage: str
    step: int
    total_steps: int
    fraction: float
    eta_seconds: float | None
    message: str | None


class JobStore(abc.ABC):
    @abc.abstractmethod
    def create(self, jobs: Iterable[NewJob]) -> list[Job]:
        """Insert jobs in one transaction, in queue order."""

    @abc.abstractmethod
    def create_with_children(self, parent: NewJob, children: Sequence[NewJob]) -> tuple[Job, list[Job]]:
        """Insert a parent and its children in one transaction: a crash leaves both or neither.

        The children's `parent_id` is set to the parent, and the parent's result lists them in
        order (`child_ids`)."""

    @abc.abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    @abc.abstractmethod
    def list(self, query: JobQuery) -> tuple[list[Job], int]:
        """Newest first, with the total count of matches."""

    @abc.abstractmethod
    def claim_next(self, lanes: Sequence[str]) -> Job | None:
        """Atomically move the first queued job of any of `lanes` to running (attempts + 1)."""

    @abc.abstractmethod
    def queue_positions(self, job_ids: Sequence[str]) -> dict[str, int]:
        """Where each of these queued jobs stands in its lane: 1 runs next (the order `claim_next` takes)."""

    @abc.abstractmethod
    def set_progress(self, job_id: str, progress: Progress) -> None: ...

    @abc.abstractmethod
    def set_checkpoint(self, job_id: str, checkpoint: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def merge_result(self, job_id: str, result: dict[str, Any]) -> Job | None:
        """Merge keys into the job's result while it runs (e.g. asset ids as they are saved)."""

    @abc.abstractmethod
    def complete(self, job_id: str, result: dict[str, Any]) -> Job | None: ...

    @abc.abstractmethod
    def fail(self, job_id: str, error: str, detail: str | None = None) -> Job | None:
        """`error` is what the user reads (a sentence with a next step); `detail` the raw text behind it."""

    @abc.abstractmethod
    def mark_cancelled(self, job_id: str) -> Job | None: ...

    @abc.abstractmethod
    def requeue(self, job_id: str) -> Job | None:
        """Put a running job back in the queue without charging an attempt (graceful shutdown)."""

    @abc.abstractmethod
    def requeue_lost(self, job_id: str, max_attempts: int, reason: str) -> Job | None:
        """Put a running job whose worker died back in the queue, its attempt counted: failed once it used
        up `max_attempts`, cancelled when a cancel was asked for."""

    @abc.abstractmethod
    def set_ran_on(self, job_id: str, ran_on: RanOn) -> None:
        """Record where the job runs (the machine, device and worker of this attempt)."""

    @abc.abstractmethod
    def request_cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job, or flag a running one. Returns the job after the change."""

    @abc.abstractmethod
    def retry(self, job_id: str) -> Job | None:
        """Queue a failed or cancelled job again at the back of its lane."""

    @abc.abstractmethod
    def move_to_front(self, job_id: str) -> Job | None: ...

    @abc.abstractmethod
    def recover_interrupted(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """Re-queue jobs left running by a crash; fail those out of attempts. (requeued, failed)"""

    @abc.abstractmethod
    def counts_by_status(self, parent_id: str | None = None) -> dict[str, int]: ...


# Up to this many jobs, positions are counted one by one (fast at any queue depth); more, the queue is numbered once.
_FEW_POSITIONS = 8

_COLUMNS = (
    "id, kind, lane, status, priority, params, stage, step, total_steps, progress, eta_seconds, "
    "message, error, error_detail, result, checkpoint, session_id, parent_id, attempts, cancel_requested, "
    "ran_on, created_at, started_at, finished_at, updated_at"
)


def _row_to_job(m: RowMapping) -> Job:
    return Job(
        id=m["id"],
        kind=m["kind"],
        lane=m["lane"],
        status=JobStatus(m["status"]),
        priority=m["priority"],
        params=loads(m["params"], {}),
        stage=m["stage"],
        step=m["step"],
        total_steps=m["total_steps"],
        fraction=m["progress"],
        eta_seconds=m["eta_seconds"],
        message=m["message"],
        error=m["error"],
        error_detail=m["error_detail"],
        result=loads(m["result"], {}),
        checkpoint=loads(m["checkpoint"], {}),
        session_id=m["session_id"],
        parent_id=m["parent_id"],
        attempts=m["attempts"],
        cancel_requested=bool(m["cancel_requested"]),
        ran_on=RanOn.model_validate(loads(m["ran_on"])) if m["ran_on"] else None,
        created_at=m["created_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        updated_at=m["updated_at"],
    )


class SqliteJobStore(JobStore):
    def __init__(self, db: Database):
        self.db = db

    # -- reading -----------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self.db.read() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM jobs WHERE id = :id"), {"id": job_id}).mappings().first()
        return _row_to_job(row) if row else None

    def list(self, query: JobQuery) -> tuple[list[Job], int]:
        where: list[str] = []
        args: dict[str, Any] = {}
        if query.status:
            names = [f":s{i}" for i in range(len(query.status))]
            where.append(f"status IN ({', '.join(names)})")
            args.update({f"s{i}": str(s) for i, s in enumerate(query.status)})
        for column in ("kind", "session_id", "parent_id"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"{column} = :{column}")
                args[column] = value
        if query.top_level_only and query.parent_id is None:
            where.append("parent_id IS NULL")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as conn:
            total = conn.execute(text(f"SELECT COUNT(*) FROM jobs {clause}"), args).scalar_one()
            rows = (
                conn.execute(
                    text(
                        f"SELECT {_COLUMNS} FROM jobs {clause} "
                        "ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"
                    ),
                    {**args, "limit": query.limit, "offset": query.offset},
                )
                .mappings()
                .all()
            )
        return [_row_to_job(r) for r in rows], total

    def counts_by_status(self, parent_id: str | None = None) -> dict[str, int]:
        clause, args = ("WHERE parent_id = :p", {"p": parent_id}) if parent_id else ("", {})
        with self.db.read() as conn:
            rows = conn.execute(text(f"SELECT status, COUNT(*) FROM jobs {clause} GROUP BY status"), args)
            return {status: count for status, count in rows}

    # -- writing -----------------------------------------------------------------------------
    def create(self, jobs: Iterable[NewJob]) -> list[Job]:
        with self.db.write() as conn:
            return self._insert(conn, [(uuid.uuid4().hex, new, None) for new in jobs])

    def create_with_children(self, parent: NewJob, children: Sequence[NewJob]) -> tuple[Job, list[Job]]:
        parent_id = uuid.uuid4().hex
        rows = [(uuid.uuid4().hex, replace(child, parent_id=parent_id), None) for child in children]
        result = {"child_ids": [job_id for job_id, _, _ in rows]}
        with self.db.write() as conn:
            jobs = self._insert(conn, [(parent_id, parent, result), *rows])
        return jobs[0], jobs[1:]

    def _insert(self, conn: Connection, rows: list[tuple[str, NewJob, dict[str, Any] | None]]) -> list[Job]:
        """Insert (id, job, initial result) rows inside the caller's transaction, in queue order."""
        t = now()
        last = conn.execute(text("SELECT COALESCE(MAX(queue_order), 0) FROM jobs")).scalar_one()
        for i, (job_id, new, result) in enumerate(rows):
            conn.execute(
                text(
                    "INSERT INTO jobs (id, kind, lane, status, priority, queue_order, params, stage, result, "
                    "session_id, parent_id, created_at, updated_at) VALUES (:id, :kind, :lane, :status, "
                    ":priority, :qo, :params, :stage, :result, :session_id, :parent_id, :t, :t)"
                ),
                {
                    "id": job_id,
                    "kind": new.kind,
                    "lane": new.lane,
                    "status": str(new.status),
                    "priority": new.priority,
                    "qo": last + 1 + i,
                    "params": dumps(new.params),
                    "stage": str(new.status),
                    "result": dumps(result) if result else None,
                    "session_id": new.session_id,
                    "parent_id": new.parent_id,
                    "t": t + i * 1e-6,  # keeps creation order stable within one batch
                },
            )
        ids = [job_id for job_id, _, _ in rows]
        if not ids:
            return []
        found = (
            conn.execute(
                text(f"SELECT {_COLUMNS} FROM jobs WHERE id IN ({', '.join(f':i{n}' for n in range(len(ids)))})"),
                {f"i{n}": v for n, v in enumerate(ids)},
            )
            .mappings()
            .all()
        )
        by_id = {r["id"]: _row_to_job(r) for r in found}
        return [by_id[i] for i in ids]

    def _update_returning(self, sql: str, args: dict[str, Any]) -> Job | None:
        with self.db.write() as conn:
            row = conn.execute(text(f"{sql} RETURNING {_COLUMNS}"), {**args, "t": now()}).mappings().first()
        return _row_to_job(row) if row else None

    def claim_next(self, lanes: Sequence[str]) -> Job | None:
        if not lanes:
            return None
        names = ", ".join(f":l{i}" for i in range(len(lanes)))
        return self._update_returning(
            "UPDATE jobs SET status = 'running', stage = 'starting', attempts = attempts + 1, "
            "started_at = :t, updated_at = :t, error = NULL, error_detail = NULL, cancel_requested = 0 "
            "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND lane IN (" + names + ") "
            "ORDER BY priority DESC, queue_order ASC LIMIT 1)",
            {f"l{i}": lane for i, lane in enumerate(lanes)},
        )

    def queue_positions(self, job_ids: Sequence[str]) -> dict[str, int]:
        if not job_ids:
            return {}
        names = ", ".join(f":j{i}" for i in range(len(job_ids)))
        if len(job_ids) <= _FEW_POSITIONS:
            # A job's event or page: count the jobs ahead of each through the claim index, not number the queue.
            sql = (
                "SELECT j.id, 1 + (SELECT COUNT(*) FROM jobs AS o WHERE o.lane = j.lane AND o.status = 'queued' "
                "AND (o.priority > j.priority OR (o.priority = j.priority AND o.queue_order < j.queue_order))) "
                f"FROM jobs AS j WHERE j.status = 'queued' AND j.id IN ({names})"
            )
        else:  # a list page: number the whole queue once
            sql = (
                "SELECT id, position FROM (SELECT id, ROW_NUMBER() OVER "
                "(PARTITION BY lane ORDER BY priority DESC, queue_order ASC) AS position "
                f"FROM jobs WHERE status = 'queued') WHERE id IN ({names})"
            )
        with self.db.read() as conn:
            rows = conn.execute(text(sql), {f"j{i}": job_id for i, job_id in enumerate(job_ids)}).all()
        return {row[0]: int(row[1]) for row in rows}

    def set_progress(self, job_id: str, progress: Progress) -> None:
        with self.db.write() as conn:
            conn.execute(
                text(
                    "UPDATE jobs SET stage = :stage, step = :step, total_steps = :total, progress = :fraction, "
                    "eta_seconds = :eta, message = :message, updated_at = :t "
                    "WHERE id = :id AND status = 'running'"
                ),
                {
                    "id": job_id,
                    "stage": progress.stage,
                    "step": progress.step,
                    "total": progress.total_steps,
                    "fraction": progress.fraction,
                    "eta": progress.eta_seconds,
                    "message": progress.message,
                    "t": now(),
                },
            )

    def set_checkpoint(self, job_id: str, checkpoint: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE jobs SET checkpoint = :c, updated_at = :t WHERE id = :id"),
                {"id": job_id, "c": dumps(checkpoint), "t": now()},
            )

    def merge_result(self, job_id: str, result: dict[str, Any]) -> Job | None:
        with self.db.write() as conn:
            raw = conn.execute(text("SELECT result FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
            merged = {**loads(raw, {}), **result}
            row = (
                conn.execute(
                    text(f"UPDATE jobs SET result = :r, updated_at = :t WHERE id = :id RETURNING {_COLUMNS}"),
                    {"id": job_id, "r": dumps(merged), "t": now()},
                )
                .mappings()
                .first()
            )
        return _row_to_job(row) if row else None

    def complete(self, job_id: str, result: dict[str, Any]) -> Job | None:
        with self.db.write() as conn:
            raw = conn.execute(text("SELECT result FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
            row = (
                conn.execute(
                    text(
                        "UPDATE jobs SET status = 'completed', stage = 'completed', progress = 1, eta_seconds = 0, "
                        "result = :r, finished_at = :t, updated_at = :t WHERE id = :id AND status = 'running' "
                        f"RETURNING {_COLUMNS}"
                    ),
                    {"id": job_id, "r": dumps({**loads(raw, {}), **result}), "t": now()},
                )
                .mappings()
                .first()
            )
        return _row_to_job(row) if row else None

    def fail(self, job_id: str, error: str, detail: str | None = None) -> Job | None:
        return self._update_returning(
            "UPDATE jobs SET status = 'failed', stage = 'failed', error = :e, error_detail = :d, eta_seconds = NULL, "
            "finished_at = :t, updated_at = :t WHERE id = :id AND status IN ('running', 'queued')",
            {"id": job_id, "e": error, "d": detail},
        )

    def mark_cancelled(self, job_id: str) -> Job | None:
        return self._update_returning(
            "UPDATE jobs SET status = 'cancelled', stage = 'cancelled', eta_seconds = NULL, "
            "finished_at = :t, updated_at = :t WHERE id = :id AND status IN ('running', 'queued')",
            {"id": job_id},
        )

    def requeue(self, job_id: str) -> Job | None:
        return self._update_returning(
            "UPDATE jobs SET status = 'queued', stage = 'queued', attempts = MAX(attempts - 1, 0), "
            "message = 'Re-queued: the studio was shut down while it ran', updated_at = :t "
            "WHERE id = :id AND status = 'running'",
            {"id": job_id},
        )

    def requeue_lost(self, job_id: str, max_attempts: int, reason: str) -> Job | None:
        return self._update_returning(
            "UPDATE jobs SET "
            "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' WHEN attempts >= :max THEN 'failed' "
            "ELSE 'queued' END, "
            "stage = CASE WHEN cancel_requested = 1 THEN 'cancelled' WHEN attempts >= :max THEN 'failed' "
            "ELSE 'queued' END, "
            "error = CASE WHEN cancel_requested = 0 AND attempts >= :max THEN :reason || '; giving up after ' "
            "|| attempts || ' attempts. Retry it to try again.' END, "
            "finished_at = CASE WHEN cancel_requested = 1 OR attempts >= :max THEN :t END, "
            "message = :reason, eta_seconds = NULL, updated_at = :t WHERE id = :id AND status = 'running'",
            {"id": job_id, "max": max_attempts, "reason": reason},
        )

    def set_ran_on(self, job_id: str, ran_on: RanOn) -> None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE jobs SET ran_on = :r, updated_at = :t WHERE id = :id"),
                {"id": job_id, "r": dumps(ran_on.model_dump()), "t": now()},
            )

    def request_cancel(self, job_id: str) -> Job | None:
        with self.db.write() as conn:
            row = (
                conn.execute(
                    text(
                        "UPDATE jobs SET status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END, "
                        "stage = CASE status WHEN 'queued' THEN 'cancelled' ELSE stage END, "
                        "finished_at = CASE status WHEN 'queued' THEN :t ELSE finished_at END, "
                        "cancel_requested = 1, updated_at = :t "
                        f"WHERE id = :id AND status IN ('queued', 'running') RETURNING {_COLUMNS}"
                    ),
                    {"id": job_id, "t": now()},
                )
                .mappings()
                .first()
            )
        return _row_to_job(row) if row else None

    def retry(self, job_id: str) -> Job | None:
        with self.db.write() as conn:
            last = conn.execute(text("SELECT COALESCE(MAX(queue_order), 0) FROM jobs")).scalar_one()
            row = (
                conn.execute(
                    text(
                        "UPDATE jobs SET status = 'queued', stage = 'queued', step = 0, total_steps = 0, progress = 0, "
                        "eta_seconds = NULL, message = NULL, error = NULL, error_detail = NULL, attempts = 0, "
                        "cancel_requested = 0, "
                        "queue_order = :qo, started_at = NULL, finished_at = NULL, updated_at = :t "
                        f"WHERE id = :id AND status IN ('failed', 'cancelled') RETURNING {_COLUMNS}"
                    ),
                    {"id": job_id, "qo": last + 1, "t": now()},
                )
                .mappings()
                .first()
            )
        return _row_to_job(row) if row else None

    def move_to_front(self, job_id: str) -> Job | None:
        with self.db.write() as conn:
            first = conn.execute(
                text("SELECT COALESCE(MIN(queue_order), 0) FROM jobs WHERE status = 'queued'")
            ).scalar_one()
            row = (
                conn.execute(
                    text(
                        "UPDATE jobs SET queue_order = :qo, updated_at = :t "
                        f"WHERE id = :id AND status = 'queued' RETURNING {_COLUMNS}"
                    ),
                    {"id": job_id, "qo": first - 1, "t": now()},
                )
                .mappings()
                .first()
            )
        return _row_to_job(row) if row else None

    def recover_interrupted(self, max_attempts: int) -> tuple[list[str], list[str]]:
        t = now()
        with self.db.write() as conn:
            failed = (
                conn.execute(
                    text(
                        "UPDATE jobs SET status = 'failed', stage = 'failed', finished_at = :t, updated_at = :t, "
                        "error = 'Interrupted ' || attempts || ' times (the studio stopped while it ran); "
                        "giving up after ' || :max || ' attempts. Retry it to try again.' "
                        "WHERE status = 'running' AND attempts >= :max RETURNING id"
                    ),
                    {"t": t, "max": max_attempts},
                )
                .scalars()
                .all()
            )
            requeued = (
                conn.execute(
                    text(
                        "UPDATE jobs SET status = 'queued', stage = 'queued', "
                        "message = 'Re-queued after the studio restarted', updated_at = :t "
                        "WHERE status = 'running' RETURNING id"
                    ),
                    {"t": t},
                )
                .scalars()
                .all()
            )
            # A cancel requested just before the crash still counts.
            conn.execute(
                text(
                    "UPDATE jobs SET status = 'cancelled', stage = 'cancelled', finished_at = :t "
                    "WHERE status = 'queued' AND cancel_requested = 1"
                ),
                {"t": t},
            )
        return list(requeued), list(failed)


__all__ = ["ACTIVE_STATUSES", "JobQuery", "JobStore", "NewJob", "Progress", "SqliteJobStore"]
