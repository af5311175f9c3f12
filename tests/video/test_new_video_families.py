"""The 2026 video families through the API: Wan 2.2 TI2V-5B, LTX-2.3 and HunyuanVideo 1.5.

Each tiny model is registered as a local model (config.yaml), a job is POSTed, and the MP4 is read back:
its frame count, size and rate, its audio (LTX-2.3), and the live previews sent while it sampled. The
legacy families (SD3, Mochi, CogVideoX, SVD) are listed after these in the models API.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from hollywool.media.video import probe, read_audio, read_frames
from hollywool.testkit.tiny_models import FAMILIES
from tests.video.conftest import asset_path, png_b64, run_job, tiny_body, wait_job

CASES = [
    ("wan_5b", "video"),
    ("wan_5b", "i2v"),  # the same folder, from an image
    ("ltx23", "video"),
    ("ltx23", "i2v"),
    ("hunyuanvideo15", "video"),
    ("hunyuanvideo15_i2v", "i2v"),
]


def _body(family: str, kind: str, image: str | None = None, **overrides) -> dict:
    call = FAMILIES[family].call
    if "width" in call:
        body = tiny_body(family, "tiny", steps=4, **overrides)
    else:  # HunyuanVideo 1.5 I2V sizes itself from the image
        body = {"model": "tiny", "prompt": "a robot dancing", "num_frames": call["num_frames"], "steps": 4, "seed": 7}
        body.update(overrides)
    if kind == "i2v":
        body["reference_images"] = [{"image_base64": image or png_b64()}]
    return body


def _listen(client) -> tuple[list, object]:
    events: list = []

    def listen(event):
        if event.type == "job.preview":
            events.append(event)

    client.app.state.studio.bus.add_listener(listen)
    return events, listen


@pytest.mark.parametrize(("family", "kind"), CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_new_family_makes_the_video_it_was_asked_for(family, kind, register_models, make_client, studio_dirs):
    register_models({"tiny": family})
    client = make_client()
    events, listen = _listen(client)
    try:
        job = run_job(client, kind, _body(family, kind))
    finally:
        client.app.state.studio.bus.remove_listener(listen)

    params = job["params"]
    frames = FAMILIES[family].call["num_frames"]
    asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    info = probe(path)
    assert (info.frame_count, info.width, info.height) == (frames, params["width"], params["height"])
    assert len(list(read_frames(path))) == frames
    if "width" in FAMILIES[family].call:
        assert (params["width"], params["height"]) == (FAMILIES[family].call["width"], FAMILIES[family].call["height"])
    assert info.fps == pytest.approx(24.0) and asset["fps"] == pytest.approx(24.0)
    assert info.has_audio is (family == "ltx23")
    if family == "ltx23":  # LTX-2.3's vocoder extends the audio to 48 kHz
        samples, rate = read_audio(path)
        assert rate == 48000 and samples.shape[1] > 0

    # Live previews: steps 1, 3 and 4 of 4, each a JPEG at the video's aspect ratio.
    mine = [e for e in events if e.job_id == job["id"]]
    assert [e.step for e in mine] == [1, 3, 4]
    for event in mine:
        image = Image.open(io.BytesIO(base64.b64decode(event.image.split(",", 1)[1])))
        assert image.format == "JPEG"
        assert image.width * params["height"] == image.height * params["width"]
        assert np.asarray(image).std() > 0  # the latents, not a blank frame


@pytest.mark.parametrize("family", ["wan_5b", "ltx23", "hunyuanvideo15_i2v"])
def test_image_to_video_starts_from_the_image(family, register_models, make_client, studio_dirs):
    """Two images, same seed and prompt: different videos (the image reaches the model)."""
    register_models({"tiny": family})
    client = make_client()
    videos = []
    for color in ((230, 30, 30), (20, 40, 230)):
        job = run_job(client, "i2v", _body(family, "i2v", png_b64((48, 48), color)))
        _, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
        videos.append(np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(path)]))
    assert np.abs(videos[0] - videos[1]).mean() > 0.5


def test_hunyuanvideo15_i2v_takes_the_aspect_bucket_of_the_image(register_models, make_client, studio_dirs):
    """The pipeline picks its size from the image: a wide request is answered with the bucket, said in notes."""
    register_models({"tiny": "hunyuanvideo15_i2v"})
    client = make_client()
    job = run_job(client, "i2v", _body("hunyuanvideo15_i2v", "i2v", png_b64((96, 32)), width=64, height=32))
    params = job["params"]
    assert (params["width"], params["height"]) != (64, 32)
    assert any("size bucket" in note for note in params["notes"])
    _, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    info = probe(path)
    assert (info.width, info.height) == (params["width"], params["height"])


def test_ltx23_places_keyframes(register_models, make_client, studio_dirs):
    """LTX-2.3 keyframes (LTX2ConditionPipeline): a first and a last image; the last moves to a latent frame."""
    register_models({"tiny": "ltx23"})
    client = make_client()
    body = _body("ltx23", "i2v")
    body["reference_images"] = [{"image_base64": png_b64((64, 64), c)} for c in ((230, 30, 30), (20, 40, 230))]
    body["reference_frame_indices"] = [0, -1]
    job = run_job(client, "i2v", body)
    assert job["params"]["reference_frame_indices"] == [0, 9]  # frame 16 of 17 -> latent frame 2 starts at 9
    assert any("keyframe 1 is placed at frame 9" in note for note in job["params"]["notes"])
    _, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    assert probe(path).frame_count == 17


def test_video_models_api_tells_each_form_apart(register_models, make_client):
    register_models(
        {
            "tiny-5b": "wan_5b",
            "tiny-a14b": "wan",
            "tiny-ltx23": "ltx23",
            "tiny-ltx2": "ltx2",
            "tiny-hy-t2v": "hunyuanvideo15",
            "tiny-hy-i2v": "hunyuanvideo15_i2v",
        }
    )
    client = make_client()
    models = {m["id"]: m for m in client.get("/api/video/models").json()}

    assert models["tiny-5b"]["variant"] == "ti2v-5b" and models["tiny-5b"]["family"] == "Wan 2.2 TI2V-5B"
    assert models["tiny-5b"]["image_to_video"] and models["tiny-5b"]["fps"] == 24.0
    assert models["tiny-5b"]["size_multiple"] == 32 and models["tiny-5b"]["frames"]["max"] == 121
    assert models["tiny-a14b"]["variant"] is None and not models["tiny-a14b"]["image_to_video"]
    assert models["tiny-ltx23"]["family"] == "LTX-2.3" and models["tiny-ltx23"]["keyframes"]
    assert models["tiny-ltx2"]["family"] == "LTX-2"
    assert models["tiny-hy-t2v"]["text_to_video"] and not models["tiny-hy-t2v"]["image_to_video"]
    assert models["tiny-hy-i2v"]["image_to_video"] and not models["tiny-hy-i2v"]["text_to_video"]

    # A model that cannot do the kind of job is refused at submit time, naming those that can.
    r = client.post("/api/i2v/jobs", json={**_body("hunyuanvideo15", "i2v"), "model": "tiny-hy-t2v"})
    assert r.status_code == 404 and "tiny-hy-i2v" in r.json()["detail"] and "tiny-5b" in r.json()["detail"]
    r = client.post("/api/video/jobs", json={**tiny_body("hunyuanvideo15", "tiny-hy-i2v")})
    assert r.status_code == 404 and "tiny-hy-t2v" in r.json()["detail"]


def test_shipped_entries_of_the_new_families(make_client):
    """The catalogue's entries name their form before any file is downloaded (extra.variant)."""
    client = make_client()
    models = {m["id"]: m for m in client.get("/api/video/models").json()}
    assert models["wan22-ti2v-5b"]["variant"] == "ti2v-5b" and models["wan22-ti2v-5b"]["image_to_video"]
    assert (models["wan22-ti2v-5b"]["default_width"], models["wan22-ti2v-5b"]["default_height"]) == (1280, 704)
    assert models["wan22-ti2v-5b"]["frames"]["default"] == 121 and models["wan22-ti2v-5b"]["fps"] == 24.0
    assert models["wan22-t2v"]["variant"] is None and not models["wan22-t2v"]["image_to_video"]
    for model_id in ("ltx-2.3", "ltx-2.3-distilled"):
        assert models[model_id]["family"] == "LTX-2.3" and models[model_id]["audio"]
    assert models["ltx-2.3-distilled"]["default_steps"] == 8
    assert not models["hunyuanvideo-1.5-t2v"]["image_to_video"]
    assert not models["hunyuanvideo-1.5-i2v"]["text_to_video"]


def test_legacy_families_are_grouped_and_listed_last(make_client):
    client = make_client()
    for kind in ("video", "image", None):
        listed = client.get("/api/models", params={"kind": kind} if kind else {}).json()["models"]
        local = [m for m in listed if "legacy" in m]
        flags = [m["legacy"] for m in local]
        assert flags == sorted(flags), kind  # every current family before every legacy one
    videos = {m["id"]: m for m in client.get("/api/models", params={"kind": "video"}).json()["models"]}
    for model_id in ("cogvideox-5b", "cogvideox-5b-i2v", "mochi-1", "svd-xt"):
        assert videos[model_id]["legacy"] is True, model_id
    for model_id in ("wan22-ti2v-5b", "ltx-2.3", "hunyuanvideo-1.5-t2v", "wan22-t2v", "ltx-2"):
        assert videos[model_id]["legacy"] is False, model_id
    assert (videos["wan22-ti2v-5b"]["family"], videos["wan22-t2v"]["family"]) == ("Wan 2.2 TI2V-5B", "Wan")
    assert videos["ltx-2.3-distilled"]["family"] == "LTX-2.3"
    images = {m["id"]: m for m in client.get("/api/models", params={"kind": "image"}).json()["models"]}
    assert images["sd3-medium"]["legacy"] is True and images["flux-dev"]["legacy"] is False

    video_models = client.get("/api/video/models").json()
    flags = [m["legacy"] for m in video_models]
    assert flags == sorted(flags) and True in flags
    families = {f["id"]: f["legacy"] for f in client.get("/api/models/families").json()}
    assert {t for t, legacy in families.items() if legacy} == {"sd3", "video", "video-i2v", "mochi", "svd"}


def test_hunyuanvideo15_guidance_cancel_and_restore(register_models, make_client, studio_dirs):
    """HunyuanVideo 1.5 has no step callback and no guidance_scale argument: the job's guidance reaches its
    guider, a cancel stops it within a step, and the loaded pipeline keeps its own guider and scheduler."""
    from tests.kit.studio import wait_for

    register_models({"tiny": "hunyuanvideo15"})
    client = make_client()
    videos = []
    for guidance in (1.0, 4.0):
        job = run_job(client, "video", tiny_body("hunyuanvideo15", "tiny", guidance_scale=guidance))
        _, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
        videos.append(np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(path)]))
    assert np.abs(videos[0] - videos[1]).mean() > 0.5

    job_id = client.post("/api/video/jobs", json=tiny_body("hunyuanvideo15", "tiny", steps=200)).json()["job_id"]
    wait_for(lambda: client.get(f"/api/video/jobs/{job_id}").json()["step"] >= 1, what="a sampling step")
    assert client.post(f"/api/video/jobs/{job_id}/cancel").status_code == 200
    job = wait_job(client, "video", job_id)
    assert job["status"] == "cancelled" and job["step"] < 200

    pipe = client.app.state.studio.models.cache.peek("tiny").pipe
    assert pipe.guider.guidance_scale == 6.0  # the model's own, set again after each job
    assert "step" not in vars(pipe.scheduler)  # the class's step method again
