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
