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


def assert_same_video_and_sound(pipe, ref, family: str) -> None:
    """Two LTX-2 pipelines make the same frames and waveform for a seed (2 steps of the tiny family's call)."""
    from typing import Any, cast

    import numpy as np
    import torch

    call = {**FAMILIES[family].call, "prompt": "a robot", "num_inference_steps": 2, "output_type": "np"}
    a, b = (cast(Any, p(generator=torch.Generator().manual_seed(7), **call)) for p in (pipe, ref))
    # Equal weights in differently aligned memory (read into fresh tensors here, mapped from the file there) take
    # other SIMD paths: measured differences about 1e-6; other weights would differ by the whole signal.
    np.testing.assert_allclose(a.frames, b.frames, atol=1e-4)
    torch.testing.assert_close(a.audio, b.audio, atol=1e-4, rtol=1e-4)
    assert a.audio.shape[-1] > 0 and float(np.abs(b.frames).max()) > 0
