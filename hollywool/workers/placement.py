"""Which worker takes a job: the warm one, else the one that can load the model soonest.

1. Only idle, ready workers that are not drained take jobs.
2. A model too big for a device goes only to a worker whose budget holds it; when no worker's does,
   any worker may take it (the job then fails there with the usual memory message and next step).
3. A worker that already holds the job's model takes it.
4. Else the worker with the least to evict to make room; then the emptiest; then the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    worker_id: str
    idle: bool
    budget_bytes: int
    used_bytes: int
    loaded: tuple[str, ...]


def pick_worker(workers: list[Candidate], model_id: str | None, need_bytes: int | None) -> str | None:
    """The worker to run a job of `model_id` (needing `need_bytes` when loaded), or None: wait for one."""
    if need_bytes and any(w.budget_bytes >= need_bytes for w in workers):
        workers = [w for w in workers if w.budget_bytes >= need_bytes]
    idle = [w for w in workers if w.idle]
    if not idle:
        return None
    warm = [w for w in idle if model_id is not None and model_id in w.loaded]
    if warm:
        return warm[0].worker_id

    def to_free(w: Candidate) -> int:
        return max(0, w.used_bytes + (need_bytes or 0) - w.budget_bytes)

    return min(idle, key=lambda w: (to_free(w), w.used_bytes)).worker_id
