"""A ComfyUI server that is down or answers oddly: the studio answers 502/503/504 with a sentence
naming ComfyUI, its URL and what to do; never a 500. Status answers 200 with available=false."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.kit.studio import free_port

ODDITIES = ["closed port", "html", "wrong shape", "500"]


@pytest.fixture(params=ODDITIES)
def odd(request, studio_for, fake_comfy):
    """(client, url) of a studio whose ComfyUI is down or answers oddly."""
    if request.param == "closed port":
        url = f"http://127.0.0.1:{free_port()}"
    else:
        url = fake_comfy.url
        if request.param == "500":
            fake_comfy.fail_next(10_000, status=500)
        else:
            fake_comfy.answer_oddly = "html" if request.param == "html" else "shape"
    return studio_for(url), url


def assert_names_comfyui_and_what_to_do(r, url: str) -> None:
    assert r.status_code in (502, 503, 504), (r.status_code, r.text)
    detail = r.json()["detail"]
    assert "ComfyUI" in detail and url in detail, detail
    assert "Settings" in detail and "HOLLYWOOL_COMFYUI_URL" in detail, detail


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/comfyui/object-info"),
        ("GET", "/api/comfyui/object-info?refresh=true&node_class=KSampler"),
        ("POST", "/api/comfyui/interrupt"),
        ("POST", "/api/comfyui/clear-queue"),
    ],
)
def test_server_routes_answer_a_gateway_error_naming_comfyui(odd, method, path, request):
    client, url = odd
    if method == "POST" and "wrong shape" in request.node.callspec.id:
        # ComfyUI answers these with an empty body; any JSON answer is accepted, never a 500.
        assert client.request(method, path).status_code == 200
        return
    assert_names_comfyui_and_what_to_do(client.request(method, path), url)


def test_status_says_unavailable_with_a_sentence(odd):
    client, url = odd
    r = client.get("/api/comfyui/status")
    assert r.status_code == 200, r.text
    status = r.json()
    assert status["available"] is False and status["reachable"] is False
    assert status["server_url"] == url and status["url"] == url
    assert status["queue_running"] == 0 and status["queue_pending"] == 0
    assert url in status["error"] and "HOLLYWOOL_COMFYUI_URL" in status["error"], status["error"]
    assert "object has no attribute" not in status["error"]


def test_importing_an_editor_workflow_from_an_odd_server_is_a_gateway_error(odd, txt2img_editor):
    client, url = odd
    r = client.post("/api/comfyui/workflows", json={"name": "x", "workflow_json": txt2img_editor})
    assert_names_comfyui_and_what_to_do(r, url)


@pytest.mark.parametrize("oddity", ["html", "shape", "object"])
def test_an_upload_answered_oddly_is_a_gateway_error(studio_for, fake_comfy, oddity):
    """The upload's answer must name the file on the server (the value for an IMAGE input)."""
    fake_comfy.answer_oddly = oddity
    client = studio_for(fake_comfy.url)
    r = client.post("/api/comfyui/upload", files={"image": ("mine.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert_names_comfyui_and_what_to_do(r, fake_comfy.url)


@pytest.fixture
def silent_port():
    """A port whose connections hang in the handshake: a listening socket with a full backlog."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in (*fillers, server):
        sock.close()


def test_a_server_that_does_not_accept_connections_fails_within_seconds(make_client, silent_port):
    from hollywool.settings import ServiceUrls

    url = f"http://127.0.0.1:{silent_port}"
    client = make_client(services=ServiceUrls(comfyui=url))  # the default timeouts
    started = time.monotonic()
    r = client.get("/api/comfyui/object-info")
    assert time.monotonic() - started < 10
    assert_names_comfyui_and_what_to_do(r, url)
