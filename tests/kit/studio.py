"""Start the studio the way a user does, on temporary folders, in-process or as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from hollywool.models.families import canonical_type, video_types
from hollywool.testkit.tiny_models import FAMILIES as TINY_FAMILIES

REPO = Path(__file__).resolve().parents[2]

# Test-kit family -> catalogue model type.
FAMILY_TYPES = {name: spec.model_type for name, spec in TINY_FAMILIES.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_user_config(data_dir: Path, models: dict[str, dict]) -> Path:
    """Register models exactly as a user would: entries in <data dir>/config.yaml."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "config.yaml"
    path.write_text(yaml.safe_dump({"models": models}))
    return path


def tiny_entry(folder: Path, type_: str, **extra) -> dict:
    return {
        "name": f"Tiny {type_}",
        "path": str(folder),
        "type": type_,
        "default_steps": 2,
        "default_guidance": 5.0,
        "category": "video" if canonical_type(type_) in video_types() else "fast",
        "size_gb": 0.01,
        "memory_gb": 0.1,
        **extra,
    }


class ServerProcess:
    """`python -m hollywool serve` on a free port, with its own data and outputs folders."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "HOLLYWOOL_DATA_DIR": str(root / "data"),
            "HOLLYWOOL_OUTPUTS_DIR": str(root / "outputs"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "HOLLYWOOL_WARMUP": "1",  # a real studio process warms up its heavy imports (tests/conftest.py)
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = root / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hollywool", "serve", "--port", str(self.port), "--log-level", "warning"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            token = self.env.get("HOLLYWOOL_TOKEN")
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                if httpx.get(f"{self.url}/api/health", headers=headers, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or a power cut."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(predicate, timeout: float = 60, interval: float = 0.05, what: str = "condition"):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


FINISHED = ("completed", "failed", "cancelled")


def wait_job(client, job_id: str, statuses=FINISHED, timeout: float = 120, path: str = "/api/jobs") -> dict:  # noqa: ANN001
    """Poll a job through the API (a TestClient or an httpx client) until it reaches one of `statuses`."""
    last: dict = {}

    def reached():  # noqa: ANN202
        nonlocal last
        last = client.get(f"{path}/{job_id}").json()
        return last.get("status") in statuses and last

    try:
        return wait_for(reached, timeout=timeout, interval=0.02, what=f"job {job_id}")
    except TimeoutError:
        raise TimeoutError(
            f"job {job_id} stayed {last.get('status')} ({last.get('stage')}: {last.get('message')})"
        ) from None
