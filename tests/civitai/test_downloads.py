"""Downloads as jobs: progress, resume with Range, verification, gated files, duplicates, cancel."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from hollywool.jobs.events import DownloadProgress
from tests.civitai.conftest import files_under, wait_download
from tests.kit.studio import wait_for

SIZE = 1_500_000


def _checkpoint(fake, size: int = SIZE, **kw):
    data = os.urandom(size)
    model = fake.add_model("Barn Diffusion", "Checkpoint", "SD 1.5", files={"barn_v1.safetensors": data}, **kw)
    return model, model["modelVersions"][0]["id"], data


def _start(studio, version_id: int, expect: int = 201) -> dict:
    r = studio.post("/api/civitai/downloads", json={"version_id": version_id})
    assert r.status_code == expect, r.text
    return r.json()


def _file_ranges(fake) -> list[str | None]:
    return [r.headers.get("range") for r in fake.requests_to("/files/")]


def test_download_completes_verified_with_progress_events(studio, fake, civitai_dir):
    model, version_id, data = _checkpoint(fake)
    events: list[DownloadProgress] = []
    studio.app.state.studio.bus.add_listener(lambda e: isinstance(e, DownloadProgress) and events.append(e))
    fake.chunk_delay = 0.02
    started = _start(studio, version_id)
    assert started["status"] in ("queued", "downloading")  # it may be under way already
    assert started["model_name"] == "Barn Diffusion" and started["job_id"]
    done = wait_download(studio, started["id"])
    assert done["status"] == "completed", done
    path = civitai_dir / "checkpoints" / "barn_v1.safetensors"
    assert done["path"] == str(path) and path.read_bytes() == data
    assert done["sha256"] == hashlib.sha256(data).hexdigest().upper() and done["progress"] == 100
    assert files_under(civitai_dir) == [path]  # the temporary file is gone
    job = studio.get(f"/api/jobs/{started['job_id']}").json()
    assert job["kind"] == "civitai.download" and job["status"] == "completed" and job["result"]["verified"]
    assert events and events[-1].downloaded_bytes == SIZE and events[-1].total_bytes == SIZE
    assert any(e.speed_bps and e.eta_seconds is not None for e in events)
    assert events[0].filename == "barn_v1.safetensors"
    listed = studio.get("/api/civitai/downloads")
    assert listed.headers["x-total-count"] == "1" and [d["id"] for d in listed.json()] == [started["id"]]
    assert studio.get("/api/civitai/downloaded-versions").json() == [version_id]  # the seed's plain list
    versions = studio.get("/api/civitai/downloaded-versions/details").json()["items"]
    assert [(v["version_id"], v["model_id"], v["status"]) for v in versions] == [(version_id, model["id"], "completed")]


def test_a_dropped_connection_resumes_from_the_byte_where_it_stopped(studio, fake, civitai_dir):
    _, version_id, data = _checkpoint(fake)
    cut = 700_001
    fake.drop_next_download_after(cut)
    done = wait_download(studio, _start(studio, version_id)["id"])
    assert done["status"] == "completed", done
    assert _file_ranges(fake) == [None, f"bytes={cut}-"]
    assert fake.download_calls == 2  # a fresh signed URL for the second connection
    assert (civitai_dir / "checkpoints" / "barn_v1.safetensors").read_bytes() == data


def test_a_civitai_restart_mid_download_resumes(studio, fake, civitai_dir):
    _, version_id, data = _checkpoint(fake, size=3_000_000)
    fake.chunk_delay = 0.05  # about 2.3 s for the whole file
    download = _start(studio, version_id)
    wait_for(
        lambda: studio.get(f"/api/civitai/downloads/{download['id']}").json()["downloaded_bytes"] > 200_000,
        timeout=20,
        what="bytes arriving",
    )
    fake.chunk_delay = 0
    fake.restart(downtime=0.3)
    done = wait_download(studio, download["id"])
    assert done["status"] == "completed", done
    ranges = _file_ranges(fake)
    assert ranges[0] is None and len(ranges) >= 2
    resumed_at = int(ranges[-1].removeprefix("bytes=").rstrip("-"))
    assert 200_000 < resumed_at < len(data)
    assert (civitai_dir / "checkpoints" / "barn_v1.safetensors").read_bytes() == data


def test_a_corrupted_file_fails_the_hash_check_and_leaves_nothing_behind(studio, fake, civitai_dir):
    _, version_id, _ = _checkpoint(fake)
    fake.corrupt_next_download()
    download = _start(studio, version_id)
    done = wait_download(studio, download["id"])
    assert done["status"] == "failed"
    assert "SHA-256" in done["error"] and "deleted" in done["error"]
    job = studio.get(f"/api/jobs/{download['job_id']}").json()
    assert job["status"] == "failed" and "corrupt" in job["error"]
    assert files_under(civitai_dir) == []
    # Starting it again fetches good bytes.
    again = _start(studio, version_id)
    assert again["id"] == download["id"]
    assert wait_download(studio, again["id"])["status"] == "completed"


def test_a_gated_file_asks_for_a_token_and_works_with_one(studio, fake, civitai_dir):
    _, version_id, data = _checkpoint(fake, gated=True)
    download = _start(studio, version_id)
    failed = wait_download(studio, download["id"])
    assert failed["status"] == "failed"
    assert "needs a Civitai API token" in failed["error"] and "Settings" in failed["error"]
    assert files_under(civitai_dir) == []

    studio.put("/api/civitai/token", json={"token": "wrong-token"})
    refused = wait_download(studio, _start(studio, version_id)["id"])
    assert refused["status"] == "failed" and "refused the API token" in refused["error"]

    studio.put("/api/civitai/token", json={"token": fake.api_key})
    done = wait_download(studio, _start(studio, version_id)["id"])
    assert done["status"] == "completed", done
    assert fake.requests_to("/api/download/")[-1].headers["authorization"] == f"Bearer {fake.api_key}"
    assert fake.api_key not in str(studio.get("/api/civitai/downloads").json())
    assert (civitai_dir / "checkpoints" / "barn_v1.safetensors").read_bytes() == data


def test_a_download_rate_limited_for_good_fails_clearly(studio, fake, civitai_dir):
    _, version_id, _ = _checkpoint(fake)
    studio.app.state.studio.civitai.client.backoff_s = 0.01
    fake.fail_next(50, 429, path_prefix="/api/download/")
    done = wait_download(studio, _start(studio, version_id)["id"])
    assert done["status"] == "failed" and "rate-limiting" in done["error"]
    assert len(fake.requests_to("/api/download/")) == 5


def test_the_same_version_is_never_downloaded_twice(studio, fake, civitai_dir):
    _, version_id, _ = _checkpoint(fake)
    fake.chunk_delay = 0.02
    results = []

    def post():
        r = studio.post("/api/civitai/downloads", json={"version_id": version_id})
        results.append((r.status_code, r.json()["id"]))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({i for _, i in results}) == 1
    assert sorted(code for code, _ in results) == [200, 200, 200, 201]
    wait_download(studio, results[0][1])
    again = _start(studio, version_id, expect=200)
    assert again["status"] == "completed" and again["id"] == results[0][1]
    assert fake.download_calls == 1
    jobs = studio.get("/api/jobs", params={"kind": "civitai.download"}).json()
    assert jobs["total"] == 1
    assert len(files_under(civitai_dir)) == 1


def test_cancel_stops_the_download_and_removes_the_partial_file(studio, fake, civitai_dir):
    _, version_id, _ = _checkpoint(fake, size=3_000_000)
    fake.chunk_delay = 0.05
    download = _start(studio, version_id)
    wait_for(lambda: files_under(civitai_dir), timeout=20, what="a partial file")
    r = studio.delete(f"/api/civitai/downloads/{download['id']}")
    assert r.status_code == 200
    done = wait_download(studio, download["id"], statuses=("cancelled",))
    assert done["status"] == "cancelled"
    assert studio.get(f"/api/jobs/{download['job_id']}").json()["status"] == "cancelled"
    assert files_under(civitai_dir) == []
    assert studio.get("/api/civitai/downloaded-versions").json() == []
    assert studio.get("/api/civitai/downloaded-versions/details").json()["items"] == []
    # A finished download can be forgotten, its file deleted.
    assert studio.delete(f"/api/civitai/downloads/{download['id']}").status_code == 200
    assert studio.get(f"/api/civitai/downloads/{download['id']}").status_code == 404


def test_a_full_disk_is_refused_before_any_byte(studio, fake, civitai_dir, monkeypatch):
    from hollywool.integrations.civitai import downloads

    _, version_id, _ = _checkpoint(fake)
    monkeypatch.setattr(downloads, "disk_free", lambda _folder: 10_000_000)
    r = studio.post("/api/civitai/downloads", json={"version_id": version_id})
    assert r.status_code == 507 and "Not enough free disk space" in r.json()["detail"]
    assert fake.download_calls == 0 and studio.get("/api/civitai/downloads").json() == []


def test_files_go_to_a_folder_per_type(studio, fake, civitai_dir):
    lora = fake.add_model("Roofs", "LORA", "SD 1.5", files={"roofs.safetensors": b"l" * 1000})
    emb = fake.add_model("Neg", "TextualInversion", "SD 1.5", files={"neg.pt": b"e" * 100})
    for m in (lora, emb):
        assert wait_download(studio, _start(studio, m["modelVersions"][0]["id"])["id"])["status"] == "completed"
    assert [p.relative_to(civitai_dir).as_posix() for p in files_under(civitai_dir)] == [
        "embeddings/neg.pt",
        "loras/roofs.safetensors",
    ]


@pytest.mark.parametrize("file_index", [1])
def test_a_secondary_file_of_a_version(studio, fake, civitai_dir, file_index):
    model = fake.add_model(
        "Barn", "Checkpoint", "SD 1.5", files={"barn.safetensors": b"m" * 500, "barn.vae.pt": b"v" * 300}
    )
    version = model["modelVersions"][0]
    file_id = version["files"][file_index]["id"]
    r = studio.post("/api/civitai/downloads", json={"version_id": version["id"], "file_id": file_id})
    assert r.status_code == 201, r.text
    done = wait_download(studio, r.json()["id"])
    assert done["status"] == "completed" and done["path"].endswith("barn.vae.pt")
    assert "type=VAE" in fake.requests_to("/api/download/")[-1].query
    assert studio.post("/api/civitai/downloads", json={"version_id": version["id"], "file_id": 1}).status_code == 404
