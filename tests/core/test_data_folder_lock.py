"""One process owns a data folder: a second studio or the CLI's in-process mode refuses it, with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from hollywool.settings import Settings
from hollywool.storage.lock import LOCK_FILE, DataFolderInUse, DataFolderLock
from hollywool.studio import Studio
from tests.kit.studio import REPO, ServerProcess, free_port, tiny_entry, wait_for, write_user_config


def _run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hollywool", *args],
        cwd=REPO,
        env={**env, "COLUMNS": "300"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"`hollywool {args[0]}` ran on a data folder another studio owns:\n{out[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


@pytest.mark.process
def test_a_second_studio_or_cli_on_a_live_servers_folder_refuses_and_requeues_nothing(tmp_path, tiny_model):
    write_user_config(tmp_path / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd")})
    with ServerProcess(tmp_path) as server:
        body = {"prompt": "a barn", "model": "tiny-sd", "width": 256, "height": 256, "steps": 200, "seed": 1}
        job_id = httpx.post(f"{server.url}/api/jobs", json=body).json()["job_id"]
        wait_for(lambda: httpx.get(f"{server.url}/api/jobs/{job_id}").json()["step"] >= 1, timeout=60)
        owner = f"Another HollyWool (pid {server.proc.pid}, {server.url}) is using {tmp_path / 'data'}"

        second = _run(["serve", "--port", str(free_port())], server.env)
        assert second.returncode == 1, second.stdout
        assert owner in second.stdout and "HOLLYWOOL_DATA_DIR" in second.stdout

        # No studio answers at HOLLYWOOL_URL: the CLI falls back to in-process, on the same folder.
        dead_url = f"http://127.0.0.1:{free_port()}"
        gen = _run(["generate", "x", "--model", "tiny-sd", "--steps", "1"], {**server.env, "HOLLYWOOL_URL": dead_url})
        assert gen.returncode == 1, gen.stdout
        assert owner in gen.stdout and f"HOLLYWOOL_URL={server.url}" in gen.stdout

        job = httpx.get(f"{server.url}/api/jobs/{job_id}").json()
        assert job["status"] == "running" and job["attempts"] == 1  # not re-queued under the live server
        assert "Re-queued" not in (job["message"] or "")
        httpx.post(f"{server.url}/api/jobs/{job_id}/cancel")
    assert "recovered after restart" not in server.log_path.read_text()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_lock_left_by_a_dead_process_is_taken_over_and_then_guards_the_folder(studio_dirs):
    data = studio_dirs["data_dir"]
    data.mkdir(parents=True)
    dead = _dead_pid()
    (data / LOCK_FILE).write_text(f'{{"pid": {dead}, "host": "x", "url": "http://127.0.0.1:1"}}')
    studio = Studio(Settings.from_env(**studio_dirs))
    studio.start()
    try:
        assert DataFolderLock(data).owner().pid == os.getpid()
        with pytest.raises(DataFolderInUse) as err:  # a second owner, even in this process, is refused
            DataFolderLock(data).acquire()
        assert f"pid {os.getpid()}, in-process, no API address) is using {data}" in str(err.value)
    finally:
        studio.stop()
    DataFolderLock(data).acquire()  # released on stop


def test_start_up_removes_temporary_files_left_by_a_crash_and_keeps_the_rest(studio_dirs, make_client):
    outputs, data = studio_dirs["outputs_dir"], studio_dirs["data_dir"]
    orphans = [
        outputs / "videos" / "2024-01-01" / ".clip.mp4.k2j_h4g5.part",  # an encode killed half way
        outputs / "images" / ".a.png.abcdefgh.part",
        data / "jobs" / "job1" / ".latents.pt.0a1b2c3d.part",
        data / "upscalers" / ".x4.pth.zzzzzzzz.part",
    ]
    kept = [
        outputs / "videos" / "2024-01-01" / "clip.mp4",
        outputs / "images" / "notes.part",  # not our temporary name
        outputs / "images" / ".a.png.part",
        data / "jobs" / "job1" / "latents.pt",
    ]
    for path in orphans + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")

    make_client()
    assert [p for p in orphans if p.exists()] == []
    assert all(p.exists() for p in kept)


def test_temporary_files_stay_when_another_process_owns_the_folder(studio_dirs):
    data = studio_dirs["data_dir"]
    orphan = studio_dirs["outputs_dir"] / ".clip.mp4.k2j_h4g5.part"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    other = DataFolderLock(data)
    other.acquire(url="http://127.0.0.1:8031")  # another owner (a second open file: flock refuses us)
    studio = Studio(Settings.from_env(**studio_dirs))
    try:
        with pytest.raises(DataFolderInUse, match=r"http://127\.0\.0\.1:8031\) is using"):
            studio.start()
        assert orphan.exists()
    finally:
        studio.stop()
        other.release()
