"""Cancel takes effect at the next step boundary, whatever the step time.

The HTTP cancel sets the running job's flag before it answers; the job checks the flag at each step
boundary (the diffusers step callback does), so after the answer at most the step in flight ends.
"""

from __future__ import annotations

import threading

from tests.core.step_kinds import StepKind
from tests.kit.studio import wait_for


def test_cancel_stops_a_job_of_millisecond_steps_at_the_next_step(make_client):
    client = make_client()
    studio = client.app.state.studio
    kind = StepKind().register(studio)
    job = studio.jobs.submit(kind.name, {"steps": 100_000, "step_s": 0.001})
    wait_for(lambda: kind.steps_run.get(job.id, 0) >= 20, what="twenty steps")
    assert client.post(f"/api/jobs/{job.id}/cancel").status_code == 200
    steps_at_answer = kind.steps_run[job.id]
    done = wait_for(lambda: (j := client.get(f"/api/jobs/{job.id}").json())["status"] == "cancelled" and j)
    # The step in flight when the answer came may end; no other step starts.
    assert kind.steps_run[job.id] - steps_at_answer <= 1, (steps_at_answer, kind.steps_run[job.id])
    assert kind.cancel_seen_at[job.id] == kind.steps_run[job.id]
    assert done["finished_at"] is not None


def test_a_cancel_arriving_between_the_claim_and_the_start_is_not_lost(make_client):
    client = make_client()
    studio = client.app.state.studio
    kind = StepKind().register(studio)
    real = studio.scheduler.store
    cancelled: list[str] = []

    class CancelOnClaim:  # the user's cancel lands right after the dispatcher claimed the job
        def __getattr__(self, name):  # noqa: ANN001, ANN204
            return getattr(real, name)

        def claim_next(self, lanes):  # noqa: ANN001, ANN202
            job = real.claim_next(lanes)
            if job is not None and job.kind == kind.name and not cancelled:
                cancelled.append(job.id)
                threading.Thread(target=studio.jobs.cancel, args=(job.id,)).start()
                wait_for(lambda: real.get(job.id).cancel_requested, what="the cancel to be recorded")
            return job

    studio.scheduler.store = CancelOnClaim()
    job = studio.jobs.submit(kind.name, {"steps": 2_000, "step_s": 0.001})
    done = wait_for(lambda: (j := studio.jobs.get(job.id)).status.finished and j, timeout=30)
    assert cancelled == [job.id]
    assert done.status == "cancelled" and kind.steps_run.get(job.id, 0) <= 1


def test_cancel_stops_a_running_diffusers_job_within_one_step(client):
    studio = client.app.state.studio
    answered = threading.Event()
    steps_after_answer: list[int] = []
    seen_steps: list[int] = []

    def listen(event):  # called on the publisher's thread, in order
        if event.type == "job.progress" and event.stage == "generating" and event.step:
            seen_steps.append(event.step)
            if answered.is_set():
                steps_after_answer.append(event.step)

    studio.bus.add_listener(listen)
    body = {"prompt": "a long one", "model": "tiny-sd", "width": 128, "height": 128, "steps": 150}
    job_id = client.post("/api/jobs", json=body).json()["job_id"]
    wait_for(lambda: len(seen_steps) >= 5, what="five steps")
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    answered.set()  # only steps that end after the cancel answered count
    job = wait_for(lambda: (j := client.get(f"/api/jobs/{job_id}").json())["status"] == "cancelled" and j)
    studio.bus.remove_listener(listen)
    # The step running when the cancel answered may finish; no further step starts.
    assert len(steps_after_answer) <= 1, steps_after_answer
    assert job["step"] < 150 and job["images"] == []
    # The engine is still usable afterwards.
    next_id = client.post("/api/jobs", json={**body, "steps": 2, "width": 64, "height": 64}).json()["job_id"]
    done = wait_for(lambda: (j := client.get(f"/api/jobs/{next_id}").json())["status"] == "completed" and j)
    assert len(done["images"]) == 1
