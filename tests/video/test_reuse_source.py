"""Reusing a video's settings: the uploaded source image is shown again, and a length the model
cannot make is said in the job's notes (issue 15, point 10)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.video.conftest import png_b64, tiny_body


@pytest.fixture
def client(register_models, make_client):
    register_models({"tiny-cog": "cogvideox", "tiny-cog-i2v": "cogvideox_i2v"})
    return make_client()


def test_an_uploaded_source_image_can_be_shown_again_from_its_upload_id(client):
    body = tiny_body("cogvideox_i2v", "tiny-cog-i2v", reference_images=[{"image_base64": png_b64((20, 16))}])
    r = client.post("/api/i2v/jobs", json=body)
    assert r.status_code == 201, r.text
    job = client.get(f"/api/jobs/{r.json()['job_id']}").json()
    upload_id = job["params"]["reference_images"][0]["upload_id"]
    r = client.get(f"/api/uploads/{upload_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (20, 16) and img.convert("RGB").getpixel((0, 0)) == (200, 90, 30)


@pytest.mark.parametrize("upload_id", ["0" * 32, "not-alnum", "..%2Fhollywool.db"])
def test_an_unknown_upload_is_a_404_with_a_next_step(client, upload_id):
    r = client.get(f"/api/uploads/{upload_id}")
    assert r.status_code == 404
    if "%2F" not in upload_id:  # a path with a slash never reaches the route
        assert "add the image again" in r.json()["detail"]


def test_a_duration_longer_than_the_model_makes_is_cut_and_the_job_says_so(client):
    body = tiny_body("cogvideox", "tiny-cog", fps=8)
    body.pop("num_frames")
    r = client.post("/api/video/jobs", json={**body, "duration": 10})  # 80 frames; tiny CogVideoX makes 9
    assert r.status_code == 201, r.text
    params = client.get(f"/api/jobs/{r.json()['job_id']}").json()["params"]
    assert params["num_frames"] == 9
    assert any("cut to its maximum, 9 frames" in n for n in params["notes"]), params["notes"]


def test_video_models_say_their_frame_limit(client):
    models = {m["id"]: m for m in client.get("/api/video/models").json()}
    assert models["tiny-cog"]["frames"]["max"] == 9
