"""`/api/models` says which of a remote model's inputs the studio fills itself (the UI offers only the
others as provider parameters, and keeps no list of image field names of its own)."""

from __future__ import annotations

import base64
import io

from PIL import Image

from tests.remote import test_remote_images as remote_images
from tests.remote.fixtures import wait_job

FAL_I2V, FAL_I2I = remote_images.FAL_I2V, remote_images.FAL_I2I
client = remote_images.client  # the fixture: fal with its image-input models, discovered


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_studio_params_name_the_inputs_a_job_fills(client, fal):
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    i2v = models[FAL_I2V]["studio_params"]
    assert {k for k, v in i2v.items() if v == "reference_images"} == {"image_url", "tail_image_url"}
    assert i2v["prompt"] == "prompt" and i2v["duration"] == "duration"
    assert set(i2v) < {p["name"] for p in models[FAL_I2V]["params"]}  # the others are provider params
    i2i = models[FAL_I2I]["studio_params"]
    assert i2i["image_url"] == "reference_images" and i2i["strength"] == "strength"
    assert "tail_image_url" not in i2i

    # A job puts the reference images in exactly the inputs the list named.
    r = client.post(
        "/api/i2v/jobs",
        json={"model": FAL_I2V, "prompt": "p", "duration": 5, "reference_images": [{"image_base64": _png()}] * 2},
    )
    assert r.status_code == 201, r.text
    assert wait_job(client, r.json()["job_id"])["status"] == "completed"
    _, body = fal.submissions[-1]
    assert {k for k, v in body.items() if isinstance(v, str) and v.startswith("data:image/")} == {
        k for k, v in i2v.items() if v == "reference_images"
    }


def test_remote_models_carry_the_sizes_the_ui_offers(client):
    models = [m for m in client.get("/api/models").json()["models"] if m["type"] == "remote"]
    presets = [a["id"] for a in client.get("/api/aspect-ratios").json()]
    assert models
    for m in models:
        assert list(m["aspect_sizes"]) == presets and (m["min_size"], m["max_size"]) == (64, 4096)
        assert all(s["width"] % m["size_multiple"] == 0 for s in m["aspect_sizes"].values())
