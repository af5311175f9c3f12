"""Fixtures: one running fake per test (each starts in ~50 ms)."""

from __future__ import annotations

import pytest

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.civitai import FakeCivitai
from tests.fakes.comfyui import FakeComfyUI
from tests.fakes.fal import FakeFal
from tests.fakes.higgsfield import FakeHiggsfield
from tests.fakes.krea import FakeKrea
from tests.fakes.openai_compat import FakeOpenAICompat


def _serve(fake):
    with fake:
        yield fake


@pytest.fixture
def civitai():
    yield from _serve(FakeCivitai())


@pytest.fixture
def comfy(tmp_path):
    yield from _serve(FakeComfyUI(models={"checkpoints": ["sd15.safetensors"]}, root=tmp_path / "comfy"))


@pytest.fixture
def fal():
    yield from _serve(FakeFal())


@pytest.fixture
def krea():
    yield from _serve(FakeKrea())


@pytest.fixture
def higgsfield():
    yield from _serve(FakeHiggsfield())


@pytest.fixture
def claude():
    yield from _serve(FakeAnthropic())


@pytest.fixture
def local_llm():
    yield from _serve(FakeOpenAICompat(api_key="local-key"))
