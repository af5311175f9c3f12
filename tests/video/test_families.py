"""Every video family, through the API, produces a playable MP4 (read back with PyAV)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from hollywool.media.video import probe, read_audio, read_frames
from hollywool.models.families import video_family
from hollywool.testkit.tiny_models import FAMILIES
from tests.kit.studio import FAMILY_TYPES
from tests.video.conftest import asset_path, png_b64, run_job, tiny_body

CASES = [
    ("cogvideox", "video"),
    ("ltx2", "video"),
    ("wan", "video"),  # Wan 2.2 A14B form: two experts split by boundary_ratio
    ("mochi", "video"),
    ("cogvideox_i2v", "i2v"),
    ("wan_i2v", "i2v"),
    ("svd", "i2v"),
    ("ltx2", "i2v"),  # LTX-2 from an image
]


@pytest.mark.parametrize(("family", "kind"), CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_family_makes_a_playable_mp4(family, kind, register_models, make_client, studio_dirs):
    register_models({"tiny": family})
    client = make_client()
    body = tiny_body(family, "tiny")
    if kind == "i2v":
        body["reference_images"] = [{"image_base64": png_b64()}]
    job = run_job(client, kind, body)

    assert len(job["videos"]) == 1
    asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    info = probe(path)
    call = FAMILIES[family].call
    fps = call.get("frame_rate") or video_family(FAMILY_TYPES[family]).rules.fps
    assert info.video_codec == "h264"
    assert (info.frame_count, info.width, info.height) == (call["num_frames"], call["width"], call["height"])
    assert info.fps == pytest.approx(fps)
    assert len(list(read_frames(path))) == call["num_frames"]
    assert info.has_audio is (family == "ltx2")
    if family == "ltx2":
        assert info.audio_codec == "aac"
        samples, rate = read_audio(path)
        assert rate == 16000 and samples.shape[1] > 0
    # Metadata stored with the asset, and a poster image.
    assert asset["kind"] == "video" and asset["mime"] == "video/mp4"
    assert (asset["frame_count"], asset["fps"], asset["has_audio"]) == (call["num_frames"], fps, family == "ltx2")
    assert asset["params"]["steps"] == 2 and asset["params"]["seed"] == 7 and asset["seed"] == 7
    assert asset["thumbnail_url"] and client.get(asset["thumbnail_url"]).status_code == 200


def test_wan22_runs_both_experts(register_models, make_client, monkeypatch):
    from diffusers import WanTransformer3DModel

    used: list[int] = []
    forward = WanTransformer3DModel.forward

    def counting(self, *args, **kwargs):
        used.append(id(self))
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(WanTransformer3DModel, "forward", counting)
    register_models({"tiny-wan": "wan"})
    client = make_client()
    run_job(client, "video", tiny_body("wan", "tiny-wan", steps=4))
    assert len(set(used)) == 2  # the high-noise and the low-noise expert each ran


def test_i2v_from_an_image_asset_starts_from_that_image(register_models, make_client, studio_of):
    """An image already in the gallery as the reference; SVD keeps the first frame close to it."""
    register_models({"tiny-svd": "svd"})
    client = make_client()
    studio = studio_of(client)
    image = studio.assets.save_image(Image.new("RGB", (64, 64), (20, 200, 40)), params={})
    job = run_job(
        client,
        "i2v",
        tiny_body(
            "svd", "tiny-svd", prompt="", reference_images=[{"image_asset_id": image.id}, {"image_base64": png_b64()}]
        ),
    )
    assert any("ignored" in n for n in job["params"]["notes"])  # SVD uses one image: the second is noted
    first, second = job["params"]["reference_images"]
    assert first["image_asset_id"] == image.id
    assert second["upload_id"] and second["image_base64"] is None  # the upload is stored once, not in the job
    assert job["videos"]


def test_decoding_saved_latents_equals_the_pipeline_own_decode(tiny_model):
    """Our per-family decode of output_type="latent" is pixel-identical to each pipeline's own."""
    from diffusers import DiffusionPipeline

    for family in ("cogvideox", "ltx2", "wan", "mochi", "cogvideox_i2v", "wan_i2v", "svd"):
        spec, adapter = FAMILIES[family], video_family(FAMILY_TYPES[family])
        pipe = DiffusionPipeline.from_pretrained(tiny_model(family))
        pipe.set_progress_bar_config(disable=True)
        kwargs = {**spec.call, "num_inference_steps": 2}
        if spec.takes_prompt:
            kwargs["prompt"] = "a cat"
        if spec.takes_image:
            kwargs["image"] = Image.new("RGB", (spec.call["width"], spec.call["height"]), (200, 90, 30))
        own = pipe(**kwargs, generator=torch.Generator().manual_seed(0), output_type="np")
        latents = adapter.latents_of(pipe(**kwargs, generator=torch.Generator().manual_seed(0), output_type="latent"))
        with torch.no_grad():
            ours = adapter.decode(pipe, latents, {"num_frames": spec.call["num_frames"]}, False)
        np.testing.assert_allclose(np.asarray(ours.frames), np.asarray(own.frames), atol=1e-5, err_msg=family)
        if family == "ltx2":
            np.testing.assert_allclose(ours.audio, own.audio[0].float().numpy(), atol=1e-5)
