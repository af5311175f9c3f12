"""The dispatcher: a short lock, lanes never over-committed, and a queue that survives storage faults."""

from __future__ import annotations

import sqlite3
import threading

from tests.core.step_kinds import StepKind
from tests.kit.studio import wait_for


class FaultyStore:
    """The studio's real job store, with faults injected into chosen methods (a full data disk)."""

    def __init__(self, store):  # noqa: ANN001
        self._store = store
        self.failing: set[str] = set()
        self.failures: dict[str, int] = {}
        self.claim_gate: threading.Event | None = None  # when set to an Event: claims wait for it
        self.claim_entered = threading.Event()

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        real = getattr(self._store, name)
        if not callable(real):
            return real

        def call(*args, **kwargs):  # noqa: ANN202
            if name == "claim_next" and self.claim_gate is not None:
                self.claim_entered.set()
                self.claim_gate.wait(10)
            if name in self.failing:
                self.failures[name] = self.failures.get(name, 0) + 1
                raise sqlite3.OperationalError("database or disk is full")
            return real(*args, **kwargs)

        return call


def test_the_dispatcher_lock_is_free_while_the_database_claims(make_client):
    studio = make_client().app.state.studio
    kind = StepKind().register(studio)
    faulty = FaultyStore(studio.scheduler.store)
    faulty.claim_gate = threading.Event()
    studio.scheduler.store = faulty
    job = studio.jobs.submit(kind.name, {"steps": 1})
    assert faulty.claim_entered.wait(10), "the dispatcher never claimed"
    # While the claim is in the database, the scheduler still answers (it needs its lock).
    answered = threading.Event()
    threading.Thread(target=lambda: (studio.scheduler.is_running_here(job.id), answered.set()), daemon=True).start()
    try:
        assert answered.wait(2), "the scheduler's lock was held across the database claim"
    finally:
        faulty.claim_gate.set()
        faulty.claim_gate = None
    assert wait_for(lambda: studio.jobs.get(job.id).status == "completed", timeout=20)


def test_a_lane_never_runs_more_jobs_than_its_capacity(make_client):
    studio = make_client().app.state.studio
    lane = studio.add_network_lane("test-pair", 2)
    kind = StepKind("test.pair", lane=lane).register(studio)
    jobs = studio.jobs.submit_many(kind.name, [{"steps": 3, "step_s": 0.01} for _ in range(16)])
    wait_for(lambda: all(studio.jobs.get(j.id).status == "completed" for j in jobs), timeout=30, what="all jobs")
    assert kind.max_running == 2
    assert studio.scheduler._busy[lane] == 0  # every slot, reserved or used, was given back


def test_the_queue_survives_a_full_disk_and_resumes_by_itself(make_client):
    client = make_client()
    studio = client.app.state.studio
    kind = StepKind().register(studio)
    faulty = FaultyStore(studio.scheduler.store)
    studio.scheduler.store = faulty
    first = studio.jobs.submit(kind.name, {"steps": 200, "step_s": 0.005})
    wait_for(lambda: kind.steps_run.get(first.id, 0) > 0, what="the first job to run")
    # The disk fills: the running job cannot record its end, and nothing new can be claimed.
    faulty.failing = {"claim_next", "complete", "fail", "set_progress", "merge_result"}
    queued = studio.jobs.submit_many(kind.name, [{"steps": 2} for _ in range(5)])  # still accepted
    wait_for(lambda: faulty.failures.get("complete", 0) >= 2, timeout=30, what="the final write to be retried")
    wait_for(lambda: faulty.failures.get("claim_next", 0) >= 2, timeout=30, what="claims to be retried")
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and health["queue"]["ok"] is False
    assert "database or disk is full" in health["queue"]["message"]
    assert "resumes by itself" in health["queue"]["message"]
    assert studio.jobs.get(first.id).status == "running"
    # Space is freed: everything runs and ends, without a restart.
    faulty.failing = set()
    for job in [first, *queued]:
        assert wait_for(lambda j=job: studio.jobs.get(j.id).status == "completed", timeout=30, what=job.id)
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["queue"] == {"ok": True, "message": None, "since": None}
