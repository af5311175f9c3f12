"""The studio and its GPU workers agree: a worker's memory budget follows the settings from its start (no job
needed), the models' `loaded` flags and the submit-time memory check read the workers, and a job that waits for
a worker says why."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

from tests.workers.conftest import studio_of, submit, wait_done, wait_for, workers

GB = 1024**3


def _budgets(client) -> dict[str, float | None]:
    return {wid: w["memory_budget_gb"] for wid, w in workers(client).items()}


def test_a_workers_budget_follows_the_settings_from_its_start(two_workers):
    client = two_workers
    default = _budgets(client)
    assert client.put("/api/settings", json={"memory_budget_gb": 3.5}).status_code == 200
    try:
        # No job has run since: the settings reached the workers when they changed.
        wait_for(lambda: set(_budgets(client).values()) == {3.5}, 60, "the workers to take the new budget")
        # A worker that died while idle is started again when the settings change, and reads them as it starts.
        first = sorted(workers(client))[0]
        idle = workers(client)[first]
        os.kill(idle["pid"], signal.SIGKILL)
        assert client.put("/api/settings", json={"memory_budget_gb": 2.5}).status_code == 200
        back = wait_for(
            lambda: w if (w := workers(client)[first])["pid"] not in (None, idle["pid"]) else None,
            240,
            "the killed worker to start again",
        )
        assert back["memory_budget_gb"] == 2.5 and back["restarts"] == idle["restarts"] + 1
        wait_for(lambda: set(_budgets(client).values()) == {2.5}, 60, "both workers to take the budget")
    finally:
        client.put("/api/settings", json={"memory_budget_gb": None})
    wait_for(lambda: _budgets(client) == default, 60, "the default budgets back")


def test_loaded_flags_and_the_submit_check_read_the_workers(two_workers):
    client = two_workers
    studio = studio_of(client)
    assert wait_done(client, submit(client, "tiny-a", steps=2))["status"] == "completed"
    assert studio.models.cache.ids() == []  # the studio's own process holds nothing
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert listed["tiny-a"]["loaded"] is True
    assert "tiny-a" in client.get("/api/models").json()["loaded_models"]

    # The studio's own device is tiny (a head node without a GPU); the workers' are not: a job that fits on a
    # worker is accepted, checked against the largest worker's budget.
    own = studio.models.settings
    studio.models.settings = replace(own, device_memory_gb=0.001)
    try:
        largest = max(w["memory_budget_gb"] for w in workers(client).values())
        assert abs(studio.models.room_bytes() / GB - largest) < 0.01
        # The UI's question "can it run here?" reads the same worker, not the studio's own device.
        answer = client.get("/api/system/can-generate/tiny-b").json()
        assert answer["can_generate"] is True, answer["reason"]
        assert abs(answer["available_gb"] - largest) < 0.01 and abs(answer["budget_gb"] - largest) < 0.01
        assert answer["device"] in {w["device"] for w in workers(client).values()}
        job = wait_done(client, submit(client, "tiny-b", steps=2))
        assert job["status"] == "completed", job["error"]
    finally:
        studio.models.settings = own


def test_a_job_waiting_for_a_worker_says_why(two_workers):
    client = two_workers
    ids = sorted(workers(client))
    wait_for(lambda: all(w["status"] == "idle" for w in workers(client).values()), 240, "idle workers")
    for wid in ids:
        assert client.post(f"/api/system/workers/{wid}/drain").status_code == 200
    try:
        job_id = submit(client, "tiny-a", steps=2)
        waiting = wait_for(
            lambda: j if (j := client.get(f"/api/jobs/{job_id}").json())["stage"] == "waiting_for_worker" else None,
            60,
            "the job to say it waits",
        )
        assert waiting["status"] == "running" and waiting["stage_label"] == "Waiting for worker"
        shown, said = workers(client), waiting["message"]
        assert all(f"{wid} ({shown[wid]['device']}) is drained" in said for wid in ids), said
        assert "resume one" in said
    finally:
        client.post(f"/api/system/workers/{ids[1]}/undrain")
    try:
        job = wait_done(client, job_id)
        assert job["status"] == "completed" and job["ran_on"]["worker_id"] == ids[1]
    finally:
        client.post(f"/api/system/workers/{ids[0]}/undrain")
