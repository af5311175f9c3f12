"""Civitai unreachable or answering oddly, out-of-range input, and the seed's field names.

Never a 500: an unreachable Civitai is a 503 (504 on a timeout) that names it, its address and what to
check, in seconds; an answer the studio cannot read is a 502; a request that is wrong is a 4xx naming
the field. Browse and detail answers also carry Civitai's raw names, which the seed answered with.
"""

from __future__ import annotations

import time

import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.odd import ODD_ANSWERS, OddServer
from tests.kit.studio import free_port

# The requests the outside tester turned into 500s, with a valid request each.
CALLS = [
    ("GET", "/api/civitai/models", None),
    ("GET", "/api/civitai/models/1", None),
    ("GET", "/api/civitai/model-versions/1", None),
    ("POST", "/api/civitai/downloads", {"version_id": 1}),
    ("POST", "/api/civitai/identify", {"sha256": "00000000"}),
]
CALL_IDS = [f"{m} {p}" for m, p, _ in CALLS]


@pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=CALL_IDS)
def test_a_closed_port_is_a_quick_503_naming_civitai_and_what_to_check(make_client, civitai_dir, method, path, body):
    url = f"http://127.0.0.1:{free_port()}"  # bound, then closed: nothing listens there
    client = make_client(services=ServiceUrls(civitai=url), civitai_dir=civitai_dir)
    t0 = time.monotonic()
    r = client.request(method, path, json=body)
    elapsed = time.monotonic() - t0
    assert r.status_code == 503, r.text
    detail = r.json()["detail"]
    assert f"Civitai could not be reached at {url}" in detail and "Civitai address in Settings" in detail
    assert "Error" not in detail  # a sentence, not an exception's name
    assert elapsed < 3, f"took {elapsed:.1f} s: a refused connection is not retried at length"


def test_connections_have_a_short_connect_timeout(studio):
    timeout = studio.app.state.studio.civitai.client._http.timeout
    assert timeout.connect is not None and timeout.connect <= 5


@pytest.fixture(params=ODD_ANSWERS, ids=str)
def odd(request):
    with OddServer(request.param) as server:
        yield server


@pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=CALL_IDS)
def test_an_odd_answer_is_a_502_naming_civitai_never_a_500(make_client, civitai_dir, odd, method, path, body):
    client = make_client(services=ServiceUrls(civitai=odd.url), civitai_dir=civitai_dir)
    client.app.state.studio.civitai.client.backoff_s = 0.01
    r = client.request(method, path, json=body)
    # 200 where what could be read is enough (an empty page; an unknown hash), 404 where Civitai said
    # not found, 502/503 where the answer is unusable; never a 500.
    assert r.status_code in (200, 404, 502, 503), r.text
    if r.status_code >= 400:
        assert "Civitai" in r.json()["detail"] or "model version" in r.json()["detail"]
    if r.status_code in (502, 503):
        assert "try again" in r.json()["detail"]
    assert "<html" not in r.text.lower()  # an error page's markup is not quoted back


def test_an_unreadable_search_result_is_left_out_of_its_page(studio, fake):
    good = fake.add_model("Barn Diffusion", "Checkpoint", "SD 1.5", files={"barn.safetensors": b"x" * 100})
    bad = fake.add_model("Broken", "LORA", "SD 1.5")
    bad["modelVersions"][0]["images"] = [{"url": 5}]  # a number where a URL belongs
    bad["stats"]["rating"] = "high"
    r = studio.get("/api/civitai/models")
    assert r.status_code == 200, r.text
    names = [m["name"] for m in r.json()["items"]]
    assert "Barn Diffusion" in names and "Broken" not in names
    assert studio.get(f"/api/civitai/models/{bad['id']}").status_code == 502
    assert studio.get(f"/api/civitai/models/{good['id']}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "field"),
    [
        ("GET", "/api/civitai/downloads", {"offset": "4888537507301783519131965849600"}, None, "offset"),
        ("GET", "/api/civitai/downloads", {"limit": str(2**70)}, None, "limit"),
        ("GET", f"/api/civitai/models/{2**64}", None, None, "model_id"),
        ("GET", "/api/civitai/models/0", None, None, "model_id"),
        ("GET", f"/api/civitai/model-versions/{2**63}", None, None, "version_id"),
        ("GET", "/api/civitai/model-versions/0", None, None, "version_id"),
        ("POST", "/api/civitai/downloads", None, {"version_id": 2**64}, "version_id"),
        ("POST", "/api/civitai/downloads", None, {"version_id": 1, "file_id": 2**64}, "file_id"),
        ("POST", "/api/civitai/downloads", None, {"version_id": 1, "civitai_model_id": 2**64}, "civitai_model_id"),
        ("POST", "/api/civitai/identify", None, {"sha256": "0" * 65}, "sha256"),
        ("POST", "/api/civitai/identify", None, {"sha256": "not-hex!"}, "sha256"),
        ("POST", "/api/civitai/identify", None, {"path": "/" + "a" * 5000}, "path"),
        ("POST", "/api/civitai/identify", None, {"path": "/tmp/" + "a" * 300 + "/m.safetensors"}, "path"),
        ("POST", "/api/civitai/identify", None, {"path": "/tmp/" + "b/" * 2000 + "m.safetensors"}, "path"),
        ("POST", "/api/civitai/identify", None, {"path": "/tmp/a\u0000b.safetensors"}, "path"),
    ],
)
def test_out_of_range_input_is_a_4xx_naming_the_field(studio, fake, method, path, params, body, field):
    r = studio.request(method, path, params=params, json=body)
    assert 400 <= r.status_code < 500, r.text
    assert field in r.json().get("field", "") or field in r.json()["detail"]
    assert not fake.requests_to("/api/")  # refused before Civitai was asked


def test_browse_and_detail_carry_the_seed_names(studio, fake):
    model = fake.add_model(
        "Barn Diffusion", "Checkpoint", "SD 1.5", files={"barn.safetensors": b"x" * 3000}, tags=["barn"]
    )
    raw_version = model["modelVersions"][0]
    page = studio.get("/api/civitai/models").json()
    assert "nextCursor" in page["metadata"]
    card = page["items"][0]
    detail = studio.get(f"/api/civitai/models/{model['id']}").json()
    for answer in (card, detail):
        assert {"id", "name", "type", "tags", "stats", "creator", "nsfw", "description"} <= set(answer)
        assert answer["versions" if answer is detail else "base_models"]  # the studio's names stay
        assert answer["stats"]["downloadCount"] == model["stats"]["downloadCount"]
        assert answer["stats"]["thumbsUpCount"] == model["stats"]["thumbsUpCount"]
        assert answer["creator"]["username"] == "fake_creator" and answer["tags"] == ["barn"]
        version = answer["modelVersions"][0]
        assert version["id"] == raw_version["id"] and version["name"] == raw_version["name"]
        assert version["baseModel"] == "SD 1.5" and version["downloadUrl"] == raw_version["downloadUrl"]
        file = version["files"][0]
        raw_file = raw_version["files"][0]
        assert (file["id"], file["name"], file["type"]) == (raw_file["id"], raw_file["name"], raw_file["type"])
        assert file["sizeKB"] == pytest.approx(raw_file["sizeKB"], rel=1e-3)
        assert {"url", "nsfw", "width", "height", "type"} <= set(version["images"][0])


def test_the_seed_download_body_is_accepted(studio, fake):
    model = fake.add_model(
        "Barn Diffusion", "Checkpoint", "SD 1.5", files={"barn.safetensors": b"x" * 3000, "extra.vae.pt": b"v" * 10}
    )
    version = model["modelVersions"][0]
    vae = next(f for f in version["files"] if f["name"] == "extra.vae.pt")
    body = {
        "civitai_model_id": model["id"],
        "version_id": version["id"],
        "model_name": model["name"],
        "type": "Checkpoint",
        "filename": vae["name"],
        "download_url": "http://elsewhere.invalid/steal",  # never fetched: the file comes through Civitai
        "base_model": "SD 1.5",
        "file_size_kb": 0.01,
    }
    r = studio.post("/api/civitai/downloads", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["version_id"] == version["id"] and r.json()["file_id"] == vae["id"]


def test_a_civitai_that_never_answers_is_a_quick_504_within_the_configured_timeout(make_client, civitai_dir):
    from tests.fakes.odd import HangingServer

    with HangingServer() as hanging:
        client = make_client(services=ServiceUrls(civitai=hanging.url), civitai_dir=civitai_dir, civitai_timeout_s=1.0)
        t0 = time.monotonic()
        r = client.get("/api/civitai/models")
        elapsed = time.monotonic() - t0
    assert r.status_code == 504, r.text
    detail = r.json()["detail"]
    assert "did not answer within 1 s" in detail and "HOLLYWOOL_CIVITAI_TIMEOUT" in detail
    assert elapsed < 4, f"took {elapsed:.1f} s: a page waits the configured timeout, once"


def test_the_civitai_timeout_is_a_setting(monkeypatch):
    from hollywool.settings import Settings

    monkeypatch.setenv("HOLLYWOOL_CIVITAI_TIMEOUT", "3.5")
    assert Settings.from_env().civitai_timeout_s == 3.5
    monkeypatch.delenv("HOLLYWOOL_CIVITAI_TIMEOUT")
    assert Settings.from_env().civitai_timeout_s <= 10  # a few seconds by default, not httpx's 30
