"""Fixtures for remote-provider and bulk tests: the fakes, a studio pointed at them, small helpers."""

from __future__ import annotations

import time

import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.fal import FakeFal
from tests.fakes.higgsfield import FakeHiggsfield
from tests.fakes.krea import FakeKrea
from tests.fakes.openai_compat import FakeOpenAICompat
from tests.kit.studio import wait_job as kit_wait_job

FAST_REMOTE_ENV = {
    "HOLLYWOOL_REMOTE_POLL_INTERVAL": "0.02",
    "HOLLYWOOL_REMOTE_BACKOFF": "0.02",
    "HOLLYWOOL_REMOTE_MAX_BACKOFF": "0.5",
    "HOLLYWOOL_REMOTE_RETRIES": "4",
}


@pytest.fixture
def fal():
    with FakeFal() as fake:
        yield fake


@pytest.fixture
def krea():
    with FakeKrea() as fake:
        yield fake


@pytest.fixture
def higgsfield():
    with FakeHiggsfield() as fake:
        yield fake


@pytest.fixture
def anthropic_fake():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def llm_fake():
    with FakeOpenAICompat() as fake:
        yield fake


@pytest.fixture
def fast_remote(monkeypatch):
    for name, value in FAST_REMOTE_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("FAL_KEY", "KREA_API_KEY", "HIGGSFIELD_API_KEY", "ANTHROPIC_API_KEY", "HOLLYWOOL_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def remote_client(make_client, fast_remote, fal, krea, higgsfield):
    """A studio whose fal, KREA and Higgsfield base URLs point at the fakes, keys set through the API."""
    client = make_client(services=ServiceUrls(fal=fal.url, krea=krea.url, higgsfield=higgsfield.url))
    for provider, key in (("fal", fal.api_key), ("krea", krea.token), ("higgsfield", "hf-key-id:hf-key-secret")):
        assert client.put(f"/api/providers/{provider}", json={"api_key": key}).status_code == 200
    return client


def wait_until(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


def wait_job(client, job_id: str, statuses=("completed", "failed", "cancelled"), timeout: float = 30) -> dict:
    return kit_wait_job(client, job_id, statuses, timeout)
