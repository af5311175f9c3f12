"""Families register themselves: a new family is its module plus catalogue entries, and nothing else."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import textwrap

import pytest

from hollywool.models import families
from hollywool.models.catalog import ModelEntry
from tests.image.conftest import add_user_models, run

FRAMEWORK = {"base", "image", "split", "video"}

# A whole family, as someone adding one would write it: one module, nothing registered by hand elsewhere.
NEW_FAMILY = """
from hollywool.models.families.base import SingleFile, register
from hollywool.models.families.image import ImageFamily, encode_clip

FAMILY = register(ImageFamily(
    type="pixelwave",
    label="PixelWave",
    pipeline="StableDiffusionPipeline",
    aliases=("pw1",),
    size_multiple=8,
    default_size=64,
    default_steps=3,
    default_guidance=4.5,
    schedulers=("euler",),
    lora_bases={"pixelwave": "PixelWave"},
    civitai_base_models=("PixelWave 1",),
    single_file=SingleFile(markers=("pixelwave_blocks.",)),
    encode_prompt=encode_clip,
))
"""


def test_every_module_in_the_families_package_registers_its_families():
    for module in pkgutil.iter_modules(families.__path__):
        if module.name in FRAMEWORK:
            continue
        mod = importlib.import_module(f"hollywool.models.families.{module.name}")
        declared = [v for v in vars(mod).values() if isinstance(v, families.Family)]
        assert declared, f"{module.name} declares no family"
        assert all(families.REGISTRY.get(f.type) is f for f in declared), f"{module.name} did not register"
    assert {"sd", "sdxl", "sd3", "flux", "video", "video-i2v", "ltx2", "wan", "wan-i2v", "mochi", "svd"} <= set(
        families.REGISTRY.ids()
    )


def test_one_architecture_has_one_id_and_its_aliases_resolve_to_it():
    assert families.canonical_type("sd15") == families.canonical_type("sd1") == "sd"
    entry = ModelEntry(id="x", name="X", path="/tmp/x", type="sd15")
    assert entry.type == "sd" and entry.family.label == "Stable Diffusion 1.x/2.x"
    with pytest.raises(ValueError, match="no model family is called 'sd9'"):
        ModelEntry(id="x", name="X", path="/tmp/x", type="sd9")
    with pytest.raises(ValueError, match="already"):
        families.register(families.ImageFamily(type="sd-again", label="x", pipeline="x", aliases=("sd15",),
                                               size_multiple=8, default_size=512))  # fmt: skip


@pytest.fixture
def new_family_module(tmp_path):
    (tmp_path / "pixelwave_family.py").write_text(textwrap.dedent(NEW_FAMILY))
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("pixelwave_family")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("pixelwave_family", None)
        families.REGISTRY.unregister("pixelwave")


def test_a_new_family_needs_only_its_module_and_catalogue_entries(
    new_family_module, register_models, make_client, tiny_model
):
    config = register_models({"tiny-sd": "sd15"})
    add_user_models(
        config,
        {
            "my-pixelwave": {
                "name": "My PixelWave",
                "path": str(tiny_model("sd15")),
                "type": "pw1",  # an alias, as a user may write it
                "default_steps": 2,
                "memory_gb": 0.1,
            }
        },
    )
    client = make_client()

    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    model = listed["my-pixelwave"]
    assert model["type"] == "pixelwave" and model["family"] == "PixelWave"
    assert model["size_multiple"] == 8 and model["schedulers"] == ["default", "euler"]
    assert (model["default_width"], model["default_height"]) == (64, 64)
    assert model["aspect_sizes"]["16:9"]["width"] % 8 == 0

    described = {f["id"]: f for f in client.get("/api/models/families").json()}["pixelwave"]
    assert described["tasks"] == {"text-to-image": "StableDiffusionPipeline",
                                  "image-to-image": "AutoPipelineForImage2Image"}  # fmt: skip
    assert described["aliases"] == ["pw1"] and described["civitai_base_models"] == ["PixelWave 1"]
    scheduler = {s["name"]: s for s in client.get("/api/models/schedulers").json()}["euler"]
    assert "pixelwave" in scheduler["model_types"]

    job = run(client, model="my-pixelwave", scheduler="euler")
    assert len(job["images"]) == 1 and job["images"][0]["width"] == 64

    bad = client.post("/api/jobs", json={"prompt": "x", "model": "my-pixelwave", "width": 100, "height": 64})
    assert bad.status_code == 422 and "multiple of 8 for PixelWave models" in bad.json()["detail"]

    from hollywool.integrations.civitai.mapping import catalog_type_for

    assert catalog_type_for("PixelWave 1") == "pixelwave"


def test_every_tiny_test_model_belongs_to_a_registered_family():
    """The test kit names each tiny model's family by its canonical id (nothing else maps them)."""
    from hollywool.testkit.tiny_models import FAMILIES as TINY

    for name, spec in TINY.items():
        family = families.family(spec.model_type)
        assert family is not None and family.type == spec.model_type, name
        assert spec.pipeline_class in family.tasks.values(), name
