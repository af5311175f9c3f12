"""The studio builds every service itself: one secret store for every key, one local-or-remote decision."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from hollywool.settings import ServiceUrls, Settings
from hollywool.studio import Studio
from tests.remote.fixtures import *  # noqa: F403 - fal fake, fast_remote, remote_client, wait_job

FAL_IMAGE = "fal:fal-ai/flux/schnell"
FAL_VIDEO = "fal:fal-ai/kling-video/v2/master/text-to-video"


def _png_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture(autouse=True)
def _no_warmup(monkeypatch):
    # The app's background import of diffusers races the tiny-model build in the same process.
    monkeypatch.setenv("HOLLYWOOL_WARMUP", "0")


@pytest.fixture
def studio(studio_dirs):
    built = Studio(Settings.from_env(**studio_dirs))
    yield built
    built.stop()


def test_one_secret_store_serves_every_key(studio):
    store = studio.secrets
    assert studio.remote.keys.secrets is store  # fal, KREA, Higgsfield keys
    assert studio.llm.keys.secrets is store  # Anthropic and OpenAI-compatible keys
    assert studio.civitai.secrets is store  # the Civitai token
    assert studio.providers.llm is studio.llm and studio.providers.remote is studio.remote
    assert studio.bulk.router is studio.router


def test_a_key_set_through_the_api_reaches_every_service(remote_client):
    studio = remote_client.app.state.studio
    r = remote_client.put("/api/providers/anthropic", json={"api_key": "sk-ant-test-key-0001"})
    assert r.status_code == 200
    assert studio.llm.backend("anthropic").config.api_key == "sk-ant-test-key-0001"
    assert remote_client.put("/api/civitai/token", json={"token": "civitai-token-0002"}).status_code in (200, 204)
    assert studio.civitai.has_token and studio.secrets.get("civitai") == "civitai-token-0002"
    # Every stored secret is scrubbed from provider errors, whichever service stored it.
    scrubbed = studio.remote.keys.redact("echo sk-ant-test-key-0001 civitai-token-0002")
    assert scrubbed == "echo [redacted] [redacted]"


@pytest.mark.parametrize(
    ("route", "model", "kind"),
    [
        ("image", "tiny-sd", "image"),
        ("video", "tiny-video", "video"),
        ("i2v", "tiny-i2v", "i2v"),
        ("image", FAL_IMAGE, "remote"),
        ("video", FAL_VIDEO, "remote"),
        ("i2v", "fal:fal-ai/kling-video/v2/master/image-to-video", "remote"),
        ("image", "krea:bfl/flux-1-dev", "remote"),
        ("image", "nobody:some/model", "image"),  # not a provider: a local id the catalogue will refuse
        ("upscale", FAL_IMAGE, "upscale"),  # only generations are routed
    ],
)
def test_the_router_decides_by_the_model_id(studio, route, model, kind):
    assert studio.router.route(route, model).kind == kind


def test_image_video_and_bulk_routes_share_the_decision(register_models, make_client, fast_remote, fal):
    """The same answer, through each route, for a local model and a fal model."""
    register_models({"tiny-sd": "sd15"})
    client = make_client(services=ServiceUrls(fal=fal.url))
    assert client.put("/api/providers/fal", json={"api_key": fal.api_key}).status_code == 200

    def kind_of(job_id: str) -> str:
        return client.get(f"/api/jobs/{job_id}").json()["kind"]

    def bulk(model: str) -> tuple[str, str]:
        r = client.post("/api/bulk/jobs", json={"model": model, "prompts": ["a"], "width": 64, "height": 64})
        assert r.status_code == 201, r.text
        batch = client.get(f"/api/bulk/jobs/{r.json()['job_id']}").json()
        return batch["kind"], kind_of(batch["items"][0]["job_id"])

    # local: the route's own kind
    r = client.post("/api/jobs", json={"model": "tiny-sd", "prompt": "a", "steps": 1, "width": 64, "height": 64})
    assert r.status_code == 201, r.text
    assert kind_of(r.json()["job_id"]) == "image" and r.json()["message"].startswith("queued")
    assert bulk("tiny-sd") == ("image", "image")
    # a local video model: the local rule (no images for text-to-video) answers, not a provider
    ref = [{"image_base64": _png_b64()}]
    r = client.post("/api/video/jobs", json={"model": "tiny-video", "prompt": "a", "reference_images": ref})
    assert r.status_code == 422 and "/api/i2v/jobs" in r.json()["detail"]

    # fal: the "remote" kind, whichever route
    r = client.post("/api/jobs", json={"model": FAL_IMAGE, "prompt": "a"})
    assert r.status_code == 201, r.text
    assert kind_of(r.json()["job_id"]) == "remote" and r.json()["message"].startswith("queued on fal")
    r = client.post("/api/video/jobs", json={"model": FAL_VIDEO, "prompt": "a", "duration": 5})
    assert r.status_code == 201, r.text
    assert kind_of(r.json()["job_id"]) == "remote" and r.json()["message"].startswith("queued on fal")
    assert bulk(FAL_IMAGE) == ("remote", "remote")


def test_the_studio_builds_without_outside_wiring(studio_dirs, fal):
    """Nothing outside Studio assigns its services: a studio pointed at a fake is complete as built."""
    studio = Studio(Settings.from_env(**studio_dirs, services=ServiceUrls(fal=fal.url)))
    try:
        for name in ("secrets", "remote", "llm", "providers", "router", "bulk", "civitai", "comfyui"):
            assert name in vars(studio), name
        assert studio.remote.provider("fal").base_url.startswith(fal.url)
    finally:
        studio.stop()
