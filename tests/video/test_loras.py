"""LoRAs on Wan video jobs: a user's LoRA (ComfyUI layout) and the lightx2v preset, which goes into both experts
and runs its own steps and guidance; a LoRA of another family is a 422."""

from __future__ import annotations

import numpy as np
import pytest

from tests.video.conftest import asset_path, run_job, tiny_body

LIGHTX2V = "wan2.1_t2v_14b_lora_rank64_lightx2v_4step"


def _frames(path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.int16)


@pytest.fixture
def wan_client(register_models, make_client, tiny_model, tmp_path):
    from hollywool.testkit.loras import write_flux_lora, write_wan_lora

    lora_dir = tmp_path / "loras"
    write_wan_lora(tiny_model("wan"), lora_dir / f"{LIGHTX2V}.safetensors", seed=4, std=0.5)
    write_wan_lora(tiny_model("wan"), lora_dir / "style-wan.safetensors", seed=5, std=0.5)
    write_flux_lora(tiny_model("flux"), lora_dir / "comfy-flux.safetensors", seed=6)
    register_models({"tiny-wan": "wan"})
    return make_client(lora_dirs=(lora_dir,), civitai_dir=tmp_path / "civitai")


def test_wan_lightx2v_preset_runs_its_steps_and_guidance(wan_client, studio_dirs):
    client = wan_client
    model = next(m for m in client.get("/api/video/models").json() if m["id"] == "tiny-wan")
    assert [p["id"] for p in model["lora_presets"]] == ["lightx2v-4step"]

    plain = run_job(client, "video", tiny_body("wan", "tiny-wan", steps=4, guidance_scale=1.0))
    body = tiny_body("wan", "tiny-wan", lora_preset="lightx2v-4step")
    body.pop("steps")
    job = run_job(client, "video", body)
    assert job["params"]["steps"] == 4 and job["params"]["guidance_scale"] == 1.0
    a = _frames(asset_path(client, studio_dirs, plain["result"]["asset_id"])[1])
    b = _frames(asset_path(client, studio_dirs, job["result"]["asset_id"])[1])
    assert np.abs(a - b).mean() > 0.5


def test_a_wan_lora_changes_the_video_and_a_flux_lora_is_refused(wan_client, studio_dirs):
    client = wan_client
    loras = {lr["id"]: lr for lr in client.get("/api/loras", params={"model_type": "wan"}).json()["loras"]}
    assert loras["style-wan"]["base"] == "wan" and "comfy-flux" not in loras
    plain = run_job(client, "video", tiny_body("wan", "tiny-wan"))
    styled = run_job(client, "video", tiny_body("wan", "tiny-wan", loras=[{"lora_id": "style-wan", "weight": 1.0}]))
    a = _frames(asset_path(client, studio_dirs, plain["result"]["asset_id"])[1])
    b = _frames(asset_path(client, studio_dirs, styled["result"]["asset_id"])[1])
    assert np.abs(a - b).mean() > 0.5
    r = client.post("/api/video/jobs", json=tiny_body("wan", "tiny-wan", loras=[{"lora_id": "comfy-flux"}]))
    assert r.status_code == 422 and r.json()["field"] == "loras.0.lora_id"
    assert "made for FLUX models" in r.json()["detail"] and "a Wan model" in r.json()["detail"]
