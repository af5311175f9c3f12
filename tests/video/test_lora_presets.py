"""Wan's lightx2v preset: its LoRA (ComfyUI layout) goes into both experts and the job runs its 4 steps."""

from __future__ import annotations

import numpy as np

from tests.video.conftest import asset_path, run_job, tiny_body

LIGHTX2V = "wan2.1_t2v_14b_lora_rank64_lightx2v_4step"


def _frames(path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.int16)


def test_wan_lightx2v_preset_runs_its_steps_and_guidance(
    register_models, make_client, studio_dirs, tiny_model, tmp_path
):
    from hollywool.testkit.loras import write_wan_lora

    lora_dir = tmp_path / "loras"
    write_wan_lora(tiny_model("wan"), lora_dir / f"{LIGHTX2V}.safetensors", seed=4, std=0.5)
    register_models({"tiny-wan": "wan"})
    client = make_client(lora_dirs=(lora_dir,), civitai_dir=tmp_path / "civitai")
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
