"""The studio as a real process: websocket progress, SSE, crash recovery, concurrency, access token."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.kit.studio import REPO, ServerProcess, tiny_entry, wait_for, write_user_config

pytestmark = pytest.mark.process

FINISHED = ("completed", "failed", "cancelled")


@pytest.fixture
def server_root(tmp_path, tiny_model):
    write_user_config(tmp_path / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd")})
    return tmp_path


def _job_body(**overrides) -> dict:
    return {"prompt": "a red barn", "model": "tiny-sd", "width": 64, "height": 64, "steps": 3, **overrides}


def _get_job(url: str, job_id: str) -> dict:
    return httpx.get(f"{url}/api/jobs/{job_id}", timeout=10).json()


def test_progress_arrives_per_step_over_a_real_websocket(server_root):
    with ServerProcess(server_root) as server, connect(f"ws://127.0.0.1:{server.port}/api/ws") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        job_id = httpx.post(f"{server.url}/api/jobs", json=_job_body(steps=4, num_images=2)).json()["job_id"]
        seen: list[dict] = []
        while True:
            event = json.loads(ws.recv(timeout=60))
            if event.get("job_id") != job_id:
                continue
            seen.append(event)
            if event["type"] in ("job.completed", "job.failed"):
                break
        types = [e["type"] for e in seen]
        assert types[0] == "job.queued" and "job.started" in types and types[-1] == "job.completed"
        progress = [e for e in seen if e["type"] == "job.progress" and e["stage"] == "generating" and e["step"]]
        total = progress[-1]["total_steps"]
        assert total == 8  # 2 images x 4 steps, as asked (PNDM's extra warm-up call is not counted as a step)
        assert [e["step"] for e in progress] == list(range(1, total + 1))  # every step, in order
        assert progress[-1]["progress"] == 100
        assert seen[-1]["job"]["progress"] == 100 and len(seen[-1]["job"]["images"]) == 2


def test_server_sent_events_carry_the_same_events(server_root):
    with ServerProcess(server_root) as server, httpx.stream("GET", f"{server.url}/api/events", timeout=60) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "event: hello"
        job_id = httpx.post(f"{server.url}/api/jobs", json=_job_body()).json()["job_id"]
        kinds = []
        for line in lines:
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event.get("job_id") == job_id:
                    kinds.append(event["type"])
                    if event["type"] == "job.completed":
                        break
        assert kinds[0] == "job.queued" and "job.progress" in kinds and kinds[-1] == "job.completed"


def test_sigkill_mid_job_then_restart_finishes_everything(server_root):
    server = ServerProcess(server_root).start()
    url = server.url
    try:
        slow = httpx.post(f"{url}/api/jobs", json=_job_body(steps=100, width=128, height=128, seed=7)).json()["job_id"]
        queued = [httpx.post(f"{url}/api/jobs", json=_job_body(seed=i)).json()["job_id"] for i in range(3)]
        wait_for(lambda: _get_job(url, slow)["step"] >= 5, timeout=60, what="slow job under way")
        server.kill()
    finally:
        server.kill()
    restarted = ServerProcess(server_root, port=server.port).start()
    try:
        for job_id in [slow, *queued]:
            job = wait_for(lambda j=job_id: (x := _get_job(url, j))["status"] in FINISHED and x, timeout=120)
            assert job["status"] == "completed", (job["error"], job.get("error_detail"))
            assert len(job["images"]) == 1
        assert _get_job(url, slow)["attempts"] == 2  # interrupted once, then finished
        assert all(_get_job(url, j)["attempts"] == 1 for j in queued)
        assets = httpx.get(f"{url}/api/assets", params={"limit": 100}).json()
        assert assets["total"] == 4
    finally:
        restarted.stop()


def test_a_job_interrupted_too_often_fails_with_a_clear_message(server_root):
    env = {"HOLLYWOOL_MAX_ATTEMPTS": "1"}
    server = ServerProcess(server_root, env=env).start()
    try:
        job_id = httpx.post(f"{server.url}/api/jobs", json=_job_body(steps=200, width=128, height=128)).json()["job_id"]
        wait_for(lambda: _get_job(server.url, job_id)["step"] >= 2, timeout=60)
    finally:
        server.kill()
    with ServerProcess(server_root, env=env, port=server.port) as again:
        job = _get_job(again.url, job_id)
        assert job["status"] == "failed" and "Interrupted 1 times" in job["error"]


def test_200_concurrent_submissions_are_all_recorded(server_root):
    with ServerProcess(server_root) as server:
        ids: list[str] = []
        errors: list[str] = []
        lock = threading.Lock()

        def submit_many(n: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                for _ in range(n):
                    r = c.post("/api/jobs", json=_job_body(steps=1))
                    with lock:
                        (ids if r.status_code == 201 else errors).append(r.json().get("job_id") or r.text)

        threads = [threading.Thread(target=submit_many, args=(10,)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(set(ids)) == 200
        listed = httpx.get(f"{server.url}/api/jobs", params={"limit": 500}).json()
        assert listed["total"] == 200 and {j["id"] for j in listed["items"]} == set(ids)


def test_access_token_guards_api_websocket_and_events(server_root):
    env = {"HOLLYWOOL_TOKEN": "s3cret-token"}
    with ServerProcess(server_root, env=env) as server:
        assert httpx.get(f"{server.url}/api/health").status_code == 401
        assert httpx.get(f"{server.url}/outputs/x.png").status_code == 401
        assert httpx.get(f"{server.url}/api/jobs").status_code == 401
        assert httpx.get(f"{server.url}/api/events").status_code == 401
        auth = {"Authorization": "Bearer s3cret-token"}
        assert httpx.get(f"{server.url}/api/jobs", headers=auth).status_code == 200
        assert httpx.get(f"{server.url}/api/jobs", cookies={"hollywool_token": "s3cret-token"}).status_code == 200
        with (  # closed with 4401 before accept
            pytest.raises(Exception),  # noqa: B017
            connect(f"ws://127.0.0.1:{server.port}/api/ws") as ws,
        ):
            ws.recv(timeout=5)
        with connect(f"ws://127.0.0.1:{server.port}/api/ws?token=s3cret-token") as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        logs = (server.root / f"server-{server.port}.log").read_text()
        assert "s3cret-token" not in logs


def test_serve_refuses_a_network_address_without_a_token(tmp_path):
    env = {"HOLLYWOOL_DATA_DIR": str(tmp_path / "d"), "HOLLYWOOL_OUTPUTS_DIR": str(tmp_path / "o"), "PATH": ""}
    env = {**dict(__import__("os").environ), **env}
    env.pop("HOLLYWOOL_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "hollywool", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "HOLLYWOOL_TOKEN" in result.stdout


def test_cli_generate_and_jobs_against_a_running_studio(server_root):
    with ServerProcess(server_root) as server:
        env = {**server.env, "HOLLYWOOL_URL": server.url, "COLUMNS": "200"}
        gen = subprocess.run(
            [sys.executable, "-m", "hollywool", "generate", "a quiet pond", "--model", "tiny-sd", "--width", "64",
             "--height", "64", "--steps", "2", "--seed", "5"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert gen.returncode == 0, gen.stdout + gen.stderr
        assert "seed 5:" in gen.stdout and "/outputs/images/" in gen.stdout
        table = subprocess.run(
            [sys.executable, "-m", "hollywool", "jobs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
        assert table.returncode == 0 and "completed" in table.stdout and "image" in table.stdout
        bad = subprocess.run(
            [sys.executable, "-m", "hollywool", "generate", "x", "--model", "nope"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert bad.returncode == 1 and "unknown model" in bad.stdout


def test_submit_to_start_is_immediate_with_an_idle_worker(server_root):
    with ServerProcess(server_root) as server, connect(f"ws://127.0.0.1:{server.port}/api/ws") as ws:
        ws.recv(timeout=10)
        t0 = time.monotonic()
        job_id = httpx.post(f"{server.url}/api/jobs", json=_job_body(steps=1)).json()["job_id"]
        while True:
            event = json.loads(ws.recv(timeout=30))
            if event.get("job_id") == job_id and event["type"] == "job.started":
                break
        # Generous bound: no polling interval sits between submit and start.
        assert time.monotonic() - t0 < 5


def test_graceful_shutdown_requeues_the_running_job_without_charging_an_attempt(server_root):
    server = ServerProcess(server_root).start()
    body = _job_body(steps=100, width=128, height=128)
    job_id = httpx.post(f"{server.url}/api/jobs", json=body).json()["job_id"]
    wait_for(lambda: _get_job(server.url, job_id)["step"] >= 2, timeout=60)
    server.stop()  # SIGTERM: the lifespan shutdown interrupts the job and puts it back in the queue
    with ServerProcess(server_root, port=server.port) as again:
        job = wait_for(lambda: (j := _get_job(again.url, job_id))["status"] in FINISHED and j, timeout=120)
        assert job["status"] == "completed" and job["attempts"] == 1
