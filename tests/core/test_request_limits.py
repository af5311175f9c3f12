"""GET /api/limits gives the bounds ImageParams enforces: each one is accepted, one step past it refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hollywool.engines.image.params import ImageParams
from hollywool.errors import InvalidInputError
from hollywool.media import references

BASE = {"prompt": "x", "model": "m"}


def _valid(**fields) -> bool:
    try:
        ImageParams.model_validate({**BASE, **fields})
    except ValidationError:
        return False
    return True


@pytest.fixture
def limits(make_client) -> dict:
    r = make_client().get("/api/limits")
    assert r.status_code == 200
    return r.json()


def test_limits_are_the_request_models_bounds(limits):
    assert limits["prompt_max_length"] == 10_000  # the seed's prompt limit
    n = limits["prompt_max_length"]
    for field in ("prompt", "negative_prompt"):
        assert _valid(**{field: "x" * n}) and not _valid(**{field: "x" * (n + 1)})
    for field in ("steps", "guidance_scale", "seed", "num_images", "strength"):
        lo, hi = limits[field]["min"], limits[field]["max"]
        step = 1 if field in ("steps", "seed", "num_images") else 0.01
        assert _valid(**{field: lo}) and _valid(**{field: hi}), field
        assert not _valid(**{field: lo - step}) and not _valid(**{field: hi + step}), field
    lo, hi = limits["lora_weight"]["min"], limits["lora_weight"]["max"]
    lora = lambda w: {"loras": [{"lora_id": "a", "weight": w}]}  # noqa: E731
    assert _valid(**lora(lo)) and _valid(**lora(hi)) and not _valid(**lora(lo - 0.01)) and not _valid(**lora(hi + 0.01))
    refs = lambda k: {"reference_images": [{"image_asset_id": "a"}] * k}  # noqa: E731
    assert _valid(**refs(limits["reference_images"])) and not _valid(**refs(limits["reference_images"] + 1))
    assert limits["reference_image_bytes"] == references.MAX_BYTES


def test_a_reference_file_over_the_limit_is_refused(limits):
    with pytest.raises(InvalidInputError, match="the limit is"):
        references.decode_image_bytes(b"\0" * (limits["reference_image_bytes"] + 1), "reference_images.0")
