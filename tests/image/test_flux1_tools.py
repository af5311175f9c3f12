"""FLUX.1 Kontext and FLUX.1 Fill as families, with tiny models registered without a `type` (read from their
model_index.json): Kontext edits from its reference image (another image, another result) and makes the size
asked; Fill inpaints (the unmasked pixels kept) and takes no text-to-image job."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.image.conftest import image_of, png_base64, run
from tests.kit.studio import tiny_entry, write_user_config


@pytest.fixture
def client(studio_dirs, tiny_model, make_client):
    entries = {}
    for model_id, family in (("tiny-kontext", "flux_kontext"), ("tiny-fill", "flux_fill")):
        entry = tiny_entry(tiny_model(family), "flux")
        del entry["type"]  # the studio reads it from the folder
        entries[model_id] = entry
    write_user_config(studio_dirs["data_dir"], entries)
    return make_client()


def _noise(seed: int, size: int = 64) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8))


def _pixels(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_the_families_are_read_from_the_folders(client):
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert models["tiny-kontext"]["type"] == "flux-kontext"
    assert models["tiny-fill"]["type"] == "flux-fill"
    families = {f["id"]: f for f in client.get("/api/models/families").json()}
    assert families["flux-kontext"]["tasks"]["edit"] == "FluxKontextPipeline"
    assert families["flux-fill"]["tasks"] == {"inpaint": "FluxFillPipeline"}


def test_kontext_edits_from_its_reference_image_at_the_size_asked(client):
    def edit(colour: str) -> dict:
        return run(client, model="tiny-kontext", prompt="make it red", width=96, height=64, seed=1,
                   reference_images=[{"image_base64": png_base64(Image.new("RGB", (64, 64), colour))}])  # fmt: skip

    first, again, other = edit("white"), edit("white"), edit("black")
    assert first["params"]["mode"] == "generate" and first["images"][0]["width"] == 96
    assert _pixels(client, first).shape == (64, 96, 3)
    assert (_pixels(client, first) == _pixels(client, again)).all()
    # A random tiny transformer attends weakly to the reference tokens: the change is small, but the same
    # reference gives the very same pixels (above), so it comes from the reference.
    assert np.abs(_pixels(client, first) - _pixels(client, other)).mean() > 0.1, "the reference image changed nothing"
    text_only = run(client, model="tiny-kontext", prompt="a red barn", width=64, height=64, seed=1)
    assert _pixels(client, text_only).shape == (64, 64, 3)


def test_fill_inpaints_and_keeps_the_unmasked_pixels(client):
    source = _noise(3)
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 40))
    images = {"reference_images": [{"image_base64": png_base64(source)}], "mask": {"image_base64": png_base64(mask)}}
    job = run(client, model="tiny-fill", prompt="a red apple", seed=3, width=64, height=64, strength=1.0, **images)
    out, src = _pixels(client, job), np.asarray(source, dtype=np.int16)
    inside = np.asarray(mask) > 0
    assert (out[~inside] == src[~inside]).all(), "a pixel outside the mask changed"
    assert np.abs(out[inside] - src[inside]).mean() > 10, "the masked area was not repainted"
    resp = client.post("/api/jobs", json={"prompt": "a barn", "model": "tiny-fill", "width": 64, "height": 64})
    assert resp.status_code == 422 and resp.json()["field"] == "reference_images"
