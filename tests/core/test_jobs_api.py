"""The job system through the API, in-process, with a tiny random-weight SD 1.5 model."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests.kit.studio import wait_for, wait_job


def submit(client, **overrides) -> str:
    body = {"prompt": "a lighthouse at dusk", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2, **overrides}
    resp = client.post("/api/jobs", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "queued"
    return resp.json()["job_id"]


def test_image_job_runs_through_the_queue_to_png_assets(client):
    session = client.post("/api/sessions", json={"name": "Lighthouses"}).json()
    job_id = submit(client, num_images=2, seed=42, session_id=session["id"])
    job = wait_job(client, job_id)
    assert job["status"] == "completed", job["error"]
    assert job["progress"] == 100 and job["attempts"] == 1
    assert [img["seed"] for img in job["images"]] == [42, 43]
    png = client.get(job["images"][0]["url"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.size == (64, 64)
    stored = json.loads(image.text["hollywool"])
    assert stored["seed"] == 42 and stored["prompt"] == "a lighthouse at dusk"
    # The job, its assets and its session agree.
    assets = client.get("/api/assets", params={"session_id": session["id"]}).json()
    assert assets["total"] == 2
    assert client.get(f"/api/sessions/{session['id']}").json()["asset_count"] == 2
    jobs = client.get("/api/jobs", params={"session_id": session["id"]}).json()
    assert [j["id"] for j in jobs["items"]] == [job_id]


def test_bad_input_gets_4xx_naming_the_field(client):
    r = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "width": 10})
    assert r.status_code == 422 and r.json()["field"] == "width"
    r = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "num_images": 9})
    assert r.status_code == 422 and r.json()["field"] == "num_images"
    r = client.post("/api/jobs", json={"model": "tiny-sd"})
    assert r.status_code == 422 and r.json()["field"] == "prompt"
    r = client.post("/api/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/jobs", json={"prompt": "x", "model": "no-such-model"})
    assert r.status_code == 404 and "tiny-sd" in r.json()["detail"]
    r = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "session_id": "nope"})
    assert r.status_code == 422 and r.json()["field"] == "session_id"
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.post("/api/jobs/nope/cancel").status_code == 404
    assert client.get("/api/jobs", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/assets", params={"limit": 0}).status_code == 422


def test_cancel_retry_and_move_to_front(client):
    first = submit(client, steps=150, width=128, height=128)
    wait_for(lambda: client.get(f"/api/jobs/{first}").json()["status"] == "running", what="first running")
    second, third = submit(client), submit(client)
    moved = client.post(f"/api/jobs/{third}/move-to-front").json()
    assert moved["status"] == "queued"
    queued = client.get("/api/jobs", params={"status": "queued"}).json()["items"]
    assert {j["id"] for j in queued} == {second, third}
    cancelled = client.post(f"/api/jobs/{second}/cancel").json()
    assert cancelled["status"] == "cancelled"
    client.post(f"/api/jobs/{first}/cancel")
    assert wait_job(client, first)["status"] == "cancelled"
    done = wait_job(client, third)
    assert done["status"] == "completed"
    # Finished jobs cannot be cancelled; only failed or cancelled ones retried; only queued ones moved.
    assert client.post(f"/api/jobs/{third}/cancel").status_code == 409
    assert client.post(f"/api/jobs/{third}/retry").status_code == 409
    assert client.post(f"/api/jobs/{third}/move-to-front").status_code == 409
    retried = client.post(f"/api/jobs/{second}/retry").json()
    assert retried["status"] == "queued"
    assert wait_job(client, second)["status"] == "completed"


def test_failing_engine_fails_the_job_and_the_worker_keeps_going(register_models, make_client, studio_dirs, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "model_index.json").write_text("{}")
    config = register_models({"tiny-sd": "sd15"})
    import yaml

    data = yaml.safe_load(config.read_text())
    data["models"]["broken"] = {**data["models"]["tiny-sd"], "path": str(broken)}
    config.write_text(yaml.safe_dump(data))
    client = make_client()
    bad = submit(client, model="broken")
    job = wait_job(client, bad)
    assert job["status"] == "failed" and job["error"]
    good = submit(client)
    assert wait_job(client, good)["status"] == "completed"
    assert client.get("/api/health").status_code == 200


def test_assets_list_search_and_delete(client, studio_dirs):
    job = wait_job(client, submit(client, prompt="red fox in snow", seed=1))
    wait_job(client, submit(client, prompt="blue whale", seed=2))
    found = client.get("/api/assets", params={"search": "fox"}).json()
    assert found["total"] == 1 and found["items"][0]["prompt"] == "red fox in snow"
    assert client.get("/api/assets", params={"model": "tiny-sd", "kind": "image"}).json()["total"] == 2
    assert client.get("/api/assets", params={"search": "%"}).json()["total"] == 0
    asset_id = job["images"][0]["id"]
    path = studio_dirs["outputs_dir"] / client.get(f"/api/assets/{asset_id}").json()["path"]
    assert path.exists()
    assert client.delete(f"/api/assets/{asset_id}").status_code == 200
    assert not path.exists()
    assert client.get(f"/api/assets/{asset_id}").status_code == 404
    assert client.delete(f"/api/assets/{asset_id}").status_code == 404


def test_paths_from_requests_cannot_escape(client):
    escapes = (
        "/outputs/../data/hollywool.db",
        "/outputs/%2e%2e/data/hollywool.db",
        "/outputs/..%2fdata%2fhollywool.db",
    )
    for url in escapes:
        r = client.get(url)
        assert r.status_code == 404, url
        assert b"SQLite" not in r.content


def test_sessions_of_each_type(client):
    for prefix in ("/api/sessions", "/api/video-sessions", "/api/bulk-sessions"):
        created = client.post(prefix, json={"name": "One"}).json()
        assert client.get(prefix).json()["sessions"][0]["id"] == created["id"]
        renamed = client.put(f"{prefix}/{created['id']}", json={"name": "Two"}).json()
        assert renamed["name"] == "Two"
        assert client.put(f"{prefix}/{created['id']}", json={"name": ""}).status_code == 422
        assert client.delete(f"{prefix}/{created['id']}").status_code == 200
        assert client.get(f"{prefix}/{created['id']}").status_code == 404
    image_session = client.post("/api/sessions", json={}).json()
    assert client.get(f"/api/video-sessions/{image_session['id']}").status_code == 404


def test_settings_validate_and_persist(client):
    assert client.get("/api/settings").json()["theme"] == "system"
    assert client.put("/api/settings", json={"theme": "dark", "max_log_entries": 50}).json()["theme"] == "dark"
    r = client.put("/api/settings", json={"theme": "purple"})
    assert r.status_code == 422 and r.json()["field"] == "theme"
    r = client.put("/api/settings", json={"nonsense": 1})
    assert r.status_code == 422 and r.json()["field"] == "nonsense"
    assert client.get("/api/settings").json()["theme"] == "dark"
    system = client.get("/api/settings/system").json()
    assert system["python"] and "torch" in system


def test_request_logs_paginate_filter_delete_and_cap(client):
    client.put("/api/settings", json={"max_log_entries": 10})
    for _ in range(12):
        client.post("/api/sessions", json={"name": "x"})
    client.post("/api/jobs", json={"prompt": "x", "model": "missing"})
    logs = client.get("/api/settings/logs", params={"limit": 5}).json()
    assert logs["total"] == 10 and len(logs["items"]) == 5
    errors = client.get("/api/settings/logs", params={"status": "error"}).json()
    assert errors["total"] == 1 and errors["items"][0]["status_code"] == 404
    assert client.get("/api/settings/logs", params={"type": "sessions"}).json()["total"] >= 8
    log_id = errors["items"][0]["id"]
    assert client.get(f"/api/settings/logs/{log_id}").json()["endpoint"] == "/api/jobs"
    assert client.delete(f"/api/settings/logs/{log_id}").status_code == 200
    gone = client.get(f"/api/settings/logs/{log_id}")  # the seed answered null for an absent entry
    assert gone.status_code == 200 and gone.json() is None
    assert client.delete(f"/api/settings/logs/{log_id}").status_code == 404


def test_health_and_system_status(client):
    wait_job(client, submit(client))
    health = client.get("/api/health").json()
    assert health["device"] in ("cpu", "cuda") and health["loaded_models"] == ["tiny-sd"]
    status = client.get("/api/system/status").json()
    assert status["memory"]["total_gb"] > 0 and isinstance(status["gpus"], list)
    schema = client.get("/openapi.json").json()
    assert "/api/jobs" in schema["paths"] and "/api/settings/logs" in schema["paths"]
