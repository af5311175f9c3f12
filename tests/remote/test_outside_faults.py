"""Providers unreachable or answering oddly, a re-pointed base URL, and the seed's field names.

Discovery answers 503 (unreachable) / 504 (timeout) / 502 (unreadable answer) naming the provider
and what to check, within seconds; a key test answers its outcome (`success: false` and why). A key
never follows a base URL that changed without it (DNS rebinding would otherwise take it).
"""

from __future__ import annotations

import time

import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.odd import ODD_ANSWERS, OddServer
from tests.kit.studio import free_port

KEY = "krea-secret-key-0123456789"


@pytest.fixture
def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # bound, then closed: nothing listens there


@pytest.fixture
def slow_retries(monkeypatch):
    """The shipped retry timings (5 retries, 1 s doubling backoff): what a user's discovery waits on."""
    for name in ("HOLLYWOOL_REMOTE_RETRIES", "HOLLYWOOL_REMOTE_BACKOFF", "HOLLYWOOL_REMOTE_MAX_BACKOFF"):
        monkeypatch.delenv(name, raising=False)
    for name in ("FAL_KEY", "KREA_API_KEY", "HIGGSFIELD_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("provider", ["fal", "krea"])
def test_discovery_against_a_closed_port_fails_in_seconds_naming_the_provider(
    make_client, slow_retries, closed_url, provider
):
    client = make_client(services=ServiceUrls(fal=closed_url, krea=closed_url))
    t0 = time.monotonic()
    r = client.post(f"/api/providers/{provider}/discover")
    elapsed = time.monotonic() - t0
    assert r.status_code == 503, r.text
    detail = r.json()["detail"]
    name = {"fal": "fal.ai", "krea": "KREA"}[provider]
    assert f"{name} could not be reached at {closed_url}" in detail and "base URL" in detail
    assert elapsed < 5, f"took {elapsed:.1f} s: a refused connection is not retried with long backoff"


def test_provider_clients_have_a_short_connect_timeout(make_client, slow_retries):
    client = make_client()
    for provider in client.app.state.studio.remote.providers.values():
        if hasattr(provider, "client"):
            assert provider.client._http.timeout.connect <= 5, provider.id


def test_a_key_test_against_a_closed_port_says_why(make_client, slow_retries, closed_url):
    client = make_client(services=ServiceUrls(krea=closed_url))
    assert client.put("/api/providers/krea", json={"api_key": KEY}).status_code == 200
    r = client.post("/api/providers/krea/test")
    assert r.status_code == 200, r.text
    check = r.json()
    assert check["ok"] is False and check["success"] is False
    assert f"KREA could not be reached at {closed_url}" in check["error"] and check["message"]
    assert KEY not in r.text


@pytest.fixture(params=ODD_ANSWERS, ids=str)
def odd(request):
    with OddServer(request.param) as server:
        yield server


@pytest.mark.parametrize("provider", ["fal", "krea", "higgsfield"])
def test_odd_answers_are_never_a_500(make_client, fast_remote, odd, provider):
    client = make_client(services=ServiceUrls(fal=odd.url, krea=odd.url, higgsfield=odd.url))
    key = "hf-key-id:hf-key-secret" if provider == "higgsfield" else KEY
    assert client.put(f"/api/providers/{provider}", json={"api_key": key}).status_code == 200
    discovered = client.post(f"/api/providers/{provider}/discover")
    assert discovered.status_code in (200, 502, 503), discovered.text
    if discovered.status_code != 200:
        detail = discovered.json()["detail"]
        assert detail.split(":")[0].split(" ")[0] in ("fal.ai", "KREA", "Higgsfield") and "<html" not in detail
    tested = client.post(f"/api/providers/{provider}/test")
    assert tested.status_code == 200, tested.text
    assert {"ok", "success", "message", "error"} <= set(tested.json())
    assert key not in discovered.text + tested.text


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com", "http://", "javascript:alert(1)"])
def test_a_base_url_that_is_not_http_is_refused_naming_the_field(remote_client, url):
    r = remote_client.put("/api/providers/krea", json={"api_url": url})
    assert r.status_code == 422, r.text
    assert "api_url" in r.json()["detail"]


def test_changing_the_base_url_drops_the_stored_key(remote_client, krea):
    assert remote_client.get("/api/providers/krea").json()["has_api_key"] is True
    with OddServer() as thief:
        r = remote_client.put("/api/providers/krea", json={"api_url": thief.url})
        assert r.status_code == 200 and r.json()["has_api_key"] is False
        check = remote_client.post("/api/providers/krea/test").json()
        assert check["success"] is False and "no API key" in check["error"]
        remote_client.post("/api/providers/krea/discover")
        assert thief.authorizations() == [], "the stored key followed the new base URL"
        assert krea.token not in str([r.headers for r in thief.requests])

        # Given again in the same request, the key stays with the new address.
        r = remote_client.put("/api/providers/krea", json={"api_url": thief.url, "api_key": "a-new-key-for-it"})
        assert r.json()["has_api_key"] is True
        remote_client.post("/api/providers/krea/test")
        assert thief.authorizations() == ["Bearer a-new-key-for-it"]

    # Other changes (the same URL again, the enabled flag) keep the key.
    r = remote_client.put("/api/providers/krea", json={"api_url": thief.url, "is_enabled": True})
    assert r.json()["has_api_key"] is True


def test_changing_the_base_url_stops_using_the_environment_key(make_client, fast_remote, monkeypatch, krea):
    monkeypatch.setenv("KREA_API_KEY", krea.token)
    client = make_client(services=ServiceUrls(krea=krea.url))
    record = client.get("/api/providers/krea").json()
    assert record["has_api_key"] is True and record["key_source"] == "env"
    with OddServer() as thief:
        assert client.put("/api/providers/krea", json={"api_url": thief.url}).json()["has_api_key"] is False
        client.post("/api/providers/krea/test")
        client.post("/api/providers/krea/discover")
        assert thief.authorizations() == []
    # Back at the first address, a key given again is used.
    r = client.put("/api/providers/krea", json={"api_url": krea.url, "api_key": krea.token})
    assert r.json()["has_api_key"] is True
    assert client.post("/api/providers/krea/test").json()["success"] is True


def test_provider_answers_carry_the_seed_names(remote_client, fal):
    listed = remote_client.get("/api/providers").json()
    assert set(listed) == {"providers"}
    ids = [p["provider"] for p in listed["providers"]]
    assert {"krea", "higgsfield", "fal", "anthropic"} <= set(ids)
    for p in listed["providers"]:
        assert {"provider", "is_configured", "is_enabled", "api_url", "has_api_key", "id", "name"} <= set(p)
    check = remote_client.post("/api/providers/fal/test").json()
    assert check["success"] is True and check["ok"] is True and check["error"] is None and check["message"]
    found = remote_client.post("/api/providers/fal/discover").json()
    assert found["success"] is True and found["error"] is None
    assert found["discovered"] == found["count"] == len(found["models"]) > 0
    for m in found["models"]:
        assert {"id", "name", "description", "type", "input_type", "model_id", "tags", "provider"} <= set(m)
        assert m["type"] == ("video" if "video" in m["category"] else "image")
        assert m["input_type"] == m["category"]

    removed = remote_client.delete("/api/providers/fal")
    assert removed.status_code == 200 and removed.json()["has_api_key"] is False
    assert remote_client.delete("/api/providers/nope").status_code == 404
