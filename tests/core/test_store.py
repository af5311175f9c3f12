"""The job store's contract: atomic claims, guarded transitions, crash recovery, queue order."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from hollywool.jobs.models import JobStatus
from hollywool.jobs.store import JobQuery, NewJob, Progress, SqliteJobStore
from hollywool.storage.db import Database, schema_version
from hollywool.storage.migrations import MIGRATIONS


@pytest.fixture
def store(tmp_path) -> SqliteJobStore:
    return SqliteJobStore(Database(tmp_path / "db.sqlite"))


def _new(n: int, lane: str = "gpu", **kw) -> list[NewJob]:
    return [NewJob(kind="image", lane=lane, params={"i": i}, **kw) for i in range(n)]


def test_database_is_wal_with_foreign_keys_and_migrated(tmp_path):
    db = Database(tmp_path / "db.sqlite")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert schema_version(db.engine) == MIGRATIONS[-1][0]
    db.close()
    # Re-opening applies nothing twice.
    assert schema_version(Database(tmp_path / "db.sqlite").engine) == MIGRATIONS[-1][0]


def test_claims_follow_priority_then_queue_order(store):
    low = store.create(_new(2))
    high = store.create(_new(1, priority=5))
    assert store.claim_next(["gpu"]).id == high[0].id
    assert store.claim_next(["gpu"]).id == low[0].id
    assert store.claim_next(["gpu"]).id == low[1].id
    assert store.claim_next(["gpu"]) is None


def test_claims_respect_lanes(store):
    net = store.create(_new(1, lane="net:fal"))
    assert store.claim_next(["gpu"]) is None
    assert store.claim_next(["gpu", "net:fal"]).id == net[0].id


def test_concurrent_claims_never_hand_out_a_job_twice(store):
    created = store.create(_new(60))
    claimed: list[str] = []
    lock = threading.Lock()

    def worker():
        while (job := store.claim_next(["gpu"])) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(j.id for j in created)
    assert len(set(claimed)) == len(claimed)


def test_move_to_front(store):
    jobs = store.create(_new(3))
    store.move_to_front(jobs[2].id)
    assert store.claim_next(["gpu"]).id == jobs[2].id
    # Only a queued job can move.
    assert store.move_to_front(jobs[2].id) is None


def test_transitions_are_guarded_by_state(store):
    (job,) = store.create(_new(1))
    assert store.complete(job.id, {}) is None  # not running yet
    store.claim_next(["gpu"])
    store.set_progress(job.id, Progress("generating", 3, 10, 0.3, 1.5, None))
    done = store.complete(job.id, {"seeds": [1]})
    assert done.status == JobStatus.completed and done.fraction == 1 and done.result == {"seeds": [1]}
    assert store.fail(job.id, "late") is None
    assert store.request_cancel(job.id) is None
    assert store.get(job.id).status == JobStatus.completed


def test_cancel_queued_is_immediate_running_is_flagged(store):
    queued, running = store.create(_new(2))
    store.move_to_front(running.id)
    assert store.claim_next(["gpu"]).id == running.id
    assert store.request_cancel(queued.id).status == JobStatus.cancelled
    flagged = store.request_cancel(running.id)
    assert flagged.status == JobStatus.running and flagged.cancel_requested
    assert store.mark_cancelled(running.id).status == JobStatus.cancelled


def test_retry_requeues_failed_and_cancelled_only(store):
    a, b = store.create(_new(2))
    store.claim_next(["gpu"])
    store.fail(a.id, "boom")
    again = store.retry(a.id)
    assert again.status == JobStatus.queued and again.error is None and again.attempts == 0
    assert store.retry(b.id) is None  # still queued


def test_recovery_requeues_interrupted_and_fails_exhausted(store):
    a, b, c = store.create(_new(3))
    store.claim_next(["gpu"])  # a: attempt 1
    store.set_checkpoint(a.id, {"latents": "x.pt"})
    requeued, failed = store.recover_interrupted(max_attempts=2)
    assert requeued == [a.id] and failed == []
    job = store.get(a.id)
    assert job.status == JobStatus.queued and job.checkpoint == {"latents": "x.pt"}
    assert store.claim_next(["gpu"]).attempts == 2
    requeued, failed = store.recover_interrupted(max_attempts=2)
    assert failed == [a.id]
    assert "Interrupted 2 times" in store.get(a.id).error
    # Jobs that never started are untouched.
    assert {store.get(b.id).status, store.get(c.id).status} == {JobStatus.queued}


def test_list_filters_and_counts(store):
    store.create(_new(3))
    store.create([NewJob(kind="video", lane="gpu", params={})])
    jobs, total = store.list(JobQuery(kind="video"))
    assert total == 1 and jobs[0].kind == "video"
    jobs, total = store.list(JobQuery(status=[JobStatus.queued], limit=2))
    assert total == 4 and len(jobs) == 2
    assert store.counts_by_status() == {"queued": 4}


def test_a_migration_landing_after_a_higher_one_is_still_applied(tmp_path, monkeypatch):
    from hollywool.storage import db as db_module

    monkeypatch.setattr(db_module, "MIGRATIONS", [(1, ["CREATE TABLE a (x)"]), (3, ["CREATE TABLE c (x)"])])
    engine = db_module.open_database(tmp_path / "m.sqlite")
    monkeypatch.setattr(
        db_module, "MIGRATIONS", [(1, ["CREATE TABLE a (x)"]), (2, ["CREATE TABLE b (x)"]), (3, ["CREATE TABLE c (x)"])]
    )
    assert db_module.migrate(engine) == 3
    with engine.connect() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    assert {"a", "b", "c"} <= tables
    assert db_module.applied_migrations(engine) == {1, 2, 3}


def test_a_parent_and_its_children_are_inserted_together_or_not_at_all(store):
    parent, children = store.create_with_children(NewJob(kind="bulk", lane="bulk", params={}), _new(3))
    assert [c.parent_id for c in children] == [parent.id] * 3
    assert parent.result == {"child_ids": [c.id for c in children]}
    assert store.counts_by_status(parent.id) == {"queued": 3}
    # A child that cannot be written (here: an unknown session) takes the parent with it.
    bad = [*_new(2), NewJob(kind="image", lane="gpu", params={}, session_id="no-such-session")]
    with pytest.raises(IntegrityError):
        store.create_with_children(NewJob(kind="bulk", lane="bulk", params={}), bad)
    assert store.list(JobQuery(kind="bulk"))[1] == 1 and store.counts_by_status() == {"queued": 4}


def test_queue_positions_are_the_claim_order_whether_counted_one_by_one_or_numbered(store):
    jobs = store.create([NewJob(kind="k", lane="gpu", params={}) for _ in range(20)])
    store.move_to_front(jobs[15].id)
    ids = [j.id for j in jobs]
    numbered = store.queue_positions(ids)  # many ids: the queue numbered once
    one_by_one = {i: store.queue_positions([i])[i] for i in ids}  # a job's own event
    assert numbered == one_by_one
    claimed = [store.claim_next(["gpu"]).id for _ in range(20)]
    assert sorted(ids, key=numbered.__getitem__) == claimed
