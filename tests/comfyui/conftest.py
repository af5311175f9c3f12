"""Fixtures for the ComfyUI tests: workflow files, the server's node catalogue, a fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def object_info() -> dict:
    return load("object_info.json")


@pytest.fixture
def txt2img_editor() -> dict:
    return load("txt2img_editor.json")


@pytest.fixture
def txt2img_api() -> dict:
    return load("txt2img_api.json")


CHECKPOINT = "v1-5-pruned-emaonly.safetensors"


@pytest.fixture
def fake_comfy(tmp_path):
    from tests.fakes.comfyui import FakeComfyUI

    server = FakeComfyUI(models={"checkpoints": [CHECKPOINT]}, root=tmp_path / "comfy").start()
    yield server
    server.resume()
    server.stop()


@pytest.fixture
def comfy_env(monkeypatch):
    """Short waits, so fault tests finish in seconds."""
    monkeypatch.setenv("HOLLYWOOL_COMFYUI_RETRY_INTERVAL", "0.1")
    monkeypatch.setenv("HOLLYWOOL_COMFYUI_HISTORY_POLL", "0.5")
    monkeypatch.setenv("HOLLYWOOL_COMFYUI_STATUS_TIMEOUT", "1")


@pytest.fixture
def studio_for(make_client, comfy_env, tmp_path):
    """studio_for(url) -> a TestClient on a studio whose ComfyUI server is `url`. A second studio
    in the same test gets its own folders (one process owns a data folder at a time)."""
    from hollywool.settings import ServiceUrls

    made = 0

    def make(url: str):
        nonlocal made
        made += 1
        folders = {}
        if made > 1:
            folders = {"data_dir": tmp_path / f"data{made}", "outputs_dir": tmp_path / f"outputs{made}"}
        return make_client(services=ServiceUrls(comfyui=url), **folders)

    return make


@pytest.fixture
def studio(studio_for, fake_comfy):
    return studio_for(fake_comfy.url)
