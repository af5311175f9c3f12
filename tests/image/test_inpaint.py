"""Inpaint and outpaint through the API with tiny models: the masked area is repainted and every other pixel of
the source is kept exactly; "only the masked area" paints a crop at the size asked and pastes it back into a
larger image; outpaint grows the canvas and keeps the original; what cannot work is refused naming the field."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.image.conftest import image_of, png_base64, run, submit

MODELS = {
    "tiny-sd": "sd15",
    "tiny-sdxl": "sdxl",
    "tiny-zimage": "zimage",
    "tiny-chroma": "chroma",
    "tiny-klein": "flux2_klein",
    "tiny-qwen": "qwen_image",
    "tiny-krea2": "krea2",
}


@pytest.fixture
def client(register_models, make_client):
    register_models(MODELS)
    return make_client()


def _source(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _mask(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, box)
    return mask


def _arrays(client, job: dict, source: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    out = np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)
    return out, np.asarray(source, dtype=np.int16)


def _inpaint(client, model: str, source: Image.Image, mask: Image.Image, **extra) -> dict:
    return run(
        client,
        model=model,
        prompt="a red apple",
        reference_images=[{"image_base64": png_base64(source)}],
        mask={"image_base64": png_base64(mask)},
        seed=3,
        **extra,
    )


@pytest.mark.parametrize("model", [m for m in MODELS if m != "tiny-krea2"])
def test_inpaint_repaints_the_mask_and_keeps_every_other_pixel(client, model):
    source, mask = _source(64, 64), _mask(64, 64, (16, 16, 48, 40))
    job = _inpaint(client, model, source, mask, width=64, height=64, strength=1.0, mask_blur=4)
    out, src = _arrays(client, job, source)
    inside = np.asarray(mask) > 0
    assert out.shape == src.shape
    assert (out[~inside] == src[~inside]).all(), "a pixel outside the mask changed"
    assert np.abs(out[inside] - src[inside]).mean() > 10, "the masked area was not repainted"
    assert job["params"]["mode"] == "inpaint"


def test_only_the_masked_area_is_painted_at_full_resolution_and_pasted_back(client):
    # A 256x192 photo, a small fix in one corner: the crop around it is painted at 64x64 and pasted back.
    source, mask = _source(256, 192, seed=1), _mask(256, 192, (180, 20, 210, 50))
    job = _inpaint(
        client, "tiny-sd", source, mask, width=64, height=64, inpaint_only_masked=True, inpaint_padding=8, mask_blur=2
    )
    out, src = _arrays(client, job, source)
    inside = np.asarray(mask) > 0
    assert out.shape == (192, 256, 3)  # the source's size, not the generated one
    assert (out[~inside] == src[~inside]).all()
    assert np.abs(out[inside] - src[inside]).mean() > 10
    assert (job["params"]["width"], job["params"]["height"]) == (64, 64)
    # Without a size, the crop is painted at about the family's trained area (512x512 for SD), at its aspect.
    plan = submit(
        client,
        model="tiny-sd",
        reference_images=[{"image_base64": png_base64(source)}],
        mask={"image_base64": png_base64(mask)},
        inpaint_only_masked=True,
        steps=2,
        width=None,
        height=None,
    )
    params = client.get(f"/api/jobs/{plan}").json()["params"]
    assert (params["width"], params["height"]) == (512, 512)
    client.post(f"/api/jobs/{plan}/cancel")


def test_without_paste_back_the_whole_image_is_the_models(client):
    source, mask = _source(64, 64, seed=2), _mask(64, 64, (0, 0, 32, 64))
    job = _inpaint(client, "tiny-sd", source, mask, width=64, height=64, paste_back=False, strength=1.0)
    out, src = _arrays(client, job, source)
    outside = np.asarray(mask) == 0
    assert (out[outside] != src[outside]).any()  # the model's own pixels (its VAE round trip) everywhere


@pytest.mark.parametrize("model", ["tiny-sd", "tiny-zimage"])
def test_outpaint_extends_the_canvas_and_keeps_the_original(client, model):
    source = _source(64, 48, seed=4)
    job = run(
        client,
        model=model,
        prompt="a wider view",
        reference_images=[{"image_base64": png_base64(source)}],
        outpaint={"left": 32, "bottom": 16},
        seed=5,
    )
    out = np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)
    assert out.shape == (64, 96, 3)  # 48 + 16 high, 64 + 32 wide
    kept = out[0:48, 32:96]
    assert (kept == np.asarray(source, dtype=np.int16)).all(), "the original pixels changed"
    new = out[:, :32]
    edge = np.repeat(np.asarray(source, dtype=np.int16)[:, :1], 32, axis=1)
    assert np.abs(new[:48] - edge).mean() > 5  # painted, not the stretched edge it started from
    assert job["params"]["mode"] == "outpaint" and job["params"]["strength"] == 1.0


def test_the_a1111_parameters_say_how_it_was_inpainted(client):
    source, mask = _source(64, 64), _mask(64, 64, (8, 8, 24, 24))
    job = _inpaint(client, "tiny-sd", source, mask, inpaint_only_masked=True, inpaint_padding=16, mask_blur=6)
    data = client.get(job["images"][0]["url"]).content
    text = Image.open(io.BytesIO(data)).text["parameters"]
    assert "Denoising strength: 0.75" in text
    assert "Mask blur: 6" in text and "Inpaint area: Only masked" in text and "Masked area padding: 16" in text


def _refused(client, field: str, **body) -> str:
    base = {"prompt": "x", "model": "tiny-sd", "steps": 1}
    resp = client.post("/api/jobs", json={**base, **body})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field, resp.json()
    return resp.json()["detail"]


def test_what_cannot_be_painted_is_refused_naming_the_field(client):
    src = [{"image_base64": png_base64(_source(64, 64))}]
    mask = {"image_base64": png_base64(_mask(64, 64, (0, 0, 8, 8)))}
    assert "inpaint needs a mask" in _refused(client, "mask", mode="inpaint", reference_images=src)
    assert "first reference image" in _refused(client, "reference_images", mask=mask)
    assert "at least one side" in _refused(client, "outpaint", reference_images=src, outpaint={"left": 0})
    detail = _refused(client, "mode", model="tiny-krea2", mask=mask, reference_images=src)
    assert "Krea 2 models cannot inpaint" in detail and "Stable Diffusion" in detail
    assert "not a readable image" in _refused(client, "mask", reference_images=src, mask={"image_base64": "aGVsbG8="})
    assert "no image asset 'nope'" in _refused(client, "mask", reference_images=src, mask={"image_asset_id": "nope"})
    assert "at least 2 steps" in _refused(client, "steps", mask=mask, reference_images=src, steps=1, strength=0.75)
    assert client.get("/api/jobs").json()["total"] == 0  # nothing was queued


def test_the_models_api_says_what_each_model_can_do(client):
    modes = {m["id"]: m["modes"] for m in client.get("/api/models").json()["models"] if m["id"] in MODELS}
    assert modes["tiny-sd"] == ["generate", "inpaint", "outpaint", "refine"]
    assert modes["tiny-klein"] == ["generate", "edit", "inpaint", "outpaint"]  # references go in as edit inputs
    assert modes["tiny-krea2"] == ["generate"]
