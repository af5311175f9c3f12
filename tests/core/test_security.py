"""The HTTP layer's defences: Host allowlist, Origin checks, cross-site writes, /outputs headers,
token mode on the docs, token redaction in logs, request size limits and odd header bytes."""

from __future__ import annotations

import hashlib
import json
import logging
import select
import socket
import threading
import time
from base64 import b64encode

import httpx
import pytest
from starlette.websockets import WebSocketDisconnect

from tests.kit.studio import free_port

EVIL = "https://evil.example"
FORM = {"content-type": "application/x-www-form-urlencoded", "origin": EVIL}


def _ws_refused(client, headers: dict) -> int:
    """The close code of a websocket the studio refuses at the handshake."""
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/api/ws", headers=headers) as ws:
        ws.receive_json()
    return refused.value.code


# -- Host header (DNS rebinding) -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost:8031", "127.0.0.1", "127.0.0.1:8031", "[::1]:8031", "192.168.1.20:8031"])
def test_host_names_the_studio_serves_are_answered(make_client, host):
    client = make_client(allowed_hosts=())
    assert client.get("/api/health", headers={"host": host}).status_code == 200


def test_a_rebound_host_name_is_refused_everywhere(make_client):
    client = make_client(allowed_hosts=())
    for path in ("/api/health", "/api/settings", "/", "/outputs/x.png"):
        r = client.get(path, headers={"host": "attacker.example:8031"})
        assert r.status_code == 400, path
        assert "Host not allowed: attacker.example" in r.json()["detail"]
        assert "HOLLYWOOL_ALLOWED_HOSTS" in r.json()["detail"]
    r = client.post("/api/models/unload", headers={"host": "attacker.example", "x-hollywool": "1"})
    assert r.status_code == 400
    assert _ws_refused(client, {"host": "attacker.example"}) == 1008
    # The test client's own name is no exception outside the test fixtures' explicit setting.
    assert client.get("/api/health").status_code == 400


def test_configured_and_started_host_names_are_answered(make_client, monkeypatch):
    monkeypatch.setenv("HOLLYWOOL_ALLOWED_HOSTS", "studio.lan, Other.Example ")
    from hollywool.settings import Settings

    settings = Settings.from_env()
    assert settings.allowed_hosts == ("studio.lan", "other.example")
    client = make_client(allowed_hosts=settings.allowed_hosts, host="box.local")
    for host in ("studio.lan:8031", "other.example", "box.local:8031"):
        assert client.get("/api/health", headers={"host": host}).status_code == 200, host
    assert client.get("/api/health", headers={"host": "box.local.evil.example"}).status_code == 400


def test_a_wildcard_listen_address_is_not_a_host_name(make_client):
    client = make_client(allowed_hosts=(), host="0.0.0.0", token="s3cret")
    r = client.get("/api/health", headers={"host": "0.0.0.0.evil.example", "authorization": "Bearer s3cret"})
    assert r.status_code == 400


# -- Origin on the live streams ---------------------------------------------------------------------


def test_websocket_refuses_a_foreign_origin(make_client):
    client = make_client()
    assert _ws_refused(client, {"origin": EVIL}) == 1008
    assert _ws_refused(client, {"origin": "null"}) == 1008
    assert _ws_refused(client, {"origin": "http://testserver.evil.example"}) == 1008


@pytest.mark.parametrize("origin", [None, "http://testserver", "https://studio.example"])
def test_websocket_accepts_same_origin_configured_origins_and_non_browsers(make_client, origin):
    client = make_client(allowed_origins=("https://studio.example",))
    headers = {"origin": origin} if origin else {}
    with client.websocket_connect("/api/ws", headers=headers) as ws:
        assert ws.receive_json() == {"type": "hello"}


def test_event_stream_refuses_a_foreign_origin(make_client):
    client = make_client()
    r = client.get("/api/events", headers={"origin": EVIL})
    assert r.status_code == 403
    assert "HOLLYWOOL_ALLOWED_ORIGINS" in r.json()["detail"]


def test_settings_read_allowed_origins_from_the_environment(monkeypatch):
    from hollywool.settings import Settings

    monkeypatch.setenv("HOLLYWOOL_ALLOWED_ORIGINS", "https://studio.example/, http://Box.Local:8030")
    assert Settings.from_env().allowed_origins == ("https://studio.example", "http://box.local:8030")


# -- Cross-site form posts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/comfyui/clear-queue", "/api/models/unload", "/api/models/tiny-sd/download", "/api/jobs/x/cancel"]
)
def test_a_cross_site_form_post_is_refused(make_client, path):
    client = make_client()
    r = client.post(path, content=b"a=1", headers=FORM)
    assert r.status_code == 403
    assert "X-HollyWool" in r.json()["detail"]


def test_a_cross_site_multipart_workflow_import_is_refused(make_client):
    client = make_client()
    files = {"file": ("w.json", b'{"1": {"class_type": "KSampler", "inputs": {}}}', "application/json")}
    r = client.post("/api/comfyui/workflows", files=files, data={"name": "x"}, headers={"origin": EVIL})
    assert r.status_code == 403
    assert client.get("/api/comfyui/workflows").json() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain", "origin": "null"},  # a sandboxed frame or a privacy-minded referrer policy
        {"content-type": "text/plain", "referer": f"{EVIL}/page"},  # an older browser that sent no Origin
        {"content-type": "text/plain", "sec-fetch-site": "cross-site"},
    ],
)
def test_other_cross_site_markers_are_refused(make_client, headers):
    assert make_client().post("/api/models/unload", content=b"x", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"x-hollywool": "1", "origin": EVIL},  # a custom header: a browser would have asked first (preflight)
        {"origin": "http://testserver"},  # same origin
        {"origin": "https://studio.example"},  # configured
        {"referer": "http://testserver/models"},
        {},  # no browser markers: a script, the CLI, the seed's clients
    ],
)
def test_writes_that_are_not_cross_site_pass(make_client, headers):
    client = make_client(allowed_origins=("https://studio.example",))
    assert client.post("/api/models/unload", headers=headers).status_code == 200


def test_json_writes_pass_because_browsers_preflight_them(make_client):
    client = make_client()
    r = client.put("/api/settings", json={"theme": "dark"}, headers={"origin": EVIL})
    assert r.status_code == 200, r.text


# -- /outputs and the web UI's headers --------------------------------------------------------------


def test_an_html_output_is_downloaded_not_rendered(make_client, studio_dirs):
    client = make_client()
    out = studio_dirs["outputs_dir"]
    (out / "x.html").write_text("<script>fetch('/api/settings')</script>")
    (out / "y.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    for name in ("x.html", "y.svg"):
        r = client.get(f"/outputs/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]


def test_media_outputs_are_served_inline_with_nosniff_and_a_policy(make_client, studio_dirs):
    client = make_client()
    out = studio_dirs["outputs_dir"]
    for name, kind in (("a.png", "image/png"), ("b.mp4", "video/mp4"), ("c.webp", "image/webp"), ("d.wav", "audio")):
        (out / name).write_bytes(b"\x00" * 16)
        r = client.get(f"/outputs/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(kind), name
        assert "attachment" not in r.headers.get("content-disposition", "")
        assert r.headers["x-content-type-options"] == "nosniff"
        policy = r.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "sandbox" in policy


def test_web_ui_pages_carry_a_policy_that_allows_their_own_inline_script(make_client, tmp_path):
    web = tmp_path / "web"
    (web / "static").mkdir(parents=True)
    script = "\n      document.documentElement.dataset.theme = 'dark';\n    "
    (web / "index.html").write_text(f"<html><head><script>{script}</script></head><body></body></html>")
    (web / "static" / "app.js").write_text("console.log(1)")
    client = make_client(web_dir=web)
    digest = b64encode(hashlib.sha256(script.encode()).digest()).decode()
    for path in ("/", "/image", "/static/app.js"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["x-content-type-options"] == "nosniff"
        policy = r.headers["content-security-policy"]
        assert f"'sha256-{digest}'" in policy
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy
    assert client.get("/api/health").headers["x-content-type-options"] == "nosniff"


def test_no_cors_headers_are_given_to_other_origins(make_client):
    r = make_client().get("/api/health", headers={"origin": EVIL})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-credentials" not in r.headers


# -- Token mode -------------------------------------------------------------------------------------


def test_docs_and_schema_need_the_token(make_client):
    client = make_client(token="s3cret")
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"authorization": "Bearer s3cret"}).status_code == 200, path
    client.cookies.set("hollywool_token", "s3cret")
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("blank", [" ", "   ", "\t\n"])
def test_a_blank_token_is_refused_at_start(monkeypatch, blank):
    from hollywool.settings import Settings

    monkeypatch.setenv("HOLLYWOOL_TOKEN", blank)
    with pytest.raises(ValueError, match="HOLLYWOOL_TOKEN"):
        Settings.from_env()


# -- Request size limits ------------------------------------------------------------------------------


def test_an_oversized_json_body_is_refused_with_a_sentence(make_client):
    client = make_client()
    r = client.put("/api/settings", content=json.dumps({"theme": "x" * (2 * 2**20)}), headers={"x-hollywool": "1"})
    assert r.status_code == 413
    assert "MB" in r.json()["detail"] and "limit" in r.json()["detail"]


def test_legitimate_large_bodies_are_read(make_client):
    client = make_client()
    workflow = {"1": {"class_type": "Note", "inputs": {"text": "x" * (5 * 2**20)}}}
    r = client.post("/api/comfyui/workflows", json={"name": "big", "workflow_json": workflow})
    assert r.status_code != 413
    big_image = "A" * (8 * 2**20)  # a reference image in base64 of about 6 MB of bytes
    body = {"prompt": "x", "model": "nope", "reference_images": [{"image_base64": big_image}]}
    assert client.post("/api/jobs", json=body).status_code != 413


@pytest.fixture
def live_server(studio_dirs):
    """The app under a real uvicorn in this process, with uvicorn's own logging set-up (as `serve`)."""
    import uvicorn

    from hollywool.app import create_app
    from hollywool.settings import Settings

    servers = []

    def start(**overrides) -> str:
        port = free_port()
        app = create_app(Settings.from_env(**{**studio_dirs, **overrides}))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(15)


def _read_response(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _content_length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body[: _content_length(data)] or b"null")


def _content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_huge_declared_body_is_refused_before_it_is_sent(live_server):
    address = live_server()
    host, port = address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST /api/jobs HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * 2**20}\r\n\r\n".encode()
        )
        status, body = _read_response(sock)  # answered without a single body byte sent
    assert status == 413
    assert "limit" in body["detail"]


def test_a_huge_streamed_body_is_refused_without_reading_it_all(live_server):
    address = live_server()
    host, port = address.split(":")
    chunk = b"x" * 2**20
    sent = 0
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST /api/comfyui/workflows HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        answered = False
        while sent < 300 * 2**20:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the server closed after answering
                break
            sent += len(chunk)
            wait = 0 if sent < 20 * 2**20 else 0.2
            if select.select([sock], [], [], wait)[0]:
                answered = True
                break
        assert answered, f"no answer after {sent / 2**20:.0f} MB"
        status, body = _read_response(sock)
    assert status == 413
    assert "20 MB" in body["detail"]
    assert sent < 60 * 2**20  # the 20 MB limit, plus what the sockets buffer


def test_a_non_utf8_header_byte_before_authentication_is_not_a_server_error(live_server):
    address = live_server(token="s3cret")
    host, port = address.split(":")

    def get(*headers: bytes) -> int:
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (address.encode(), b"".join(headers)))
            return _read_response(sock)[0]

    odd = b"X-Odd: caf\xe9 \xff\r\n"
    assert get(odd) == 401
    assert get(odd, b"Cookie: hollywool_token=\xff\r\n") == 401
    assert get(b"Authorization: Bearer \xffs3cret\r\n") == 401
    assert get(odd, b"Authorization: Bearer s3cret\r\n") == 200


# -- The token never in logs ------------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_query_tokens_are_redacted_from_server_logs(live_server):
    from websockets.sync.client import connect

    address = live_server(token="s3cret-token")
    collected = _Lines()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(collected)
    try:
        assert httpx.get(f"http://{address}/api/health?token=s3cret-token&x=1").status_code == 200
        with connect(f"ws://{address}/api/ws?token=s3cret-token") as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        with httpx.stream("GET", f"http://{address}/api/events?token=s3cret-token") as r:
            assert r.status_code == 200
        time.sleep(0.2)
    finally:
        for logger in loggers:
            logger.removeHandler(collected)
    lines = collected.lines
    assert any("/api/health?token=***&x=1" in line for line in lines), lines
    assert any("/api/ws?token=***" in line for line in lines), lines
    assert any("/api/events?token=***" in line for line in lines), lines
    assert not any("s3cret-token" in line for line in lines)


def test_the_a1111_api_takes_the_token_as_basic_auth_password(make_client):
    client = make_client(token="s3cret")
    refused = client.get("/sdapi/v1/options")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Basic"
    assert client.get("/sdapi/v1/options", auth=("anyone", "wrong")).status_code == 401
    assert client.get("/sdapi/v1/options", headers={"authorization": "Basic %%%"}).status_code == 401
    assert client.get("/sdapi/v1/samplers", auth=("anyone", "s3cret")).status_code == 200
    assert client.get("/sdapi/v1/samplers", headers={"authorization": "Bearer s3cret"}).status_code == 200


def test_the_a1111_api_refuses_writes_from_other_sites(make_client):
    assert make_client().post("/sdapi/v1/interrupt", headers=FORM).status_code == 403


def test_unknown_api_paths_are_a_json_404_beside_the_web_ui(make_client, tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<html></html>")
    client = make_client(web_dir=web)
    for path in ("/sdapi/v1/no-such-route", "/v1/no-such-route"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/json"), path
