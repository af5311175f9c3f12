"""Which worker takes a job (hollywool/workers/placement.py), and a lost job's return to the queue."""

from __future__ import annotations

from hollywool.jobs.store import NewJob, SqliteJobStore
from hollywool.storage.db import Database
from hollywool.workers.placement import Candidate, pick_worker

GB = 1024**3


def worker(wid: str, *, idle: bool = True, budget: int = 10 * GB, used: int = 0, loaded: tuple[str, ...] = ()):
    return Candidate(wid, idle, budget, used, loaded)


def test_the_warm_worker_takes_its_model_even_when_another_is_emptier():
    workers = [worker("w0"), worker("w1", used=4 * GB, loaded=("a",))]
    assert pick_worker(workers, "a", 4 * GB) == "w1"


def test_else_the_worker_with_least_to_evict_then_the_emptiest():
    full = worker("w0", used=9 * GB, loaded=("x",))
    half = worker("w1", used=5 * GB, loaded=("y",))
    assert pick_worker([full, half], "a", 4 * GB) == "w1"  # w1 frees nothing, w0 frees 3 GB
    assert pick_worker([full, half, worker("w2", used=1 * GB)], "a", 4 * GB) == "w2"


def test_a_model_too_big_for_a_device_waits_for_the_worker_that_fits_it():
    small = worker("small", budget=8 * GB)
    big = worker("big", budget=80 * GB, idle=False)
    assert pick_worker([small, big], "huge", 40 * GB) is None  # the big one is busy: wait for it
    assert pick_worker([small, worker("big", budget=80 * GB)], "huge", 40 * GB) == "big"
    # No device holds it: any worker takes it (and the job fails there with the memory message).
    assert pick_worker([small], "huge", 400 * GB) == "small"


def test_busy_and_missing_workers_take_nothing():
    assert pick_worker([worker("w0", idle=False, loaded=("a",))], "a", 1) is None
    assert pick_worker([], "a", 1) is None


def test_a_lost_job_is_queued_again_with_its_attempt_counted_until_it_runs_out(tmp_path):
    store = SqliteJobStore(Database(tmp_path / "jobs.db"))
    (job,) = store.create([NewJob(kind="image", lane="gpu", params={})])
    for attempt in (1, 2):
        claimed = store.claim_next(["gpu"])
        assert claimed is not None and claimed.attempts == attempt
        back = store.requeue_lost(job.id, 3, "the worker on cuda:1 stopped")
        assert back is not None and back.status == "queued" and back.attempts == attempt
        assert back.message == "the worker on cuda:1 stopped" and back.error is None
    store.claim_next(["gpu"])
    failed = store.requeue_lost(job.id, 3, "the worker on cuda:1 stopped")
    assert failed is not None and failed.status == "failed"
    assert failed.error is not None and "giving up after 3 attempts" in failed.error
    # A cancel asked for before the worker died still counts.
    (other,) = store.create([NewJob(kind="image", lane="gpu", params={})])
    store.claim_next(["gpu"])
    store.request_cancel(other.id)
    cancelled = store.requeue_lost(other.id, 3, "lost")
    assert cancelled is not None and cancelled.status == "cancelled"
