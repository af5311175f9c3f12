"""Civitai / ComfyUI LoRA layouts change the image through the API; a LoRA of another family is a 422."""

from __future__ import annotations

import pytest

from tests.image.conftest import mean_abs_diff, pixels, run


@pytest.fixture(scope="module")
def layout_dir(tmp_path_factory, tiny_model):
    from hollywool.testkit.loras import write_flux_lora, write_unet_lora

    root = tmp_path_factory.mktemp("layout-loras")
    write_unet_lora(tiny_model("sd15"), root / "comfy-sd15.safetensors", layout="comfyui", seed=3)
    write_unet_lora(tiny_model("sdxl"), root / "kohya-sdxl.safetensors", layout="kohya", seed=4)
    write_unet_lora(tiny_model("sdxl"), root / "comfy-sdxl.safetensors", layout="comfyui", seed=8)
    write_flux_lora(tiny_model("flux"), root / "kohya-flux.safetensors", layout="kohya", seed=5)
    write_flux_lora(tiny_model("flux"), root / "comfy-flux.safetensors", layout="comfyui", seed=6)
    return root


@pytest.fixture
def client(register_models, make_client, layout_dir, tmp_path):
    register_models({"tiny-sd": "sd15", "tiny-sdxl": "sdxl", "tiny-flux": "flux"})
    return make_client(lora_dirs=(layout_dir,), civitai_dir=tmp_path / "civitai")


@pytest.mark.parametrize(
    ("model", "lora"),
    [
        ("tiny-sd", "comfy-sd15"),
        ("tiny-sdxl", "kohya-sdxl"),
        ("tiny-sdxl", "comfy-sdxl"),
        ("tiny-flux", "kohya-flux"),
        ("tiny-flux", "comfy-flux"),
    ],
)
def test_kohya_and_comfyui_layouts_change_the_image(client, model, lora):
    base = pixels(client, run(client, model=model, seed=5))
    styled = pixels(client, run(client, model=model, seed=5, loras=[{"lora_id": lora, "weight": 1.0}]))
    assert mean_abs_diff(base, styled) > 0.5
    assert pixels(client, run(client, model=model, seed=5)) == base  # removed after its job


def test_a_lora_of_another_family_is_a_422_naming_both(client):
    body = {"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64}
    r = client.post("/api/jobs", json={**body, "loras": [{"lora_id": "kohya-sdxl"}]})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "loras.0.lora_id"
    assert "made for SDXL models" in r.json()["detail"] and "Stable Diffusion 1.x/2.x" in r.json()["detail"]
    r = client.post("/api/jobs", json={**body, "model": "tiny-sdxl", "loras": [{"lora_id": "comfy-flux"}]})
    assert r.status_code == 422 and "made for FLUX models" in r.json()["detail"] and "SDXL" in r.json()["detail"]
    listed = {lr["id"]: lr for lr in client.get("/api/loras").json()["loras"]}
    assert listed["comfy-flux"]["format"] == "comfyui" and listed["comfy-flux"]["base"] == "flux"
