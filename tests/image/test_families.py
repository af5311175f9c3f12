"""Every image family, text-to-image and image-to-image, through the API with tiny models."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.image.conftest import IMAGE_FAMILIES, image_of, mean_abs_diff, pixels, png_base64, run


@pytest.mark.parametrize("model", list(IMAGE_FAMILIES))
def test_text_to_image_and_image_to_image(image_client, model):
    client = image_client
    t2i = run(client, model=model, seed=7, negative_prompt="blurry")
    assert t2i["images"][0]["seed"] == 7 and image_of(client, t2i["images"][0]).size == (64, 64)
    # Image-to-image from the asset just made, and from an uploaded image, at a non-square size.
    ref_id = t2i["images"][0]["id"]
    i2i = run(client, model=model, seed=7, reference_images=[{"image_asset_id": ref_id}], strength=0.5)
    assert i2i["params"]["reference_images"] == [{"image_asset_id": ref_id, "image_base64": None, "upload_id": None}]
    assert image_of(client, i2i["images"][0]).size == (64, 64)
    assert pixels(client, i2i) != pixels(client, t2i)
    upload = png_base64(Image.new("RGB", (100, 60), (200, 30, 30)))
    red = run(client, model=model, seed=7, width=96, height=64, reference_images=[{"image_base64": upload}])
    assert image_of(client, red["images"][0]).size == (96, 64)
    assert red["params"]["reference_images"][0]["upload_id"]  # stored once; the job keeps only its id


def test_flux_says_it_ignores_the_negative_prompt(image_client):
    resp = image_client.post(
        "/api/jobs", json={"prompt": "x", "model": "tiny-flux", "width": 64, "height": 64, "negative_prompt": "blur"}
    )
    assert resp.status_code == 201
    assert "FLUX models take no negative prompt" in resp.json()["message"]
    models = {m["id"]: m for m in image_client.get("/api/models").json()["models"]}
    assert models["tiny-flux"]["supports_negative_prompt"] is False
    assert models["tiny-sd"]["supports_negative_prompt"] is True


def test_batch_seeds_aspect_presets_schedulers_and_styles(image_client):
    client = image_client
    batch = run(client, num_images=3, seed=100)
    assert [i["seed"] for i in batch["images"]] == [100, 101, 102]
    listed = run(client, seeds=[5, 9])
    assert [i["seed"] for i in listed["images"]] == [5, 9]
    # Aspect presets are sized from the model's default size and snapped to the family's multiple.
    wide = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-flux", "aspect_ratio": "16:9", "steps": 1})
    job = client.get(f"/api/jobs/{wide.json()['job_id']}").json()
    assert (job["params"]["width"], job["params"]["height"]) == (1360, 768)
    client.post(f"/api/jobs/{job['id']}/cancel")
    # A scheduler and a style change the image; the style's text reaches the recorded prompt.
    plain = run(client, seed=3)
    euler = run(client, seed=3, scheduler="euler_a")
    assert pixels(client, plain) != pixels(client, euler)
    styled = run(client, seed=3, style="cinematic")
    assert styled["images"][0]["id"]
    params = client.get(f"/api/assets/{styled['images'][0]['id']}/params").json()["params"]
    assert params["final_prompt"].startswith("cinematic film still of a red fox in snow")
    assert mean_abs_diff(pixels(client, plain), pixels(client, styled)) > 0
    assert {s["id"] for s in client.get("/api/styles").json()} >= {"cinematic", "anime", "photographic"}
    assert any(s["name"] == "dpmpp_2m_karras" for s in client.get("/api/models/schedulers").json())
