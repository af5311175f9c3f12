"""Two GPU workers acted out on the CPU (`HOLLYWOOL_GPUS=cpu,cpu`), with two tiny models of different families.

One studio (and its two worker processes) is shared by a module's tests: starting a worker imports torch
and diffusers, which takes seconds on this machine.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from fastapi.testclient import TestClient

from hollywool.jobs.events import Event, JobProgress
from hollywool.studio import Studio
from tests.kit.studio import FAMILY_TYPES, tiny_entry, write_user_config

T = TypeVar("T")
MODELS = {"tiny-a": "sd15", "tiny-b": "sdxl"}
# Tiny models run in well under a second at their native size: this size and these steps make a warm job
# last a few seconds on one core (measured: about 1.5 s a step for tiny-a, 0.3 s for tiny-b), long enough
# for timing to show two workers running at once.
SIZE = {"width": 256, "height": 256}
STEPS = {"tiny-a": 3, "tiny-b": 12}


def submit(client: TestClient, model: str, steps: int | None = None, **extra) -> str:
    body = {"prompt": "a red fox", "model": model, "steps": steps or STEPS[model], "seed": 1, **SIZE, **extra}
    resp = client.post("/api/jobs", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["job_id"]


def wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_done(client: TestClient, job_id: str, timeout: float = 240) -> dict:
    def finished() -> dict | None:
        job = client.get(f"/api/jobs/{job_id}").json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    return wait_for(finished, timeout, f"job {job_id} to finish")


def studio_of(client: TestClient) -> Studio:
    return cast(Any, client.app).state.studio


def workers(client: TestClient) -> dict[str, dict]:
    return {w["id"]: w for w in client.get("/api/system/workers").json()["workers"]}


def run_alone(client: TestClient, model: str) -> tuple[dict, float]:
    started = time.monotonic()
    job = wait_done(client, submit(client, model))
    assert job["status"] == "completed", job
    return job, time.monotonic() - started


class Recorder:
    """The studio's live events, as a websocket client would receive them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def steps(self, job_id: str) -> list[int]:
        return [e.step for e in self.of(job_id, "job.progress") if isinstance(e, JobProgress)]

    def of(self, job_id: str, type_: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.type == type_ and getattr(e, "job_id", None) == job_id]


def running_job(client: TestClient, model: str = "tiny-a", steps: int = 6) -> tuple[str, dict]:
    """Submit a job and wait for its first step: its id and the worker running it (as /api/system/workers shows)."""
    studio = studio_of(client)
    events = Recorder()
    studio.bus.add_listener(events)
    try:
        job_id = submit(client, model, steps=steps)
        wait_for(lambda: any(step >= 1 for step in events.steps(job_id)), 120, "a step")
    finally:
        studio.bus.remove_listener(events)
    return job_id, next(w for w in workers(client).values() if w["current_job_id"] == job_id)


@pytest.fixture(scope="module")
def two_workers(tiny_model, tmp_path_factory) -> Iterator[TestClient]:
    with worker_studio(tiny_model, tmp_path_factory.mktemp("workers"), 240, gpus=("cpu", "cpu")) as client:
        yield client


@contextlib.contextmanager
def worker_studio(tiny_model, root: Path, ready_s: float, **workers: Any) -> Iterator[TestClient]:
    """A studio with the two tiny models whose GPU workers are set by `workers` (local devices or a Ray address),
    once every worker is ready."""
    from hollywool.app import create_app
    from hollywool.settings import Settings

    entries = {mid: tiny_entry(tiny_model(fam), FAMILY_TYPES[fam]) for mid, fam in MODELS.items()}
    write_user_config(root / "data", entries)
    settings = Settings.from_env(
        data_dir=root / "data",
        outputs_dir=root / "outputs",
        allowed_hosts=("testserver",),
        worker_data_dir=root / "worker-data",  # not the studio's: a job's inputs must travel with it
        **workers,
    )
    with TestClient(create_app(settings)) as client:
        pool = studio_of(client).workers
        assert pool is not None and pool.wait_ready(ready_s)
        yield client
