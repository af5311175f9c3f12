"""LoRA presets: a family's distillation LoRA applied with the steps and guidance it was made for."""

from __future__ import annotations

import dataclasses

import pytest

from hollywool.models import families
from hollywool.models.families import LoraPreset, PresetLora
from tests.image.conftest import mean_abs_diff, pixels, run, submit

PRESET = LoraPreset(
    id="turbo-3",
    label="Turbo 3-step",
    loras=(PresetLora(lora_id="turbo-sd15", hub_repo="example/turbo-lora", hub_file="turbo.safetensors"),),
    steps=3,
    guidance=1.5,
    source="test",
)


@pytest.fixture
def preset_client(register_models, make_client, tmp_path):
    """SD 1.x declaring a preset, as a family module does (registered again with the preset added)."""
    sd = families.family("sd")
    assert sd is not None
    families.REGISTRY.register(dataclasses.replace(sd, lora_presets=(PRESET,)))
    register_models({"tiny-sd": "sd15"})
    lora_dir = tmp_path / "loras"
    lora_dir.mkdir()
    yield make_client(lora_dirs=(lora_dir,), civitai_dir=tmp_path / "civitai"), lora_dir
    families.REGISTRY.register(sd)


def test_preset_is_listed_and_its_missing_file_is_a_422_saying_where_to_get_it(preset_client):
    client, _lora_dir = preset_client
    model = next(m for m in client.get("/api/models").json()["models"] if m["id"] == "tiny-sd")
    assert [p["id"] for p in model["lora_presets"]] == ["turbo-3"]
    assert model["lora_presets"][0]["steps"] == 3 and model["lora_presets"][0]["guidance"] == 1.5
    family = next(f for f in client.get("/api/models/families").json() if f["id"] == "sd")
    assert family["lora_presets"][0]["loras"][0]["hub_repo"] == "example/turbo-lora"
    wan = next(f for f in client.get("/api/models/families").json() if f["id"] == "wan")
    assert wan["lora_presets"][0]["id"] == "lightx2v-4step" and wan["lora_presets"][0]["steps"] == 4
    body = {"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64}
    r = client.post("/api/jobs", json={**body, "lora_preset": "turbo-3"})
    assert r.status_code == 422 and r.json()["field"] == "lora_preset"
    assert "hf download example/turbo-lora turbo.safetensors" in r.json()["detail"]
    r = client.post("/api/jobs", json={**body, "lora_preset": "nope"})
    assert r.status_code == 422 and "turbo-3" in r.json()["detail"]


def test_preset_sets_steps_and_guidance_and_applies_its_lora(preset_client, tiny_model):
    from hollywool.testkit.loras import write_kohya_lora

    client, lora_dir = preset_client
    write_kohya_lora(tiny_model("sd15"), lora_dir / "turbo-sd15.safetensors", seed=9)
    plain = run(client, seed=3, steps=3, guidance_scale=1.5)
    job = run(client, seed=3, steps=20, lora_preset="turbo-3")
    assert job["params"]["steps"] == 3 and job["params"]["guidance_scale"] == 1.5
    assert job["params"]["lora_preset"] == "turbo-3"
    assert any("Turbo 3-step runs 3 steps" in n for n in job["params"]["notes"])
    assert mean_abs_diff(pixels(client, plain), pixels(client, job)) > 0.5
    # Left open, steps and guidance come from the preset without a note.
    quiet = run(client, seed=3, steps=None, lora_preset="turbo-3")
    assert quiet["params"]["steps"] == 3 and not quiet["params"]["notes"]
    assert pixels(client, quiet) == pixels(client, job)
    assert submit(client, lora_preset="turbo-3")  # accepted


LIGHTNING_8 = "Qwen-Image-Lightning-8steps-V1.1"


@pytest.fixture
def qwen_client(register_models, make_client, tiny_model, tmp_path):
    """Tiny Qwen-Image with the 8-step Lightning LoRA in the LoRA folder under its published name (the 4-step one
    missing), as a user who downloaded one of the two has it."""
    from hollywool.testkit.transformer_loras import write_transformer_lora

    lora_dir = tmp_path / "loras"
    targets = ["to_q", "to_k", "to_v", "to_out.0", "img_mlp.net.2", "txt_mlp.net.2"]
    write_transformer_lora(tiny_model("qwen_image"), lora_dir / LIGHTNING_8, targets, seed=11, std=0.5)
    register_models({"tiny-qwen": "qwen_image"})
    return make_client(lora_dirs=(lora_dir,), civitai_dir=tmp_path / "civitai")


def test_qwen_image_lightning_presets_set_their_steps_and_no_cfg(qwen_client):
    client = qwen_client
    model = next(m for m in client.get("/api/models").json()["models"] if m["id"] == "tiny-qwen")
    presets = {p["id"]: p for p in model["lora_presets"]}
    assert list(presets) == ["lightning-8step", "lightning-4step"]
    assert (presets["lightning-8step"]["steps"], presets["lightning-8step"]["guidance"]) == (8, 1.0)
    assert (presets["lightning-4step"]["steps"], presets["lightning-4step"]["guidance"]) == (4, 1.0)
    body = {"model": "tiny-qwen", "width": 64, "height": 64}
    r = client.post("/api/jobs", json={"prompt": "x", **body, "lora_preset": "lightning-4step"})
    assert r.status_code == 422 and r.json()["field"] == "lora_preset"
    assert "hf download lightx2v/Qwen-Image-Lightning Qwen-Image-Lightning-4steps-V1.0.safetensors" in r.text

    plain = run(client, **body, seed=3, steps=8, guidance_scale=1.0)
    job = run(client, **body, seed=3, steps=None, guidance_scale=None, lora_preset="lightning-8step")
    assert job["params"]["steps"] == 8 and job["params"]["guidance_scale"] == 1.0
    assert mean_abs_diff(pixels(client, plain), pixels(client, job)) > 0.5
