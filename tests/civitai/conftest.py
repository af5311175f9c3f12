"""A fake Civitai on 127.0.0.1 and a studio pointed at it, with its Civitai folder under tmp."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.civitai import FakeCivitai

FINISHED = ("completed", "failed", "cancelled")


@pytest.fixture
def fake():
    with FakeCivitai() as server:
        yield server


@pytest.fixture
def civitai_dir(tmp_path) -> Path:
    return tmp_path / "civitai"


@pytest.fixture
def studio(make_client, fake, civitai_dir):
    """A TestClient on a studio whose Civitai is the fake."""
    return make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)


def wait_download(client, download_id: str, statuses=FINISHED, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = client.get(f"/api/civitai/downloads/{download_id}").json()
        if d["status"] in statuses:
            return d
        time.sleep(0.05)
    raise TimeoutError(f"download {download_id} still {d['status']}")


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
