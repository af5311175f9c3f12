"""Hub downloads (offline and unreachable hub), the synchronous API, titles, and `hollywool models`."""

from __future__ import annotations

import socket
import time

from typer.testing import CliRunner

from tests.image.conftest import run, wait_job


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_in_offline_mode_fails_with_a_clear_message(image_client):
    r = image_client.post("/api/models/sdxl-turbo/download")
    assert r.status_code == 201
    job = wait_job(image_client, r.json()["job_id"])
    assert job["status"] == "failed" and "offline mode is on (HF_HUB_OFFLINE=1)" in job["error"]
    assert job["lane"] == "net:downloads"
    assert image_client.get("/api/models/downloads").json()[0]["id"] == job["id"]
    # A local model has nothing to download; an image job on a missing hub model says what to do.
    assert image_client.post("/api/models/tiny-sd/download").status_code == 422
    failed = wait_job(
        image_client, image_client.post("/api/jobs", json={"prompt": "x", "model": "sd-turbo"}).json()["job_id"]
    )
    assert failed["status"] == "failed" and "offline mode" in failed["error"]


def test_unreachable_hub_fails_within_the_timeout(register_models, make_client, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    register_models({"tiny-sd": "sd15"})
    client = make_client(hub_timeout_s=3)
    started = time.monotonic()
    job = wait_job(client, client.post("/api/models/flux-schnell/download").json()["job_id"], timeout=60)
    assert job["status"] == "failed"
    assert "The model hub at http://127.0.0.1:" in job["error"] and "cannot be reached" in job["error"], job["error"]
    assert "Error" not in job["error"] and "Error" in job["error_detail"]  # the library's words stay in the detail
    assert time.monotonic() - started < 30


def test_catalogue_models_and_hub_cache(image_client):
    models = {m["id"]: m for m in image_client.get("/api/models").json()["models"]}
    seed_ids = {
        "sd-turbo", "sdxl-turbo", "sdxl-lightning", "flux-schnell", "flux-dev", "sd3-medium", "sdxl-base",
        "playground-v25", "realvisxl", "dreamshaper-xl", "animagine-xl", "juggernaut-xl", "cogvideox-5b",
        "cogvideox-2b", "ltx-2", "ltx-2-fp8", "wan22-t2v", "mochi-1", "cogvideox-5b-i2v", "wan22-i2v", "svd-xt",
    }  # fmt: skip
    assert seed_ids <= set(models)
    assert models["flux-dev"]["path"] == "black-forest-labs/FLUX.1-dev" and models["flux-dev"]["gated"]
    assert models["sdxl-base"]["source"] == "hub" and not models["sdxl-base"]["downloaded"]
    assert models["tiny-sd"]["source"] == "folder" and models["tiny-sd"]["downloaded"]
    video = image_client.get("/api/models", params={"kind": "video"}).json()["models"]
    assert {"cogvideox-5b", "cogvideox-2b", "ltx-2", "ltx-2-fp8", "wan22-t2v", "mochi-1", "cogvideox-5b-i2v",
            "wan22-i2v", "svd-xt"} <= {m["id"] for m in video}  # fmt: skip
    assert not any(m["id"].startswith("tiny-") for m in video)
    run(image_client)
    detailed = {m["id"]: m for m in image_client.get("/api/models/detailed").json()["models"]}
    assert detailed["tiny-sd"]["cache_size_bytes"] > 0 and detailed["tiny-sd"]["last_used"]
    assert image_client.delete("/api/models/tiny-sd/cache").status_code == 422
    assert image_client.delete("/api/models/sdxl-base/cache").json()["freed_bytes"] == 0


def test_synchronous_generate_and_titles(image_client):
    r = image_client.post(
        "/api/generate", json={"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2, "seed": 8}
    )
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert [i["seed"] for i in r.json()["images"]] == [8]
    assert image_client.post("/api/generate", json={"prompt": "x", "model": "nope"}).status_code == 404
    title = image_client.post(
        "/api/generate-title",
        json={"prompt": "masterpiece, best quality, (a red fox:1.2) sleeping in the snow, <lora:x:1>, 8k"},
    ).json()["title"]
    assert title == "Red Fox Sleeping in the Snow"


def test_models_cli_lists_and_refuses_offline(studio_dirs, tiny_model, monkeypatch):
    from hollywool.cli import app

    monkeypatch.setenv("HOLLYWOOL_DATA_DIR", str(studio_dirs["data_dir"]))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HOLLYWOOL_URL", f"http://127.0.0.1:{_closed_port()}")  # no studio: in-process
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and "flux-schnell" in listed.output and "sdxl-lightning" in listed.output
    pulled = runner.invoke(app, ["models", "pull", "sd-turbo"])
    assert pulled.exit_code == 1 and "offline mode" in pulled.output
    assert runner.invoke(app, ["models", "pull", "nope"]).exit_code == 1
    removed = runner.invoke(app, ["models", "rm", "sd-turbo", "--yes"])
    assert removed.exit_code == 0 and "was not in the cache" in removed.output
