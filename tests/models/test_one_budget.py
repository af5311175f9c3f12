"""One cache under one budget: pipelines and upscalers alike, and components two models share count once."""

from __future__ import annotations

import shutil

from PIL import Image

from hollywool.testkit.upscalers import write_realesrgan
from tests.image.conftest import add_user_models, run
from tests.video.conftest import run_job


def _copy_sharing(folder, out, shared: str):  # noqa: ANN001, ANN202
    """A second model folder with its own files except `shared`, which links to the first's."""
    shutil.copytree(folder, out, ignore=shutil.ignore_patterns(shared))
    (out / shared).symlink_to(folder / shared, target_is_directory=True)
    return out


def test_a_text_encoder_two_models_hold_is_loaded_once_and_counted_once(
    register_models, make_client, tiny_model, tmp_path
):
    config = register_models({"tiny-sd": "sd15"})
    other = _copy_sharing(tiny_model("sd15"), tmp_path / "sd-finetune", "text_encoder")
    add_user_models(config, {"sd-finetune": {"name": "Fine-tune", "path": str(other), "type": "sd",
                                             "default_steps": 2, "memory_gb": 0.1}})  # fmt: skip
    client = make_client()
    studio = client.app.state.studio

    run(client, model="tiny-sd")
    alone = client.get("/api/models/cache-status").json()["used_bytes"]
    run(client, model="sd-finetune")
    first, second = studio.models.cache.peek("tiny-sd"), studio.models.cache.peek("sd-finetune")
    assert second.pipe.text_encoder is first.pipe.text_encoder
    assert second.pipe.unet is not first.pipe.unet  # its own files: its own weights

    status = client.get("/api/models/cache-status").json()
    by_id = {m["model_id"]: m for m in status["models"]}
    assert by_id["sd-finetune"]["shared_components"] == ["text_encoder"]
    encoder = sum(p.numel() * p.element_size() for p in first.pipe.text_encoder.parameters())
    encoder += sum(b.numel() * b.element_size() for b in first.pipe.text_encoder.buffers())
    assert status["used_bytes"] == 2 * alone - encoder  # not twice

    # Unloading the first leaves the encoder with the second, which now counts it.
    assert client.post("/api/models/tiny-sd/unload").json()["unloaded"] == ["tiny-sd"]
    status = client.get("/api/models/cache-status").json()
    assert status["used_bytes"] == alone and status["models"][0]["shared_components"] == []
    assert len(run(client, model="sd-finetune")["images"]) == 1


def test_upscalers_load_under_the_same_budget_as_pipelines(register_models, make_client, studio_dirs):
    register_models({"tiny-sd": "sd15"})
    write_realesrgan(studio_dirs["data_dir"] / "upscalers" / "tiny-x2.pth", scale=2)
    client = make_client(memory_budget_gb=1e-6)  # room for one model at a time
    studio = client.app.state.studio

    run(client, model="tiny-sd")
    assert studio.models.loaded_models() == ["tiny-sd"]
    image = studio.assets.save_image(Image.new("RGB", (16, 16), (10, 120, 240)), params={}, prompt="blue")
    run_job(client, "upscale", {"asset_id": image.id, "model": "tiny-x2", "scale": 2})

    models = client.get("/api/models/cache-status").json()["models"]
    assert [(m["model_id"], m["kind"]) for m in models] == [("upscaler:tiny-x2", "upscaler")]
    assert studio.models.loaded_models() == []  # the upscaler took the pipeline's place
    assert client.get("/api/health").json()["loaded_models"] == []
    run(client, model="tiny-sd")
    assert studio.models.loaded_models() == ["tiny-sd"] and studio.models.cache.peek("upscaler:tiny-x2") is None
