"""A studio killed mid-job re-attaches to its prompt on the ComfyUI server instead of submitting it again."""

from __future__ import annotations

import copy

import httpx
import pytest

from tests.kit.studio import ServerProcess, wait_for

pytestmark = pytest.mark.process

FINISHED = ("completed", "failed", "cancelled")


def _job(url: str, job_id: str) -> dict:
    return httpx.get(f"{url}/api/comfyui/jobs/{job_id}", timeout=10).json()


def _start(tmp_path, fake, port: int | None = None) -> ServerProcess:
    env = {"HOLLYWOOL_COMFYUI_URL": fake.url, "HOLLYWOOL_COMFYUI_HISTORY_POLL": "0.5"}
    return ServerProcess(tmp_path, env=env, port=port).start()


def _submit(url: str, graph: dict) -> str:
    saved = httpx.post(f"{url}/api/comfyui/workflows", json={"name": "t", "workflow_json": graph}, timeout=30)
    assert saved.status_code == 201, saved.text
    r = httpx.post(f"{url}/api/comfyui/jobs", json={"workflow_id": saved.json()["id"]}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["job_id"]


def _graph(api: dict, steps: int) -> dict:
    g = copy.deepcopy(api)
    g["5"]["inputs"].update(width=64, height=64)
    g["3"]["inputs"]["steps"] = steps
    return g


def test_studio_restart_mid_job_reattaches_to_the_running_prompt(tmp_path, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.05
    server = _start(tmp_path, fake_comfy)
    try:
        job_id = _submit(server.url, _graph(txt2img_api, steps=60))
        wait_for(lambda: _job(server.url, job_id)["step"] >= 3, timeout=30, what="sampling on the server")
        prompt_id = _job(server.url, job_id)["prompt_id"]
        fake_comfy.pause()  # keep it running on the server while the studio is away
    finally:
        server.kill()
    restarted = _start(tmp_path, fake_comfy, port=server.port)
    try:
        wait_for(lambda: _job(restarted.url, job_id)["stage"] == "running", timeout=30, what="re-attached")
        fake_comfy.step_delay = 0.005
        fake_comfy.resume()
        job = wait_for(lambda: (j := _job(restarted.url, job_id))["status"] in FINISHED and j, timeout=60)
        assert job["status"] == "completed", job
        assert job["prompt_id"] == prompt_id and job["attempts"] == 2 and len(job["images"]) == 1
        assert fake_comfy.submissions == 1 and fake_comfy.accepted == [prompt_id]
    finally:
        restarted.stop()


def test_studio_restart_after_the_prompt_finished_collects_it_from_history(tmp_path, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.05
    server = _start(tmp_path, fake_comfy)
    try:
        job_id = _submit(server.url, _graph(txt2img_api, steps=40))
        wait_for(lambda: _job(server.url, job_id)["step"] >= 2, timeout=30, what="sampling on the server")
        prompt_id = _job(server.url, job_id)["prompt_id"]
    finally:
        server.kill()
    wait_for(lambda: prompt_id in fake_comfy.history, timeout=30, what="the prompt to finish on the server")
    restarted = _start(tmp_path, fake_comfy, port=server.port)
    try:
        job = wait_for(lambda: (j := _job(restarted.url, job_id))["status"] in FINISHED and j, timeout=60)
        assert job["status"] == "completed" and len(job["images"]) == 1, job
        assert fake_comfy.submissions == 1
    finally:
        restarted.stop()
