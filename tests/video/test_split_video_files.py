"""Video models from the files ComfyUI and Civitai users hold: Wan 2.2 TI2V-5B as split files (the diffusion model
in Wan's original names under ComfyUI's prefix, UMT5, Wan 2.2's VAE in its original names; written by
hollywool/testkit/split_layouts.py) makes the same video as its diffusers folder, from a prompt and from an image;
an A14B diffusion-model file is refused with what to use instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hollywool.media.video import read_frames
from tests.image.conftest import add_user_models
from tests.video.conftest import asset_path, png_b64, run_job, tiny_body


@pytest.fixture(scope="module")
def wan_files(tiny_model, tmp_path_factory) -> tuple[Path, Path, Path]:
    from hollywool.testkit.split_layouts import write_wan22_split_files

    return write_wan22_split_files(tiny_model("wan_5b"), tmp_path_factory.mktemp("comfy-wan") / "models")


def _frames(client, studio_dirs, job) -> np.ndarray:
    _asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    return np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(path)])


@pytest.mark.parametrize("kind", ["video", "i2v"])
def test_wan_5b_split_files_make_the_same_video_as_its_folder(kind, register_models, make_client, studio_dirs,
                                                              tiny_model, wan_files):  # fmt: skip
    model, text, vae = wan_files
    config = register_models({"tiny": "wan_5b"})
    # No `type` and no `variant`: the file's keys say Wan, its 48 input channels the TI2V-5B. The tiny folder stands
    # in for the shipped config (its JSON and tokenizer), as the real files use the shipped one.
    add_user_models(config, {"split": {"name": "Split Wan", "path": str(model), "text_encoders": [str(text)],
                                       "vae": str(vae), "config": str(tiny_model("wan_5b")), "category": "video",
                                       "default_steps": 2, "default_guidance": 5.0, "memory_gb": 0.1}})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/video/models").json()}["split"]
    assert listed["type"] == "wan" and listed["variant"] == "ti2v-5b" and listed["image_to_video"]
    extra = {"reference_images": [{"image_base64": png_b64()}]} if kind == "i2v" else {}
    split = run_job(client, kind, tiny_body("wan_5b", "split", **extra))
    folder = run_job(client, kind, tiny_body("wan_5b", "tiny", **extra))
    a, b = _frames(client, studio_dirs, split), _frames(client, studio_dirs, folder)
    assert a.shape == b.shape
    # The first frame is the same; later ones differ a little between any two loaded copies of one model in one
    # studio (measured: 0.56 to 2 of 255 for two entries of the same folder), far below other weights' (about 40).
    assert float(np.abs(a[0] - b[0]).mean()) < 1.0
    assert float(np.abs(a - b).mean()) < 4.0


def test_wan_5b_split_files_are_the_folders_pipeline(tiny_model, wan_files, tmp_path):
    """Through the loading code a job uses: the same weights and the same latents for a fixed seed, exactly."""
    import torch
    from diffusers import WanPipeline

    from hollywool.models.split_files import ModelFiles, load_files

    model, text, vae = wan_files
    folder = tiny_model("wan_5b")
    pipe, _keys = load_files(ModelFiles(model, (text,), vae, folder), "wan", tmp_path, torch.float32, keep_fp8=False)
    ref = WanPipeline.from_pretrained(folder)
    for name in ("transformer", "vae", "text_encoder"):
        mine, theirs = getattr(pipe, name).state_dict(), getattr(ref, name).state_dict()
        assert mine.keys() == theirs.keys(), name
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs), name
    call = {"prompt": "a robot", "height": 32, "width": 32, "num_frames": 9, "num_inference_steps": 2,
            "output_type": "latent"}  # fmt: skip
    latents = [p(generator=torch.Generator().manual_seed(7), return_dict=False, **call)[0] for p in (pipe, ref)]
    assert torch.equal(latents[0], latents[1])


def test_a_wan_a14b_file_is_refused_naming_what_to_use(register_models, make_client, tiny_model, tmp_path):
    from hollywool.testkit.original_layouts import write_wan_original

    a14b = write_wan_original(tiny_model("wan"), tmp_path / "wan2.2_t2v_high_noise_14B.safetensors", comfy_prefix=True)
    config = register_models({"tiny": "wan_5b"})
    add_user_models(config, {"a14b": {"name": "A14B", "path": str(a14b), "category": "video", "default_steps": 2}})
    client = make_client()
    jobs_before = client.get("/api/jobs").json()
    r = client.post("/api/video/jobs", json=tiny_body("wan_5b", "a14b"))
    # Refused at submit (no job queued to fail later), naming the field and what to use instead.
    assert r.status_code == 422 and r.json()["field"] == "model", r.text
    message = r.json()["detail"]
    assert "A14B cannot be loaded" in message and "two diffusion models" in message, message
    assert "Wan-AI/Wan2.2-T2V-A14B-Diffusers" in message, message
    assert client.get("/api/jobs").json() == jobs_before
