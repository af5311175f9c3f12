"""Upscaling images and videos with spandrel models: size doubled, audio kept, tiles stitched."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hollywool.media.video import probe, read_audio
from hollywool.testkit.upscalers import write_realesrgan
from tests.video.conftest import asset_path, run_job, tiny_body, wait_job


@pytest.fixture
def upscale_client(register_models, make_client, studio_dirs):
    register_models({"tiny-ltx": "ltx2"})
    write_realesrgan(studio_dirs["data_dir"] / "upscalers" / "tiny-x2.pth", scale=2)
    return make_client()


def test_upscale_models_list_the_catalogue_and_the_folder(upscale_client):
    models = {m["id"]: m for m in upscale_client.get("/api/upscale/models").json()["models"]}
    assert {"realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3"} <= set(models)
    assert models["realesrgan-x4plus"]["url"].startswith("https://github.com/xinntao/Real-ESRGAN/releases/")
    assert models["realesrgan-x4plus"]["available"] is False
    assert models["tiny-x2"] == {**models["tiny-x2"], "kind": "user", "source": "folder", "available": True}


def test_upscaling_a_video_doubles_its_size_and_keeps_its_audio(upscale_client, studio_dirs):
    client = upscale_client
    video = run_job(client, "video", tiny_body("ltx2", "tiny-ltx"))
    source, source_path = asset_path(client, studio_dirs, video["videos"][0]["id"])
    job = run_job(client, "upscale", {"asset_id": source["id"], "model": "tiny-x2", "scale": 2, "tile": 24})

    asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    before, after = probe(source_path), probe(path)
    assert (after.width, after.height) == (2 * before.width, 2 * before.height) == (64, 64)
    assert after.frame_count == before.frame_count and after.fps == pytest.approx(before.fps)
    assert after.has_audio and after.audio_codec == "aac"
    audio_before, audio_after = read_audio(source_path)[0], read_audio(path)[0]
    assert abs(audio_after.shape[1] - audio_before.shape[1]) <= 1024
    assert asset["has_audio"] and asset["params"]["source_asset_id"] == source["id"]
    assert asset["prompt"] == source["prompt"]


def test_upscaling_an_image_4x_with_a_2x_model_runs_it_twice(upscale_client, studio_dirs):
    client = upscale_client
    studio = client.app.state.studio
    image = studio.assets.save_image(Image.new("RGB", (20, 12), (10, 120, 240)), params={}, prompt="blue")
    job = run_job(client, "upscale", {"asset_id": image.id, "model": "tiny-x2", "scale": 4})
    asset, path = asset_path(client, studio_dirs, job["images"][0]["id"])
    with Image.open(path) as out:
        assert out.size == (80, 48)
    assert asset["kind"] == "image" and asset["params"]["model_scale"] == 2


def test_tiles_are_stitched_without_seams():
    """Tiled and whole-frame results agree away from the receptive-field border of each tile."""
    import spandrel

    from hollywool.engines.upscale.tiles import upscale_array

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (40, 56, 3), dtype=np.uint8)
    state = __import__("hollywool.testkit.upscalers", fromlist=["x"]).rrdbnet_state_dict(2)
    model = spandrel.ModelLoader().load_from_state_dict(state).eval()
    whole = upscale_array(model, frame, tile=4096)
    tiled = upscale_array(model, frame, tile=24, overlap=8)
    assert whole.shape == tiled.shape == (80, 112, 3)
    assert np.abs(whole.astype(int) - tiled.astype(int)).mean() < 8


def test_upscale_rejects_unknown_assets_and_models(upscale_client):
    r = upscale_client.post("/api/upscale/jobs", json={"asset_id": "missing", "model": "tiny-x2"})
    assert r.status_code == 422 and r.json()["field"] == "asset_id"
    studio = upscale_client.app.state.studio
    image = studio.assets.save_image(Image.new("RGB", (8, 8)), params={})
    r = upscale_client.post("/api/upscale/jobs", json={"asset_id": image.id, "model": "nope"})
    assert r.status_code == 404 and "tiny-x2" in r.json()["detail"]
    r = upscale_client.post("/api/upscale/jobs", json={"asset_id": image.id, "model": "tiny-x2", "scale": 3})
    assert r.status_code == 422


def test_a_file_spandrel_does_not_recognise_fails_the_job_clearly(upscale_client, studio_dirs):
    (studio_dirs["data_dir"] / "upscalers" / "junk.pth").write_bytes(b"not a model")
    studio = upscale_client.app.state.studio
    image = studio.assets.save_image(Image.new("RGB", (8, 8)), params={})
    r = upscale_client.post("/api/upscale/jobs", json={"asset_id": image.id, "model": "junk"})
    job = wait_job(upscale_client, "upscale", r.json()["job_id"])
    assert job["status"] == "failed" and "spandrel" in job["error"]
