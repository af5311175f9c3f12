"""A job's inputs read to bytes by the studio and read back by a worker: every image the parameters name (a
reference upload, an image asset, a mask, control images) and an upscale's source asset, pixel for pixel."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
from PIL import Image

from hollywool.engines.image.params import ReferenceImage
from hollywool.errors import NotFoundError, StudioError
from hollywool.storage.preferences import Preferences
from hollywool.workers.inputs import ShippedAssets, ShippedImages, ShippedInputs, gather_inputs
from tests.image.conftest import png_base64


def _picture(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (24, 32, 3), dtype=np.uint8))


def test_the_worker_reads_the_same_pixels_from_what_the_studio_sent(client, tmp_path):
    studio = cast(Any, client.app).state.studio
    references = studio.references
    upload = references.normalise_one(ReferenceImage(image_base64=png_base64(_picture(1))), "f")
    mask = references.normalise_one(ReferenceImage(image_base64=png_base64(_picture(2))), "f")
    asset = studio.assets.save_image(_picture(3), params={})
    params = {
        "reference_images": [upload.model_dump(), {"image_asset_id": asset.id}],
        "mask": mask.model_dump(),
        "control": [{"image": {"image_asset_id": asset.id}, "type": "canny"}],
        "asset_id": asset.id,
    }
    prefs = Preferences.model_validate({"memory_budget_gb": 3.5})
    sent = gather_inputs(params, references, prefs)
    assert len(sent.images) == 3 and list(sent.assets) == [asset.id]

    shipped = ShippedInputs(tmp_path / "worker")
    shipped.hold("job1", sent)
    assets = ShippedAssets(shipped)
    images = ShippedImages(shipped, assets)
    for ref in (upload, mask, ReferenceImage(image_asset_id=asset.id)):
        assert images.load(ref).tobytes() == references.load(ref).tobytes()
    source = assets.get(asset.id)
    assert source.id == asset.id and assets.path_of(source).read_bytes() == studio.assets.path_of(asset).read_bytes()
    assert shipped.preferences.memory_budget_gb == 3.5

    shipped.release("job1")
    assert not (tmp_path / "worker" / "job1").exists()
    with pytest.raises(StudioError, match="did not send"):
        images.load(upload)
    with pytest.raises(NotFoundError):
        assets.get(asset.id)


def test_a_missing_input_fails_in_the_studio_as_it_would_have_in_process(client):
    studio = cast(Any, client.app).state.studio
    with pytest.raises(NotFoundError):
        gather_inputs(
            {"reference_images": [{"image_asset_id": "gone"}]}, studio.references, Preferences.model_validate({})
        )
