"""A studio killed mid-download (a real process, SIGKILL) resumes the file after it starts again."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from tests.civitai.conftest import files_under
from tests.kit.studio import ServerProcess, wait_for

pytestmark = pytest.mark.process


def test_a_studio_killed_mid_download_resumes_with_range_after_restart(tmp_path, fake):
    data = os.urandom(3_000_000)
    model = fake.add_model("Barn", "Checkpoint", "SD 1.5", files={"barn.safetensors": data}, gated=True)
    version_id = model["modelVersions"][0]["id"]
    civitai_dir = tmp_path / "civitai"
    env = {"HOLLYWOOL_CIVITAI_URL": fake.url, "HOLLYWOOL_CIVITAI_DIR": str(civitai_dir)}
    fake.chunk_delay = 0.05  # about 2.3 s for the whole file

    server = ServerProcess(tmp_path, env=env).start()
    try:
        assert httpx.put(f"{server.url}/api/civitai/token", json={"token": fake.api_key}).status_code == 200
        download = httpx.post(f"{server.url}/api/civitai/downloads", json={"version_id": version_id}).json()
        part = civitai_dir / "checkpoints" / f".{download['id']}.part"
        wait_for(lambda: part.exists() and part.stat().st_size > 300_000, timeout=30, what="bytes on disk")
        server.kill()
    finally:
        server.kill()
    have = part.stat().st_size
    assert 300_000 < have < len(data)
    fake.chunk_delay = 0

    with ServerProcess(tmp_path, env=env, port=server.port) as again:

        def finished():
            d = httpx.get(f"{again.url}/api/civitai/downloads/{download['id']}").json()
            return d if d["status"] in ("completed", "failed", "cancelled") else None

        done = wait_for(finished, timeout=60, what="the download to finish")
        assert done["status"] == "completed", done
        job = httpx.get(f"{again.url}/api/jobs/{download['job_id']}").json()
        assert job["attempts"] == 2  # interrupted once, then finished

    ranges = [r.headers.get("range") for r in fake.requests_to("/files/")]
    assert ranges[0] is None and ranges[-1] == f"bytes={have}-"
    final = civitai_dir / "checkpoints" / "barn.safetensors"
    assert files_under(civitai_dir) == [final]
    assert hashlib.sha256(final.read_bytes()).hexdigest().upper() == done["sha256"]
    logs = "".join(p.read_text() for p in tmp_path.glob("server-*.log"))
    assert fake.api_key not in logs
