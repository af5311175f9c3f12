"""A ControlNet with a hires fix and with an only-masked inpaint, through the API with the tiny SDXL Union model.

Only masked: the control map is cropped with the source around the mask and scaled to the size made, so only the
map's part inside that crop counts. Hires fix: as A1111's ControlNet does by default, the second pass follows the
map too, made again at the final size (in tiles, each tile's part of it)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from tests.image.conftest import image_of, png_base64, run
from tests.image.test_control import control_entries, control_folders  # noqa: F401 - the session fixture

MODEL = "tiny-sdxl"


@pytest.fixture
def client(register_models, make_client, control_folders):  # noqa: F811 - the fixture imported above
    config = register_models({MODEL: "sdxl"})
    data = yaml.safe_load(config.read_text())
    data["control_models"] = control_entries(control_folders)
    config.write_text(yaml.safe_dump(data))
    return make_client()


def _map(size: tuple[int, int], *boxes: tuple[int, int, int, int]) -> dict:
    image = Image.new("RGB", size, "black")
    for box in boxes:
        ImageDraw.Draw(image).rectangle(box, fill="white")
    return {"image": {"image_base64": png_base64(image)}, "type": "canny", "preprocessor": "none"}


def _pixels(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_an_only_masked_inpaint_follows_the_map_cropped_with_the_source(client):
    size = (160, 96)
    source = Image.fromarray(np.random.default_rng(2).integers(0, 256, (96, 160, 3), dtype=np.uint8))
    mask = Image.new("L", size, 0)
    mask.paste(255, (100, 20, 124, 44))  # the crop: this box and 8 px around it, square: (92, 12)-(132, 52)
    inside = np.asarray(mask) > 0

    def inpaint(control: dict) -> np.ndarray:
        job = run(client, model=MODEL, prompt="a house", width=64, height=64, seed=7, strength=1.0,
                  reference_images=[{"image_base64": png_base64(source)}], mask={"image_base64": png_base64(mask)},
                  inpaint_only_masked=True, inpaint_padding=8, control=[control])  # fmt: skip
        assert job["params"]["control"][0]["model"] == "tiny-union-sdxl"
        return _pixels(client, job)

    first = inpaint(_map(size, (96, 16, 112, 40)))
    assert first.shape == (96, 160, 3)  # the source's size, painted at 64x64 in the crop
    src = np.asarray(source, dtype=np.int16)
    assert (first[~inside] == src[~inside]).all(), "a pixel outside the mask changed"
    assert np.abs(first[inside] - src[inside]).mean() > 10
    # Another shape outside the crop: the same map where the model looks, the same picture.
    outside = inpaint(_map(size, (96, 16, 112, 40), (0, 50, 60, 90)))
    assert (outside == first).all(), "the map outside the crop was used"
    inside_changed = inpaint(_map(size, (110, 30, 130, 50)))
    assert np.abs(inside_changed[inside] - first[inside]).mean() > 1, "the map inside the crop changed nothing"


def test_a_hires_fix_follows_the_map_in_both_passes(client):
    def hires(control: dict, **fix) -> dict:
        return run(client, model=MODEL, prompt="a house", width=64, height=64, seed=7, control=[control],
                   hires={"scale": 2, "strength": 0.6, **fix})  # fmt: skip

    first = hires(_map((64, 64), (10, 10, 40, 50)))
    assert _pixels(client, first).shape == (128, 128, 3)
    assert not first["result"]["notes"]
    pipe = client.app.state.studio.models.cache.peek(MODEL).variants["control:tiny-union-sdxl:image-to-image"]
    sizes: list[tuple[int, int]] = []
    pipe.controlnet.register_forward_hook(
        lambda _m, _a, kwargs, _o: sizes.append(tuple(kwargs["controlnet_cond"][0].shape[-2:])), with_kwargs=True
    )
    other = hires(_map((64, 64), (30, 5, 60, 30)))
    assert (128, 128) in sizes and (64, 64) in sizes  # the map at each pass's size
    assert np.abs(_pixels(client, first) - _pixels(client, other)).mean() > 1, "the control map changed nothing"

    sizes.clear()
    tiled = run(client, model=MODEL, prompt="a house", width=80, height=80, seed=7, steps=2,
                control=[_map((80, 80), (10, 10, 40, 50))],
                hires={"scale": 4, "strength": 0.5, "tile": 256})  # fmt: skip
    assert _pixels(client, tiled).shape == (320, 320, 3)
    assert sizes.count((256, 256)) >= 4  # each of the four tiles with its own part of the map
