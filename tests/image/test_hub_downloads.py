"""Downloads from a (fake) Hugging Face hub: a job with byte progress, resume, gated repos, the cache."""

from __future__ import annotations

import pytest

from tests.image.conftest import UNET, add_user_models, hub_entry, run, wait_job


@pytest.fixture
def hub_client(online, register_models, make_client):
    config = register_models({"tiny-sd": "sd15"})
    add_user_models(
        config,
        {
            "hub-sd": hub_entry("acme/tiny-sd"),
            "gated-sd": hub_entry("acme/gated-sd", gated=True),
            "ghost-sd": hub_entry("acme/ghost"),
        },
    )
    return make_client()


def test_download_job_with_byte_progress_then_cached_and_generating(hub, hub_client, online, tiny_model):
    client = hub_client
    hub.chunk_delay = 0.01  # a few progress reports on the way
    before = client.get("/api/models/detailed").json()["models"]
    assert next(m for m in before if m["id"] == "hub-sd")["downloaded"] is False
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        r = client.post("/api/models/hub-sd/download")
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        progress, job_progress = [], []
        while True:
            event = ws.receive_json()
            if event.get("job_id") != job_id:
                continue
            if event["type"] == "download.progress":
                progress.append(event)
            elif event["type"] == "job.progress":
                job_progress.append(event["progress"])
            elif event["type"] in ("job.completed", "job.failed"):
                assert event["type"] == "job.completed", event["job"]["error"]
                break
    job = wait_job(client, job_id)
    assert job["status"] == "completed" and job["lane"] == "net:downloads"
    folder = tiny_model("sd15")
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and f.name != ".testkit-version")
    assert len(progress) >= 2 and {e["model_id"] for e in progress} == {"hub-sd"}
    assert all(e["total_bytes"] == total for e in progress)
    done = [e["downloaded_bytes"] for e in progress]
    assert done == sorted(done) and done[-1] == total
    assert job_progress == sorted(job_progress) and job_progress[-1] == 100
    assert sum(hub.bytes_served.values()) == total  # every file once

    # The hub cache now has it: the catalogue, the cache status and the detailed list say so.
    snapshot = online / "models--acme--tiny-sd" / "snapshots"
    assert (next(snapshot.iterdir()) / UNET).read_bytes() == (folder / UNET).read_bytes()
    status = client.get("/api/models/cache-status").json()
    assert status["downloaded"] == ["hub-sd"] and status["hub_cache_bytes"] == total
    detailed = {m["id"]: m for m in client.get("/api/models/detailed").json()["models"]}
    assert detailed["hub-sd"]["downloaded"] and detailed["hub-sd"]["cache_size_bytes"] == total
    assert detailed["hub-sd"]["location"].startswith(str(snapshot))
    assert client.get("/api/system/can-generate/hub-sd").json()["downloaded"] is True

    # Generating uses the cached files: nothing more is fetched from the hub.
    served = sum(hub.bytes_served.values())
    images = run(client, model="hub-sd", seed=3)["images"]
    assert len(images) == 1 and sum(hub.bytes_served.values()) == served

    listed = client.get("/api/models/downloads").json()
    assert len(listed) == 1 and listed[0]["id"] == job_id
    assert listed[0]["status"] == "completed" and listed[0]["model_id"] == "hub-sd"

    removed = client.delete("/api/models/hub-sd/cache").json()
    assert removed["freed_bytes"] == total
    assert not (online / "models--acme--tiny-sd").exists() or not any(snapshot.glob("*/*"))
    assert client.get("/api/models/cache-status").json()["downloaded"] == []
    assert not next(m for m in client.get("/api/models").json()["models"] if m["id"] == "hub-sd")["downloaded"]


def test_an_image_job_downloads_a_missing_hub_model_first(hub, hub_client):
    job = run(hub_client, model="hub-sd", seed=1)
    assert job["images"] and hub.requests_for(UNET, "GET")


def test_a_dropped_connection_resumes_with_a_range_request(hub, hub_client, online, tiny_model, monkeypatch):
    from huggingface_hub import constants

    # The hub client reads in 10 MB chunks and resumes from the last whole chunk: smaller chunks let the
    # tiny 4 MB UNet show a mid-file resume (a drop inside the first chunk restarts the file).
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    size = (tiny_model("sd15") / UNET).stat().st_size
    hub.drop_once(UNET, 1_000_000)
    job = wait_job(hub_client, hub_client.post("/api/models/hub-sd/download").json()["job_id"])
    assert job["status"] == "completed", job["error"]
    gets = [r for r in hub.requests_for(UNET, "GET") if r.via == "cdn"]
    assert len(gets) == 2 and gets[0].range is None
    resumed_at = int(gets[1].range.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 1_000_000
    assert hub.bytes_served[UNET] == 1_000_000 + size - resumed_at  # no full re-download
    snapshot = next((online / "models--acme--tiny-sd" / "snapshots").iterdir())
    assert (snapshot / UNET).read_bytes() == (tiny_model("sd15") / UNET).read_bytes()
    assert run(hub_client, model="hub-sd", seed=2)["images"]


def test_a_gated_repo_needs_hf_token(hub, hub_client, monkeypatch):
    client = hub_client
    failed = wait_job(client, client.post("/api/models/gated-sd/download").json()["job_id"])
    assert failed["status"] == "failed"
    assert "acme/gated-sd is gated" in failed["error"] and "HF_TOKEN" in failed["error"], failed["error"]
    assert not any(r.headers.get("authorization") for r in hub.requests_to("/acme/gated-sd/resolve/"))

    monkeypatch.setenv("HF_TOKEN", "hf_not_granted")
    refused = wait_job(client, client.post("/api/models/gated-sd/download").json()["job_id"])
    assert refused["status"] == "failed" and "account of HF_TOKEN has no access" in refused["error"]

    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    job = wait_job(client, client.post("/api/models/gated-sd/download").json()["job_id"])
    assert job["status"] == "completed", job["error"]
    heads = hub.requests_to("/acme/gated-sd/resolve/", "HEAD")
    assert heads[-1].headers["authorization"] == "Bearer hf_granted"
    # The token goes to the hub, never to the CDN the LFS files are redirected to.
    assert hub.requests_to("/cdn/") and not any("authorization" in r.headers for r in hub.requests_to("/cdn/"))
    assert "gated-sd" in client.get("/api/models/cache-status").json()["downloaded"]
    assert [j["status"] for j in client.get("/api/models/downloads").json()].count("failed") == 2


def test_an_unknown_repo_fails_clearly(hub, hub_client):
    job = wait_job(hub_client, hub_client.post("/api/models/ghost-sd/download").json()["job_id"])
    assert job["status"] == "failed" and f"acme/ghost was not found on {hub.url}" in job["error"], job["error"]
