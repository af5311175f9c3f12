"""Long jobs survive: latents saved before decoding, resume by decoding only, OOM-resilient decode."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch
from fastapi.testclient import TestClient

from hollywool.engines.video import decode as latents_io
from hollywool.media.video import probe
from hollywool.models.families import video_family
from tests.kit.studio import wait_for
from tests.video.conftest import asset_path, run_job, tiny_body, wait_job


class ProcessDied(BaseException):
    """Stands in for SIGKILL: escapes every `except Exception`, so no shutdown or failure code runs."""


def _count_forwards(monkeypatch, cls) -> list[int]:
    calls: list[int] = []
    forward = cls.forward

    def counting(self, *args, **kwargs):
        calls.append(1)
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(cls, "forward", counting)
    return calls


def test_job_killed_after_sampling_resumes_by_decoding_only(register_models, studio_dirs, monkeypatch):
    from diffusers import CogVideoXTransformer3DModel

    from hollywool.app import create_app
    from hollywool.settings import Settings

    register_models({"tiny-cog": "cogvideox"})
    forwards = _count_forwards(monkeypatch, CogVideoXTransformer3DModel)
    died = threading.Event()
    real_decode = latents_io.decode_resilient

    def die_before_decoding(*args, **kwargs):
        died.set()
        raise ProcessDied()

    monkeypatch.setattr(latents_io, "decode_resilient", die_before_decoding)
    settings = Settings.from_env(**studio_dirs, allowed_hosts=("testserver",))  # the TestClient's Host

    first = TestClient(create_app(settings))
    first.__enter__()
    try:
        job_id = first.post("/api/video/jobs", json=tiny_body("cogvideox", "tiny-cog", steps=3)).json()["job_id"]
        wait_for(died.is_set, timeout=60, what="the process to die after sampling")
        stored = first.app.state.studio.store.get(job_id)
        assert stored.status == "running"  # nothing recorded the death: as after SIGKILL
        assert stored.checkpoint["latents"] == latents_io.LATENTS_FILE
        latents_file = settings.data_dir / "jobs" / job_id / latents_io.LATENTS_FILE
        assert latents_file.is_file()
        sampled = len(forwards)
        assert sampled >= 3
    finally:
        first.__exit__(None, None, None)

    monkeypatch.setattr(latents_io, "decode_resilient", real_decode)
    with TestClient(create_app(settings)) as second:  # the restart re-queues the interrupted job
        job = wait_job(second, "video", job_id)
        assert job["status"] == "completed", job["error"]
        assert job["attempts"] == 2
        assert job["result"]["resumed_from_latents"] is True
        assert len(forwards) == sampled  # sampling did not run again
        _, path = asset_path(second, studio_dirs, job["videos"][0]["id"])
        assert probe(path).frame_count == 9
        assert not latents_file.exists()  # cleaned up once the video is saved


def test_decode_out_of_memory_is_retried_with_tiling(register_models, make_client, studio_dirs, monkeypatch):
    from diffusers import AutoencoderKLCogVideoX

    tiling_on_call: list[bool] = []
    decode = AutoencoderKLCogVideoX.decode

    def tight_memory(self, *args, **kwargs):
        tiling_on_call.append(self.use_tiling)
        if not self.use_tiling:
            raise torch.OutOfMemoryError("CUDA out of memory (forced by the test)")
        return decode(self, *args, **kwargs)

    monkeypatch.setattr(AutoencoderKLCogVideoX, "decode", tight_memory)
    register_models({"tiny-cog": "cogvideox"})
    client = make_client()
    job = run_job(client, "video", tiny_body("cogvideox", "tiny-cog"))
    assert tiling_on_call == [False, True]
    assert job["result"]["decode_mode"] == "tiled"
    asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    assert probe(path).frame_count == 9 and asset["params"]["decode_mode"] == "tiled"
    # The pipeline stays loaded for the next job: tiling was only for this decode.
    vae = client.app.state.studio.models.cache.peek("tiny-cog").pipe.vae
    assert vae.use_tiling is False and vae.use_slicing is False


def test_decode_falls_back_to_offload_after_tiling_fails():
    fam = video_family("video")
    attempts: list[bool] = []

    def decode(pipe, latents, meta, low_memory):
        attempts.append(low_memory)
        if len(attempts) < 3:
            raise torch.OutOfMemoryError("forced")
        return "frames"

    class Pipe:
        vae = torch.nn.Linear(2, 2)

    retries: list[str] = []
    decoded, mode = latents_io.decode_resilient(Pipe(), dataclasses.replace(fam, decode=decode), {}, {}, retries.append)
    assert (decoded, mode, retries, attempts) == ("frames", "offload", ["tiled", "offload"], [False, True, True])

    def never_fits(*_args):
        raise torch.OutOfMemoryError("forced")

    with pytest.raises(torch.OutOfMemoryError):
        latents_io.decode_resilient(Pipe(), dataclasses.replace(fam, decode=never_fits), {}, {}, retries.append)
