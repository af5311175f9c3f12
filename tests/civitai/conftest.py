"""A fake Civitai on 127.0.0.1 and a studio pointed at it, with its Civitai folder under tmp."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hollywool.settings import ServiceUrls
from tests.fakes.civitai import FakeCivitai
from tests.kit.studio import wait_for

FINISHED = ("completed", "failed", "cancelled")


@pytest.fixture
def fake():
    with FakeCivitai() as server:
        yield server


@pytest.fixture
def civitai_dir(tmp_path) -> Path:
    return tmp_path / "civitai"


@pytest.fixture
def studio(make_client, fake, civitai_dir):
    """A TestClient on a studio whose Civitai is the fake."""
    return make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)


def wait_download(client, download_id: str, statuses=FINISHED, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = client.get(f"/api/civitai/downloads/{download_id}").json()
        if d["status"] in statuses:
            return d
        time.sleep(0.05)
    raise TimeoutError(f"download {download_id} still {d['status']}")


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def generate_pixels(client, **extra) -> np.ndarray:
    """Run an image job (64x64, 2 steps, seed 3 unless given) and return its pixels."""
    body = {"prompt": "a red barn", "width": 64, "height": 64, "steps": 2, "seed": 3, **extra}
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    job = wait_for(
        lambda: (j := client.get(f"/api/jobs/{job_id}").json())["status"] in ("completed", "failed") and j,
        timeout=120,
        what="the image job",
    )
    assert job["status"] == "completed", job.get("error")
    png = client.get(job["images"][0]["url"]).content
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)
