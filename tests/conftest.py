"""Fixtures shared by the whole suite.

Tiny random-weight models are built once per test session (into HOLLYWOOL_TEST_MODELS when set,
so a developer can keep them between runs) and registered as local models through the same
`config.yaml` a user writes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.kit.studio import FAMILY_TYPES, tiny_entry, write_user_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tiny models are overhead-bound: one torch thread per process avoids oversubscribing the CPU when
# the suite runs server processes beside itself (measured: 114 s -> 9 s for the test kit).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# In-process studios do not warm up: the tests themselves import diffusers on their own threads (tiny model
# builds, direct pipeline calls), which could race the warm-up thread's imports. Server processes started by
# the tests warm up as a user's studio does (tests/kit/studio.py), and test_warmup.py covers it.
os.environ.setdefault("HOLLYWOOL_WARMUP", "0")


@pytest.fixture(scope="session")
def models_root(tmp_path_factory) -> Path:
    root = os.environ.get("HOLLYWOOL_TEST_MODELS")
    return Path(root) if root else tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def tiny_model(models_root):
    """tiny_model("sd15") -> folder of a tiny diffusers pipeline, built at most once per session."""
    from hollywool.testkit.tiny_models import build_family

    def get(name: str) -> Path:
        return build_family(name, models_root)

    return get


@pytest.fixture
def studio_dirs(tmp_path) -> dict[str, Path]:
    return {"data_dir": tmp_path / "data", "outputs_dir": tmp_path / "outputs"}


@pytest.fixture
def register_models(studio_dirs, tiny_model):
    """Write the user's config.yaml with tiny models under the ids given: {"tiny-sd": "sd15"}."""

    def register(mapping: dict[str, str], **extra) -> Path:
        entries = {mid: tiny_entry(tiny_model(fam), FAMILY_TYPES[fam], **extra) for mid, fam in mapping.items()}
        return write_user_config(studio_dirs["data_dir"], entries)

    return register


@pytest.fixture
def make_client(studio_dirs):
    """Build the app on tmp folders (after models are registered) and open a TestClient on it."""
    from hollywool.app import create_app
    from hollywool.settings import Settings

    clients = []

    def make(**overrides) -> TestClient:
        # The TestClient sends `Host: testserver`; only tests allow that name (see test_security.py).
        settings = Settings.from_env(**{**studio_dirs, "allowed_hosts": ("testserver",), **overrides})
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(register_models, make_client) -> TestClient:
    """A studio with a tiny SD 1.5 model registered as `tiny-sd`."""
    register_models({"tiny-sd": "sd15"})
    return make_client()
