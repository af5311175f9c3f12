"""Cancelling a running diffusers job stops it within one denoising step."""

from __future__ import annotations

import threading

from tests.kit.studio import wait_for


def test_cancel_stops_a_running_job_within_one_step(client):
    studio = client.app.state.studio
    steps_after_cancel: list[int] = []
    cancelled_at = threading.Event()
    seen_steps: list[int] = []

    def listen(event):  # called on the publisher's thread, in order
        if event.type == "job.progress" and event.stage == "generating" and event.step:
            seen_steps.append(event.step)
            if cancelled_at.is_set():
                steps_after_cancel.append(event.step)

    studio.bus.add_listener(listen)
    body = {"prompt": "a long one", "model": "tiny-sd", "width": 128, "height": 128, "steps": 150}
    job_id = client.post("/api/jobs", json=body).json()["job_id"]
    wait_for(lambda: len(seen_steps) >= 5, what="five steps")
    cancelled_at.set()
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    job = wait_for(lambda: (j := client.get(f"/api/jobs/{job_id}").json())["status"] == "cancelled" and j)
    studio.bus.remove_listener(listen)
    # The step running when the cancel arrived may finish; no further step starts.
    assert len(steps_after_cancel) <= 1, steps_after_cancel
    assert job["step"] < 150 and job["images"] == []
    # The engine is still usable afterwards.
    next_id = client.post("/api/jobs", json={**body, "steps": 2, "width": 64, "height": 64}).json()["job_id"]
    done = wait_for(lambda: (j := client.get(f"/api/jobs/{next_id}").json())["status"] == "completed" and j)
    assert len(done["images"]) == 1
