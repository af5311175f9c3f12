"""Live previews during video sampling: the middle frame's latents projected to RGB, sent as job.preview."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import pytest
import torch
from PIL import Image

from hollywool.engines.video.previews import latents_to_preview, middle_frame
from hollywool.models.families import video_families, video_family
from tests.video.conftest import png_b64, run_job, tiny_body

CASES = [
    ("cogvideox", "video"),
    ("wan", "video"),
    ("ltx2", "video"),
    ("mochi", "video"),
    ("cogvideox_i2v", "i2v"),
    ("wan_i2v", "i2v"),
    ("ltx2", "i2v"),
    ("svd", "i2v"),
]


@pytest.mark.parametrize(("family", "kind"), CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_previews_arrive_as_job_preview_events(family, kind, register_models, make_client):
    register_models({"tiny": family})
    client = make_client()
    studio = client.app.state.studio
    previews = []

    def listen(event):
        if event.type == "job.preview":
            previews.append(event)

    studio.bus.add_listener(listen)
    body = tiny_body(family, "tiny", steps=4)
    if kind == "i2v":
        body["reference_images"] = [{"image_base64": png_b64()}]
    try:
        job = run_job(client, kind, body)
    finally:
        studio.bus.remove_listener(listen)

    mine = [e for e in previews if e.job_id == job["id"]]
    # Every second step and the last one: steps 1, 3 and 4 of 4.
    assert [e.step for e in mine] == [1, 3, 4]
    for event in mine:
        prefix = "data:image/jpeg;base64,"
        assert event.image.startswith(prefix)
        image = Image.open(io.BytesIO(base64.b64decode(event.image[len(prefix) :])))
        assert image.format == "JPEG"
        # The video's aspect ratio, not the latent grid's.
        assert image.width * body["height"] == image.height * body["width"]


def test_every_family_declares_how_its_latents_preview():
    for family in video_families().values():
        assert family.preview.layout in ("BCFHW", "BFCHW"), family.type
    assert video_family("video").preview.layout == "BFCHW"  # CogVideoX samples frames first
    assert video_family("svd").preview.layout == "BFCHW"
    assert video_family("ltx2").preview.unpack is not None  # LTX-2 samples packed tokens


def test_ltx2_packed_latents_unpack_to_the_middle_frame():
    """The pipeline's own pack/unpack helpers round-trip; the preview picks the middle latent frame."""
    from diffusers import LTX2Pipeline

    spec = video_family("ltx2").preview
    pipe = SimpleNamespace(
        _unpack_latents=LTX2Pipeline._unpack_latents,
        vae_temporal_compression_ratio=8,
        vae_spatial_compression_ratio=32,
        transformer_spatial_patch_size=1,
        transformer_temporal_patch_size=1,
    )
    meta = {"num_frames": 41, "width": 256, "height": 128}  # latent grid: 6 frames, 4 x 8
    video = torch.randn(1, 8, 6, 4, 8)
    packed = LTX2Pipeline._pack_latents(video, 1, 1)
    assert packed.shape == (1, 6 * 4 * 8, 8)
    assert torch.equal(middle_frame(spec, pipe, packed, meta), video[0, :, 3])
    image = latents_to_preview(spec, pipe, packed, meta)
    assert image.size == (256, 128)


def test_fitted_projection_is_used_when_channels_match():
    """Wan's 16 channels use the fitted table; a latent of all zeros then shows the table's bias colour."""
    spec = video_family("wan").preview
    zeros = torch.zeros(1, 16, 3, 4, 4)
    image = latents_to_preview(spec, None, zeros, {"num_frames": 9, "width": 32, "height": 32})
    expected = tuple(round((b + 1) / 2 * 255) for b in spec.rgb.bias)
    assert all(abs(a - b) <= 1 for a, b in zip(image.getpixel((5, 5)), expected, strict=True))
