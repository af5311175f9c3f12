"""Schemathesis over the studio's own OpenAPI schema: no generated request may answer 5xx.

The studio runs in-process on tmp folders with no local model that could generate (only the shipped
catalogue, whose hub models cannot download: HF_HUB_OFFLINE is on and the hub points at a closed port),
and every outside service on a closed local port. A proxy on that closed port catches anything else
that would leave the machine (a URL the fuzzer stored in a setting or a provider), so the run never
reaches the internet. The seed and the budget are fixed: the same requests every run, ~2 minutes on
2 cores.
"""

from __future__ import annotations

import socket

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

# Fuzzing examples per operation (the coverage phase adds its boundary values on top).
MAX_EXAMPLES = 8
SEED = 12


HUGE = 4888537507301783519131965849600  # beyond 64 bits


@pytest.mark.parametrize(
    "path",
    [
        f"/api/jobs?offset={HUGE}",
        f"/api/assets?offset={HUGE}",
        f"/api/video/jobs?offset={HUGE}",
        f"/api/i2v/jobs?offset={HUGE}",
        f"/api/upscale/jobs?offset={HUGE}",
        f"/api/video-assets?offset={HUGE}",
        f"/api/settings/logs?offset={HUGE}",
        f"/api/settings/logs?page={HUGE}",
        f"/api/assets?offset={2**63}",
        "/api/settings/logs/16437285330134919168",
        "/api/settings/logs/-1",
    ],
)
def test_an_integer_beyond_its_bounds_is_a_422_naming_it(make_client, path):
    client = make_client()
    r = client.get(path)
    assert r.status_code == 422, r.text
    field = path.rsplit("?", 1)[-1].split("=")[0] if "?" in path else "log_id"
    assert r.json()["field"] == field
    if "/logs/" in path:
        assert client.delete(path).status_code == 422


def test_seeds_beyond_what_the_engines_take_are_a_422(make_client):
    client = make_client()
    for body in ({"seed": 2**64}, {"seed": -1}, {"seeds": [2**64]}, {"seeds": [1, -5]}):
        r = client.post("/api/jobs", json={"prompt": "x", "model": "sd-turbo", **body})
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"].startswith(next(iter(body))), r.json()


def test_an_absent_log_answers_null_as_the_seed_did(make_client):
    client = make_client()
    r = client.get("/api/settings/logs/123456")
    assert r.status_code == 200 and r.json() is None


def test_logs_page_as_the_seed_asked_for_it(make_client):
    client = make_client()
    for _ in range(3):
        client.post("/api/sessions", json={"name": "s"})
    first = client.get("/api/settings/logs", params={"page": 1, "page_size": 2}).json()
    second = client.get("/api/settings/logs", params={"page": 2, "page_size": 2}).json()
    assert first["page"] == 1 and first["page_size"] == 2 and len(first["logs"]) == 2
    assert first["logs"] == first["items"] and first["total"] == 3
    assert [log["id"] for log in second["logs"]] == [first["items"][-1]["id"] - 1]
    assert client.get("/api/settings/logs", params={"page": 0}).status_code == 422
    assert client.get("/api/settings/logs", params={"page_size": 201}).status_code == 422


def _unbounded_integers(spec: dict) -> list[str]:
    """Every integer a request may carry (parameters and bodies, $refs followed) without both bounds."""
    components = spec.get("components", {}).get("schemas", {})
    found: list[str] = []

    def walk(s: dict, where: str, seen: frozenset) -> None:
        if "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen, s = seen | {name}, components[name]
        bounded = {"minimum", "exclusiveMinimum"} & set(s) and {"maximum", "exclusiveMaximum"} & set(s)
        if s.get("type") == "integer" and not bounded and "enum" not in s and "const" not in s:
            found.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in s.get(key, []):
                walk(sub, where, seen)
        for name, sub in s.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        if isinstance(s.get("items"), dict):
            walk(s["items"], f"{where}[]", seen)
        if isinstance(s.get("additionalProperties"), dict):
            walk(s["additionalProperties"], f"{where}{{}}", seen)

    for path, item in spec["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                walk(param.get("schema", {}), f"{method.upper()} {path} {param['in']} {param['name']}", frozenset())
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{method.upper()} {path} body", frozenset())
    return found


def test_every_integer_a_request_carries_has_both_bounds(make_client):
    """The class of the fuzzer's 64-bit overflows: an integer without a maximum reaches SQLite or an engine."""
    spec = make_client().get("/openapi.json").json()
    unbounded = _unbounded_integers(spec)
    assert not unbounded, "integers without both bounds:\n" + "\n".join(unbounded)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_lifespan(app):
    """The app with a lifespan that does nothing: the fixture's TestClient runs the real one, once,
    and stops the studio when the module ends (schemathesis would stop it only at interpreter exit)."""

    async def asgi(scope, receive, send):
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return

    return asgi


@pytest.fixture(scope="module")
def studio_schema(tmp_path_factory):
    from hollywool.app import create_app
    from hollywool.settings import ServiceUrls, Settings

    root = tmp_path_factory.mktemp("fuzz")
    closed = f"http://127.0.0.1:{_closed_port()}"
    env = pytest.MonkeyPatch()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.setenv(name, closed)
    env.setenv("NO_PROXY", "127.0.0.1,localhost")
    env.setenv("no_proxy", "127.0.0.1,localhost")
    env.setenv("HF_HUB_OFFLINE", "1")
    env.setenv("HF_ENDPOINT", closed)
    env.setenv("HF_HUB_CACHE", str(root / "hub"))  # never the user's own cache (the fuzzer deletes caches)
    services = ServiceUrls(
        civitai=closed, comfyui=closed, fal=closed, krea=closed, higgsfield=closed, anthropic=closed, llm=closed
    )
    app = create_app(
        Settings.from_env(
            data_dir=root / "data",
            outputs_dir=root / "outputs",
            civitai_dir=root / "civitai",
            lora_dirs=(root / "loras",),
            web_dir=None,
            services=services,
            hub_timeout_s=2.0,
            allowed_hosts=("testserver",),  # schemathesis' in-process client sends `Host: testserver`
        )
    )
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan(app))
        schema.config.seed = SEED
        schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
        # Every outside service is unreachable here, and for that the studio answers 502/503/504 with a
        # sentence naming the service (issue 12): those are the right answers; any other 5xx is a fault.
        schema.config.checks.not_a_server_error.expected_statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]
        yield schema
    env.undo()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32.5 renames the test node per operation through `_nodeid`, which pytest 9 nodes
    # no longer have: give it one (it only names the operation in the report).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = (
    schemathesis.pytest.from_fixture("studio_schema")
    # A stream that stays open until the client leaves: a request to it never answers as a whole.
    .exclude(path="/api/events")
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_answers_5xx(case):
    case.call_and_validate(checks=[not_a_server_error])
