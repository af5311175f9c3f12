"""Qwen-Image-Edit inpaint and outpaint through the API with the tiny model: the masked area is repainted and
every other pixel kept; the source and the other reference images reach the vision encoder ("Picture 1, 2")
and the transformer (their latent tokens), so other references paint something else."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.image.conftest import image_of, png_base64, run

MODEL = "tiny-qwen-edit"


@pytest.fixture
def client(register_models, make_client):
    register_models({MODEL: "qwen_image_edit"})
    return make_client()


def _noise(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _png(image: Image.Image) -> dict:
    return {"image_base64": png_base64(image)}


SOURCE = _noise(64, 64, seed=0)
MASK = Image.new("L", (64, 64), 0)
MASK.paste(255, (16, 16, 48, 40))
INSIDE = np.asarray(MASK) > 0


def _inpaint(client, *references: Image.Image, **extra) -> np.ndarray:
    job = run(
        client,
        model=MODEL,
        prompt="put the hat of picture 2 on it",
        reference_images=[_png(SOURCE), *(_png(r) for r in references)],
        mask=_png(MASK),
        width=64,
        height=64,
        strength=1.0,
        mask_blur=4,
        seed=3,
        **extra,
    )
    assert job["params"]["mode"] == "inpaint"
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_inpaint_repaints_the_mask_and_keeps_every_other_pixel(client):
    out = _inpaint(client)
    src = np.asarray(SOURCE, dtype=np.int16)
    assert out.shape == src.shape
    assert (out[~INSIDE] == src[~INSIDE]).all(), "a pixel outside the mask changed"
    assert np.abs(out[INSIDE] - src[INSIDE]).mean() > 10, "the masked area was not repainted"


def test_the_references_reach_the_encoder_and_the_transformer_and_change_the_result(client):
    red, blue = Image.new("RGB", (96, 64), (220, 30, 30)), Image.new("RGB", (64, 96), (20, 40, 220))
    with_red = _inpaint(client, red)
    pipe = client.app.state.studio.models.cache.peek(MODEL).pipe
    seen: dict[str, list[int]] = {"vision": [], "tokens": []}
    pipe.text_encoder.register_forward_hook(
        lambda _m, _a, kwargs, _o: seen["vision"].append(len(kwargs["image_grid_thw"])), with_kwargs=True
    )
    pipe.transformer.register_forward_hook(
        lambda _m, _a, kwargs, _o: seen["tokens"].append(kwargs["hidden_states"].shape[1]), with_kwargs=True
    )
    with_blue = _inpaint(client, blue)
    # The source and the blue image with the prompt and with the default negative " " (guidance 4 runs CFG).
    assert seen["vision"] == [2, 2]
    # The tiny VAE compresses 16x and the pipelines work at about 1024x1024: 32x32 tokens for the latents and for
    # the source, and for the 64x96 reference 832x1248 pixels, 26x39 tokens; each of the two steps twice (CFG).
    assert seen["tokens"] == [1024 + 1024 + 26 * 39] * 4
    again = _inpaint(client, red)
    assert (again == with_red).all()  # the same references paint the same: what differs below is theirs
    alone = _inpaint(client)
    assert seen["tokens"][8:] == [1024 + 1024] * 4  # no reference: the pipeline's own tokens (the hook is gone)
    # The tiny random transformer and VAE damp what a reference changes (a mean of about 0.05 levels), so only a
    # change is asked for; the counts above show each reference's way in.
    for one, other in ((alone, with_red), (with_red, with_blue)):
        assert (one[~INSIDE] == other[~INSIDE]).all()
        assert (one[INSIDE] != other[INSIDE]).any(), "another reference painted the same"


def test_outpaint_extends_the_canvas_and_keeps_the_original(client):
    source = _noise(64, 48, seed=4)
    job = run(
        client,
        model=MODEL,
        prompt="a wider view",
        reference_images=[_png(source), _png(Image.new("RGB", (64, 64), (200, 200, 0)))],
        outpaint={"left": 32, "bottom": 16},
        steps=2,
        seed=5,
    )
    out = np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)
    assert out.shape == (64, 96, 3)
    assert (out[0:48, 32:96] == np.asarray(source, dtype=np.int16)).all(), "the original pixels changed"
    edge = np.repeat(np.asarray(source, dtype=np.int16)[:, :1], 32, axis=1)
    assert np.abs(out[:48, :32] - edge).mean() > 5  # painted, not the stretched edge it started from


def test_at_most_three_images_in_all_and_the_modes_it_lists(client):
    body = {"prompt": "x", "model": MODEL, "steps": 2, "mask": _png(MASK)}
    resp = client.post("/api/jobs", json={**body, "reference_images": [_png(SOURCE)] * 4})
    assert resp.status_code == 422 and resp.json()["field"] == "reference_images"
    assert "with at most 2 more; 4 were given" in resp.json()["detail"]
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert models[MODEL]["modes"] == ["edit", "inpaint", "outpaint"]
