"""`POST /api/generate` waits without holding a worker thread, and is bounded: the API stays responsive."""

from __future__ import annotations

import asyncio

import httpx

from hollywool.api.generate import MAX_SYNC_WAITS
from hollywool.jobs.models import ACTIVE_STATUSES
from hollywool.jobs.store import JobQuery

CALLS = 45


async def test_45_synchronous_generations_leave_health_answering(client):
    studio = client.app.state.studio  # started by the TestClient; requests below go straight to the app
    body = {"prompt": "a slow one", "model": "tiny-sd", "width": 256, "height": 256, "steps": 200}

    def active() -> list:
        return studio.store.list(JobQuery(status=list(ACTIVE_STATUSES), kind="image", limit=1000))[0]

    transport = httpx.ASGITransport(app=client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=120) as api:
        calls = [asyncio.create_task(api.post("/api/generate", json=body)) for _ in range(CALLS)]
        for _ in range(600):  # every call that may wait has queued its job
            if len(active()) >= MAX_SYNC_WAITS:
                break
            await asyncio.sleep(0.05)
        # While they wait, the API answers (a thread-per-wait route took every worker thread here).
        for _ in range(3):
            health = await api.get("/api/health", timeout=5)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
        assert len(active()) == MAX_SYNC_WAITS
        assert sum(not c.done() for c in calls) >= MAX_SYNC_WAITS - 1
        # End the jobs: each waiting call then answers with its (cancelled) job.
        for job in active():
            await asyncio.to_thread(studio.jobs.cancel_tree, job.id)
        answers = await asyncio.gather(*calls)
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == CALLS - MAX_SYNC_WAITS
    assert "Too many synchronous generations waiting" in refused[0].json()["detail"]
    assert "POST /api/jobs" in refused[0].json()["detail"]
    waited = [a.json() for a in answers if a.status_code == 200]
    assert len(waited) == MAX_SYNC_WAITS
    assert {w["status"] for w in waited} <= {"cancelled", "completed"}
