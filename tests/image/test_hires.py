"""Hires fix and refine through the API with tiny models: one job makes the image, upscales it (Lanczos, a spandrel
upscaler, or SD/SDXL latents) and works it over at the strength asked, whole or in tiles; `refine` does the second
part to a given image; the metadata says how; what cannot work is refused naming the field."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hollywool.engines.image import hires
from hollywool.testkit.upscalers import write_realesrgan
from tests.image.conftest import image_of, png_base64, run

MODELS = {"tiny-sd": "sd15", "tiny-sdxl": "sdxl", "tiny-zimage": "zimage", "tiny-krea2": "krea2"}


@pytest.fixture
def client(register_models, make_client, studio_dirs):
    register_models(MODELS)
    write_realesrgan(studio_dirs["data_dir"] / "upscalers" / "tiny-x2.pth", scale=2)
    return make_client()


def _array(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def _stages(client, model: str, **body) -> tuple[dict, list[str]]:
    """Run a job and collect the stages its progress went through."""
    stages: list[str] = []
    client.app.state.studio.bus.add_listener(
        lambda e: stages.append(e.stage) if e.type == "job.progress" and (not stages or stages[-1] != e.stage) else None
    )
    return run(client, model=model, **body), stages


@pytest.mark.parametrize(
    ("model", "upscaler"),
    [
        ("tiny-sd", "lanczos"),
        ("tiny-sd", "latent"),
        ("tiny-sdxl", "latent"),
        ("tiny-sd", "tiny-x2"),
        ("tiny-zimage", "lanczos"),
    ],
)
def test_a_hires_fix_makes_the_image_larger_and_works_it_over(client, model, upscaler):
    base = run(client, model=model, seed=11)
    fix = {"scale": 2, "upscaler": upscaler, "strength": 0.6, "steps": 4}
    job, stages = _stages(client, model, seed=11, hires=fix)
    out = _array(client, job)
    assert out.shape == (128, 128, 3)
    assert stages[-2:] == ["generating", "refining"]
    if upscaler != "latent":  # the first pass is the plain job's image; the second changed its upscale
        plain = image_of(client, base["images"][0]).resize((128, 128), Image.Resampling.LANCZOS)
        assert np.abs(out - np.asarray(plain, dtype=np.int16)).mean() > 2
    text = Image.open(io.BytesIO(client.get(job["images"][0]["url"]).content)).text["parameters"]
    assert "Hires upscale: 2" in text and "Denoising strength: 0.6" in text and "Hires steps: 4" in text
    assert job["params"]["hires"]["upscaler"] == upscaler


def test_large_sizes_are_refined_in_tiles_without_seams(client):
    # 96x96 at 4x is 384x384: tiles of 256 with a 64 px overlap, blended where they meet.
    job = run(client, model="tiny-sd", seed=2, width=96, height=96, hires={"scale": 4, "tile": 256, "steps": 2})
    out = _array(client, job)
    assert out.shape == (384, 384, 3)
    assert hires.tiles((384, 384), 256, 8) == [
        (0, 0, 256, 256),
        (128, 0, 384, 256),
        (0, 128, 256, 384),
        (128, 128, 384, 384),
    ]
    # No seam: the step between neighbouring columns across a tile's edge is like the steps elsewhere.
    steps = np.abs(np.diff(out.astype(np.float64), axis=1)).mean(axis=(0, 2))
    assert steps[255] < 3 * np.median(steps) and steps[127] < 3 * np.median(steps)


def test_refine_upscales_a_given_image_and_works_it_over(client):
    rng = np.random.default_rng(3)
    source = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    job = run(
        client,
        model="tiny-sd",
        mode="refine",
        reference_images=[{"image_base64": png_base64(source)}],
        hires={"scale": 2, "strength": 0.5, "steps": 4},
        width=None,
        height=None,
    )
    out = _array(client, job)
    assert out.shape == (96, 128, 3)
    plain = np.asarray(source.resize((128, 96), Image.Resampling.LANCZOS), dtype=np.int16)
    assert 1 < np.abs(out - plain).mean() < 120  # worked over, not made anew
    assert job["params"]["mode"] == "refine"


def _refused(client, field: str, **body) -> str:
    resp = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64, **body})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field, resp.json()
    return resp.json()["detail"]


def test_what_cannot_be_refined_is_refused_naming_the_field(client):
    assert "Krea 2 models have no image-to-image pass" in _refused(client, "hires", model="tiny-krea2", hires={})
    assert "choose lanczos" in _refused(client, "hires.upscaler", model="tiny-zimage", hires={"upscaler": "latent"})
    assert "unknown upscaler 'nope'" in _refused(client, "hires.upscaler", hires={"upscaler": "nope"})
    assert "the largest side may be 4096" in _refused(
        client, "hires.scale", width=2048, height=2048, hires={"scale": 4}
    )
    src = [{"image_base64": png_base64(Image.new("RGB", (64, 64)))}]
    mask = {"image_base64": png_base64(Image.new("L", (64, 64), 255))}
    assert "not an inpaint" in _refused(client, "hires", reference_images=src, mask=mask, hires={})
    assert "one image" in _refused(client, "reference_images", mode="refine")
    assert "in tiles" in _refused(client, "hires.upscaler", hires={"upscaler": "latent", "tile": 512})
    assert client.get("/api/jobs").json()["total"] == 0
