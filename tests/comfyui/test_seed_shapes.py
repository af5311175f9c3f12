"""The seed's ComfyUI API (shared/notes/seed-api.md section 1.11): every route still answers the
fields a client made for the seed reads (extra fields are fine)."""

from __future__ import annotations

from tests.comfyui.test_jobs import small, wait_job


def has(body: dict, *fields: str) -> None:
    missing = [f for f in fields if f not in body]
    assert not missing, f"missing {missing} in {sorted(body)}"


def test_every_seed_route_answers_the_seeds_fields(studio, fake_comfy, txt2img_api):
    status = studio.get("/api/comfyui/status").json()
    has(status, "available", "server_url", "queue_running", "queue_pending", "error")
    assert status["available"] is True and status["server_url"] == fake_comfy.url and status["error"] is None

    r = studio.post("/api/comfyui/workflows", json={"name": "seedish", "workflow_json": small(txt2img_api, 1)})
    imported = r.json()
    has(imported, "id", "name", "parameters", "message")
    assert isinstance(imported["parameters"], list) and "seedish" in imported["message"]
    wid = imported["id"]

    listed = studio.get("/api/comfyui/workflows").json()
    has(listed[0], "id", "name", "parameter_count", "created_at")
    has(studio.get(f"/api/comfyui/workflows/{wid}").json(), "id", "name", "workflow_json", "parameters")

    session = studio.post("/api/sessions", json={"name": "comfy"}).json()["id"]
    accepted = studio.post("/api/comfyui/jobs", json={"workflow_id": wid, "parameters": {}, "session_id": session})
    has(accepted.json(), "job_id", "status", "message")
    job = wait_job(studio, accepted.json()["job_id"])
    has(job, "id", "session_id", "status", "progress", "eta_seconds", "error", "workflow_id", "workflow_name")
    has(job, "parameters", "prompt_id", "current_node", "images")
    assert job["workflow_name"] == "seedish"

    jobs = studio.get("/api/comfyui/jobs", params={"session_id": session}).json()
    assert [j["id"] for j in jobs["jobs"]] == [job["id"]]
    assert studio.get("/api/comfyui/jobs", params={"session_id": "other"}).json()["jobs"] == []
    assert studio.get("/api/comfyui/jobs", params={"active_only": "true"}).json()["jobs"] == []

    has(studio.post("/api/comfyui/interrupt").json(), "message")
    has(studio.post("/api/comfyui/clear-queue").json(), "message")
    info = studio.get("/api/comfyui/object-info").json()
    assert "KSampler" in info["nodes"] and info["total"] == len(info["nodes"])
    assert studio.delete(f"/api/comfyui/workflows/{wid}").json()["message"] == "Workflow deleted"
