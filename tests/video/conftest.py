"""Helpers for video tests: submit through the API, wait for the job, read the MP4 back."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from hollywool.testkit.tiny_models import FAMILIES
from tests.kit.studio import FINISHED as TERMINAL
from tests.kit.studio import wait_job as kit_wait_job


def png_b64(size: tuple[int, int] = (48, 40), color: tuple[int, int, int] = (200, 90, 30)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def tiny_body(family: str, model: str, **overrides) -> dict:
    """The smallest valid request for a tiny family (sizes and frames from the test kit's table)."""
    call = FAMILIES[family].call
    body = {
        "model": model,
        "prompt": "a robot dancing in the rain",
        "width": call["width"],
        "height": call["height"],
        "num_frames": call["num_frames"],
        "steps": 2,
        "seed": 7,
    }
    if "frame_rate" in call:
        body["fps"] = call["frame_rate"]
    return {**body, **overrides}


def wait_job(client, kind: str, job_id: str, timeout: float = 120) -> dict:
    return kit_wait_job(client, job_id, TERMINAL, timeout, path=f"/api/{kind}/jobs")


def run_job(client, kind: str, body: dict) -> dict:
    r = client.post(f"/api/{kind}/jobs", json=body)
    assert r.status_code == 201, r.text
    job = wait_job(client, kind, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    return job


def asset_path(client, studio_dirs, asset_id: str) -> tuple[dict, Path]:
    asset = client.get(f"/api/assets/{asset_id}").json()
    return asset, studio_dirs["outputs_dir"] / asset["path"]


@pytest.fixture
def studio_of():
    return lambda client: client.app.state.studio
