"""Bad input is refused at submit time with the field named; faults fail the job, not the server."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.image.conftest import png_base64, run, submit, wait_job

BODY = {"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2}


def test_unknown_model_lists_valid_ids(image_client):
    r = image_client.post("/api/jobs", json={**BODY, "model": "nope"})
    assert r.status_code == 404
    assert all(m in r.json()["detail"] for m in ("tiny-sd", "tiny-flux", "sdxl-base", "flux-schnell"))
    r = image_client.post("/api/jobs", json={**BODY, "model": "cogvideox-5b"})  # a video model is no image model
    assert r.status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"model": "tiny-flux", "width": 72}, "width"),  # FLUX needs multiples of 16
        ({"height": 60}, "height"),
        ({"width": 5000}, "width"),
        ({"steps": 0}, "steps"),
        ({"steps": 201}, "steps"),
        ({"num_images": 5}, "num_images"),
        ({"seeds": [1, 2, 3, 4, 5]}, "seeds"),
        ({"strength": 0.05}, "strength"),
        ({"aspect_ratio": "5:4"}, "aspect_ratio"),
        ({"scheduler": "dpmpp_2m", "model": "tiny-flux"}, "scheduler"),
        ({"style": "vaporwave-9000"}, "style"),
        ({"reference_images": [{}]}, "reference_images.0"),
    ],
)
def test_out_of_range_parameters_get_422(image_client, change, field):
    r = image_client.post("/api/jobs", json={**BODY, **change})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field, r.json()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_bad_reference_images_get_422(image_client):
    def refuse(ref: dict, words: str) -> None:
        r = image_client.post("/api/jobs", json={**BODY, "reference_images": [ref]})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "reference_images.0" and words in r.json()["detail"], r.json()

    refuse({"image_base64": _b64(b"just some text, not pixels")}, "not a readable image")
    truncated = base64.b64decode(png_base64(Image.new("RGB", (64, 64), "blue")))[:60]
    refuse({"image_base64": _b64(truncated)}, "not a readable image")
    refuse({"image_base64": "%%% not base64 %%%"}, "not valid base64")
    refuse({"image_base64": png_base64(Image.new("L", (4100, 8)))}, "largest side may be 4096")
    refuse({"image_base64": _b64(b"\x89PNG" + b"\x00" * (20 * 1024 * 1024 + 10))}, "limit is 20 MB")
    refuse({"image_asset_id": "no-such-asset"}, "no image asset")
    # A data: URL of a JPEG is fine.
    buf = io.BytesIO()
    Image.new("RGB", (80, 80), "green").save(buf, format="JPEG")
    ok = image_client.post(
        "/api/jobs",
        json={**BODY, "reference_images": [{"image_base64": "data:image/jpeg;base64," + _b64(buf.getvalue())}]},
    )
    assert ok.status_code == 201
    assert wait_job(image_client, ok.json()["job_id"])["status"] == "completed"


def test_out_of_memory_fails_the_job_with_advice_and_the_server_keeps_serving(image_client, monkeypatch):
    import diffusers
    import torch

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    run(image_client)  # loaded and cached
    monkeypatch.setattr(diffusers.StableDiffusionPipeline, "__call__", out_of_memory)
    job = wait_job(image_client, submit(image_client))
    assert job["status"] == "failed"
    assert job["error"].startswith("Out of memory while generating 1 image(s) of 64x64 with tiny-sd")
    assert "Try a smaller size" in job["error"]
    assert image_client.get("/api/health").json()["loaded_models"] == []  # memory was given back
    monkeypatch.undo()
    assert run(image_client)["status"] == "completed"
