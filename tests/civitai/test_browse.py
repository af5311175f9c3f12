"""Browsing Civitai through the studio: search, details, bad input, rate limits, the token."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import httpx


def _models(fake):
    barn = fake.add_model(
        "Barn Diffusion", "Checkpoint", "SD 1.5", files={"barn.safetensors": b"x" * 3000}, downloads=50
    )
    lora = fake.add_model(
        "Barn Roofs", "LORA", "SDXL 1.0", files={"roofs.safetensors": b"y" * 100}, trained_words=["redroof"]
    )
    fake.add_model("Spicy", "LORA", "SDXL 1.0", nsfw=True)
    return barn, lora


def test_search_is_mapped_and_filters_reach_civitai(studio, fake):
    barn, lora = _models(fake)
    r = studio.get("/api/civitai/models", params={"types": ["LORA"], "baseModels": "SDXL 1.0", "sort": "Newest"})
    assert r.status_code == 200, r.text
    page = r.json()
    assert [m["id"] for m in page["items"]] == [lora["id"]]  # the NSFW one stays hidden by default
    card = page["items"][0]
    assert card["name"] == "Barn Roofs" and card["type"] == "LORA" and card["base_models"] == ["SDXL 1.0"]
    assert card["creator"]["username"] == "fake_creator" and card["stats"]["thumbs_up"] == 100
    assert card["latest_version_id"] == lora["modelVersions"][0]["id"]
    assert card["preview"]["url"].endswith(".jpeg") and card["preview"]["nsfw"] is False
    sent = parse_qs(fake.requests_to("/api/v1/models")[-1].query)
    assert sent["types"] == ["LORA"] and sent["baseModels"] == ["SDXL 1.0"]
    assert sent["nsfw"] == ["false"] and sent["sort"] == ["Newest"] and sent["period"] == ["AllTime"]

    both = studio.get("/api/civitai/models", params={"types": "LORA", "nsfw": "true"}).json()
    assert {m["name"] for m in both["items"]} == {"Barn Roofs", "Spicy"}


def test_cursor_pagination(studio, fake):
    for i in range(5):
        fake.add_model(f"Model {i}")
    first = studio.get("/api/civitai/models", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = studio.get("/api/civitai/models", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert {m["id"] for m in first["items"]}.isdisjoint(m["id"] for m in second["items"])
    last = studio.get("/api/civitai/models", params={"limit": 2, "cursor": "4|0"}).json()
    assert len(last["items"]) == 1 and last["next_cursor"] is None


def test_model_details_are_mapped(studio, fake):
    barn, _ = _models(fake)
    newer = fake.add_version(barn["id"], "v2.0", "SD 1.5", files={"barn_v2.safetensors": b"z" * 2048},
                             trained_words=["barnstyle"])  # fmt: skip
    r = studio.get(f"/api/civitai/models/{barn['id']}")
    assert r.status_code == 200, r.text
    model = r.json()
    assert model["description"].startswith("<p>") and model["allow_commercial_use"] == ["Image", "RentCivit"]
    assert [v["name"] for v in model["versions"]] == ["v2.0", "v1.0"]
    v2 = model["versions"][0]
    assert v2["id"] == newer["id"] and v2["base_model"] == "SD 1.5" and v2["trained_words"] == ["barnstyle"]
    assert v2["stats"]["downloads"] == 50 and len(v2["images"]) == 2
    assert v2["images"][0]["width"] == 832 and v2["images"][0]["meta"]["steps"] == 25
    file = v2["files"][0]
    assert file["name"] == "barn_v2.safetensors" and file["size_bytes"] == 2048 and file["format"] == "SafeTensor"
    assert file["primary"] and file["sha256"] == newer["files"][0]["hashes"]["SHA256"]
    assert studio.get(f"/api/civitai/model-versions/{newer['id']}").json()["model_name"] == "Barn Diffusion"


def test_unknown_model_or_version_is_404(studio, fake):
    r = studio.get("/api/civitai/models/999")
    assert r.status_code == 404 and "999" in r.json()["detail"]
    assert studio.get("/api/civitai/model-versions/999").status_code == 404
    assert studio.post("/api/civitai/downloads", json={"version_id": 999}).status_code == 404


def test_bad_query_values_are_422_and_never_reach_civitai(studio, fake):
    for params in (
        {"types": "Bogus"},
        {"baseModels": "SD 9"},
        {"sort": "Random"},
        {"period": "Decade"},
        {"limit": 0},
        {"limit": 101},
        {"nsfw": "maybe"},
    ):
        r = studio.get("/api/civitai/models", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"]
    assert fake.requests_to("/api/v1/models") == []
    assert studio.get("/api/civitai/models/abc").status_code == 422
    assert studio.post("/api/civitai/downloads", json={"version_id": "x"}).status_code == 422


def test_answers_are_cached_briefly(studio, fake):
    _models(fake)
    for _ in range(3):
        assert studio.get("/api/civitai/models", params={"query": "barn"}).status_code == 200
    assert len(fake.requests_to("/api/v1/models")) == 1


def test_429_is_retried_honouring_retry_after(studio, fake):
    _models(fake)
    fake.fail_next(2, 429, retry_after=0.3, path_prefix="/api/v1/models")
    t0 = time.monotonic()
    r = studio.get("/api/civitai/models")
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    assert time.monotonic() - t0 >= 0.6  # waited as asked, twice
    assert len(fake.requests_to("/api/v1/models")) == 3


def test_429_that_persists_gives_a_clear_error_and_the_studio_keeps_working(studio, fake):
    fake.fail_next(50, 429, retry_after=0, path_prefix="/api/v1/models")
    r = studio.get("/api/civitai/models", params={"query": "x"})
    assert r.status_code == 503
    assert "rate-limiting" in r.json()["detail"] and "429" in r.json()["detail"]
    assert len(fake.requests_to("/api/v1/models")) == 5  # one try and four retries
    fake.faults.clear()
    fake.fail_next(50, 503, retry_after=0, path_prefix="/api/v1/models/")
    r = studio.get("/api/civitai/models/1")
    assert r.status_code == 503 and "unavailable" in r.json()["detail"]
    assert studio.get("/api/health").status_code == 200


def test_civitai_down_is_a_clear_error(make_client, civitai_dir):
    from hollywool.settings import ServiceUrls
    from tests.kit.studio import free_port

    client = make_client(services=ServiceUrls(civitai=f"http://127.0.0.1:{free_port()}"), civitai_dir=civitai_dir)
    client.app.state.studio.civitai.client.backoff_s = 0.01
    r = client.get("/api/civitai/models")
    assert r.status_code == 503 and "could not be reached" in r.json()["detail"]


def test_token_is_stored_server_side_and_only_its_presence_shown(studio, fake, studio_dirs):
    assert studio.get("/api/civitai/token").json() == {"has_token": False}
    r = studio.put("/api/civitai/token", json={"token": fake.api_key})
    assert r.json() == {"has_token": True} and fake.api_key not in r.text
    assert studio.get("/api/civitai/token").json() == {"has_token": True}
    secrets = studio_dirs["data_dir"] / "secrets.json"
    assert fake.api_key in secrets.read_text() and secrets.stat().st_mode & 0o077 == 0
    _models(fake)
    studio.get("/api/civitai/models", params={"query": "roof"})
    assert fake.requests_to("/api/v1/models")[-1].headers["authorization"] == f"Bearer {fake.api_key}"
    logs = studio.get("/api/settings/logs").json()
    assert fake.api_key not in str(logs)
    assert studio.delete("/api/civitai/token").json() == {"has_token": False}
    assert fake.api_key not in secrets.read_text()
    studio.get("/api/civitai/models", params={"query": "barn"})
    assert "authorization" not in fake.requests_to("/api/v1/models")[-1].headers


def test_identify_a_local_file_by_hash_and_flag_a_newer_version(studio, fake, tmp_path):
    data = b"lora-bytes" * 100
    lora = fake.add_model("Roofs", "LORA", "SD 1.5", files={"roofs.safetensors": data}, trained_words=["redroof"])
    local = tmp_path / "my_roofs.safetensors"
    local.write_bytes(data)
    r = studio.post("/api/civitai/identify", json={"path": str(local)})
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["known"] and found["model_id"] == lora["id"] and found["trained_words"] == ["redroof"]
    assert found["update_available"] is False
    assert fake.requests_to("/api/v1/model-versions/by-hash/")[-1].path.endswith(found["sha256"])

    stranger = tmp_path / "home_trained.safetensors"
    stranger.write_bytes(b"never uploaded")
    assert studio.post("/api/civitai/identify", json={"path": str(stranger)}).json()["known"] is False
    assert studio.post("/api/civitai/identify", json={"path": str(tmp_path / "nope.safetensors")}).status_code == 404
    assert studio.post("/api/civitai/identify", json={}).status_code == 422

    studio.app.state.studio.civitai.client.cache.clear()
    newer = fake.add_version(lora["id"], "v2.0", "SD 1.5", files={"roofs2.safetensors": b"new"})
    again = studio.post("/api/civitai/identify", json={"sha256": found["sha256"]}).json()
    assert again["update_available"] and again["latest_version_id"] == newer["id"]


def test_the_client_drops_the_token_when_a_redirect_leaves_civitai():
    # httpx's own rule, relied on for signed storage URLs on other hosts: checked here so an upgrade
    # that changes it fails loudly.
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "civitai.test":
            return httpx.Response(302, headers={"Location": "http://storage.test/file"})
        seen["auth"] = request.headers.get("authorization")
        return httpx.Response(200, content=b"ok")

    with httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True) as c:
        c.get("http://civitai.test/api/download/models/1", headers={"Authorization": "Bearer t"})
    assert seen["auth"] is None
