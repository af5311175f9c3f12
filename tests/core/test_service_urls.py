"""Service addresses chosen in Settings (GET/PUT /api/settings/services): validated once, used at once by the
clients (Civitai, ComfyUI, providers) without a restart, back to the environment's default on null, and a key
never follows a changed address."""

from __future__ import annotations

import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.civitai import FakeCivitai
from tests.kit.studio import free_port

SERVICES = {"comfyui", "civitai", "fal", "krea", "higgsfield", "anthropic", "openai_compatible"}


@pytest.fixture
def fake_civitai():
    with FakeCivitai() as server:
        yield server


def test_lists_every_service_with_the_environments_default(make_client):
    client = make_client(services=ServiceUrls(comfyui="http://comfy.lan:8188", llm="http://127.0.0.1:9999/v1"))
    listed = {s["id"]: s for s in client.get("/api/settings/services").json()}
    assert set(listed) == SERVICES
    assert listed["comfyui"] == {
        "id": "comfyui",
        "name": "ComfyUI server",
        "url": "http://comfy.lan:8188",
        "default_url": "http://comfy.lan:8188",
        "env_var": "HOLLYWOOL_COMFYUI_URL",
        "is_default": True,
    }
    assert listed["openai_compatible"]["url"] == "http://127.0.0.1:9999/v1"
    assert listed["fal"]["url"] == "https://queue.fal.run"  # empty in the environment: the real host


@pytest.mark.parametrize("bad", ["ftp://files.example.com", "not a url", "http://", "localhost:8188"])
def test_an_address_that_is_not_http_is_refused_naming_the_field(make_client, bad):
    client = make_client()
    r = client.put("/api/settings/services/comfyui", json={"url": bad})
    assert r.status_code == 422, r.text
    assert "http:// or https://" in r.text and "url" in r.text
    assert client.get("/api/settings/services").json()[0]["is_default"] is True
    # The preference itself goes through the same check.
    r = client.put("/api/settings", json={"comfyui_url": bad})
    assert r.status_code == 422 and "comfyui_url" in r.text
    r = client.put("/api/settings", json={"civitai_url": bad})
    assert r.status_code == 422 and "civitai_url" in r.text


def test_an_unknown_service_is_404(make_client):
    r = make_client().put("/api/settings/services/midjourney", json={"url": "https://example.com"})
    assert r.status_code == 404 and "comfyui" in r.json()["detail"]


def test_civitai_follows_the_address_at_once_and_the_key_stays_behind(make_client, fake_civitai, tmp_path):
    unreachable = f"http://127.0.0.1:{free_port()}"
    client = make_client(services=ServiceUrls(civitai=unreachable), civitai_dir=tmp_path / "civitai")
    assert client.put("/api/civitai/token", json={"token": fake_civitai.api_key}).status_code == 200
    assert client.get("/api/civitai/models").status_code >= 500  # nothing answers the default

    r = client.put("/api/settings/services/civitai", json={"url": fake_civitai.url + "/"})
    assert r.status_code == 200, r.text
    assert r.json()["url"] == fake_civitai.url and r.json()["is_default"] is False
    assert client.get("/api/civitai/models").status_code == 200  # no restart
    assert fake_civitai.requests_to("/api/v1/models")
    # The key was given for the old address: it is not sent to the new one, and never answered.
    settings = client.get("/api/settings")
    assert settings.json()["has_civitai_api_key"] is False and fake_civitai.api_key not in settings.text
    assert "authorization" not in fake_civitai.requests_to("/api/v1/models")[-1].headers
    assert settings.json()["civitai_url"] == fake_civitai.url

    r = client.put("/api/settings/services/civitai", json={"url": None})
    assert r.json() == {**r.json(), "url": unreachable, "is_default": True}


def test_comfyui_follows_the_address_at_once(make_client):
    from tests.fakes.comfyui import FakeComfyUI

    client = make_client(services=ServiceUrls(comfyui=f"http://127.0.0.1:{free_port()}"))
    assert client.get("/api/comfyui/status").json()["reachable"] is False
    server = FakeComfyUI(models={"checkpoints": ["x.safetensors"]}).start()
    try:
        assert client.put("/api/settings/services/comfyui", json={"url": server.url}).status_code == 200
        assert client.get("/api/comfyui/status").json()["reachable"] is True
        assert client.get("/api/settings").json()["comfyui_url"] == server.url
    finally:
        server.stop()


def test_a_provider_address_is_the_one_its_page_shows_and_its_key_is_removed(make_client):
    client = make_client()
    assert client.put("/api/providers/krea", json={"api_key": "krea-secret"}).json()["has_api_key"] is True
    r = client.put("/api/settings/services/krea", json={"url": "http://127.0.0.1:9/krea"})
    assert r.status_code == 200 and r.json()["url"] == "http://127.0.0.1:9/krea"
    record = client.get("/api/providers/krea").json()
    assert record["api_url"] == "http://127.0.0.1:9/krea" and record["has_api_key"] is False
    assert "krea-secret" not in client.get("/api/settings/services").text
    # Back to the default from either page.
    client.put("/api/providers/krea", json={"api_url": None})
    krea = next(s for s in client.get("/api/settings/services").json() if s["id"] == "krea")
    assert krea["is_default"] is True and krea["url"] == "https://api.krea.ai"


def test_an_llm_address_is_the_one_the_llm_client_uses(make_client):
    client = make_client()
    r = client.put("/api/settings/services/openai_compatible", json={"url": "http://127.0.0.1:9/v1/"})
    assert r.status_code == 200 and r.json()["url"] == "http://127.0.0.1:9/v1"
    assert client.get("/api/providers/openai_compatible").json()["api_url"] == "http://127.0.0.1:9/v1"
    # The LLM client asks that address: nothing answers there, and the failure names it.
    r = client.post("/api/providers/openai_compatible/test")
    assert r.json()["ok"] is False and "127.0.0.1:9" in r.json()["message"]
