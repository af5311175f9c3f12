"""Video jobs resolve {a|b} alternatives and __wildcards__ from their seed, and get A1111 weights stripped."""

from __future__ import annotations

import numpy as np

from hollywool.media.video import read_frames
from tests.video.conftest import asset_path, run_job, tiny_body


def _frames(client, studio_dirs, job: dict) -> np.ndarray:
    _, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    return np.stack(list(read_frames(path)))


def test_a_video_prompt_resolves_its_wildcards_from_the_seed_and_records_both(
    register_models, make_client, studio_dirs
):
    register_models({"tiny-cog": "cogvideox"})
    client = make_client()
    folder = studio_dirs["data_dir"] / "wildcards"
    folder.mkdir(parents=True)
    (folder / "weather.txt").write_text("rain\nsnow\n")
    template = "a {robot|dancer} in the __weather__"
    job = run_job(client, "video", tiny_body("cogvideox", "tiny-cog", prompt=template, seed=7))
    resolved = job["params"]["resolved_prompt"]
    assert resolved.split()[1] in ("robot", "dancer") and resolved.split()[-1] in ("rain", "snow")
    asset, _ = asset_path(client, studio_dirs, job["videos"][0]["id"])
    assert asset["prompt"] == resolved
    assert asset["params"]["prompt"] == template and asset["params"]["resolved_prompt"] == resolved
    again = run_job(client, "video", tiny_body("cogvideox", "tiny-cog", prompt=template, seed=7))
    assert again["params"]["resolved_prompt"] == resolved

    r = client.post("/api/video/jobs", json=tiny_body("cogvideox", "tiny-cog", prompt="a __fog__ street"))
    assert r.status_code == 422 and r.json()["field"] == "prompt" and "__fog__" in r.json()["detail"], r.text


def test_a_video_model_gets_the_prompt_without_weight_syntax(register_models, make_client, studio_dirs):
    register_models({"tiny-cog": "cogvideox"})
    client = make_client()
    # Short prompts: the tiny model reads 16 tokens.
    # `resolved_prompt` is the studio's to set: a request's own is replaced.
    body = tiny_body("cogvideox", "tiny-cog", prompt="a robot in rain", resolved_prompt="a cat")
    plain = run_job(client, "video", body)
    assert plain["params"]["resolved_prompt"] is None
    weighted = run_job(client, "video", tiny_body("cogvideox", "tiny-cog", prompt="a (robot:1.3) [in rain]"))
    assert np.array_equal(_frames(client, studio_dirs, weighted), _frames(client, studio_dirs, plain))
    other = run_job(client, "video", tiny_body("cogvideox", "tiny-cog", prompt="a robot in snow"))
    assert not np.array_equal(_frames(client, studio_dirs, other), _frames(client, studio_dirs, plain))
