"""A studio restart re-attaches to a paid request; API keys never leave the secrets file."""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import httpx
import pytest

from hollywool.settings import ServiceUrls
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.fal import FakeFal
from tests.fakes.krea import FakeKrea
from tests.kit.studio import ServerProcess
from tests.remote.fixtures import FAST_REMOTE_ENV, wait_until

FAL_KEY = "fal-id-7f3a9c21:fal-secret-Zq8XwB41kP"
KREA_KEY = "krea-tok-Hn3mQ9vR2sT7"
ANTHROPIC_KEY = "sk-ant-api03-Yb6dW1cL8eF4"
WRONG_KEY = "fal-id-wrong77:fal-secret-NOPE5522xx"
SECRETS = (FAL_KEY, KREA_KEY, ANTHROPIC_KEY, WRONG_KEY, *FAL_KEY.split(":"), *WRONG_KEY.split(":"))


def _assert_clean(text: str | bytes, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in data, f"a key appeared in {where}"


def _assert_db_clean(data_dir: Path) -> None:
    for path in data_dir.glob("hollywool.db*"):  # the database, its WAL and shared memory
        _assert_clean(path.read_bytes(), path.name)
    conn = sqlite3.connect(data_dir / "hollywool.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert {"jobs", "assets", "costs", "provider_configs", "request_logs", "settings"} <= set(tables)
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                _assert_clean(repr(row), f"table {table}")
    finally:
        conn.close()


def test_restart_mid_job_reattaches_without_a_second_submit(tmp_path):
    with FakeFal(api_key=FAL_KEY) as fal:
        env = {**FAST_REMOTE_ENV, "HOLLYWOOL_FAL_URL": fal.url}
        fal.queue_polls = 150  # about 3 s in the queue: time to kill the studio mid-request
        server = ServerProcess(tmp_path, env=env).start()
        try:
            assert httpx.put(f"{server.url}/api/providers/fal", json={"api_key": FAL_KEY}).status_code == 200
            job_id = httpx.post(
                f"{server.url}/api/bulk/jobs",
                json={
                    "prompts": ["a red fox in snow"],
                    "model": "fal:fal-ai/flux/schnell",
                    "width": 256,
                    "height": 256,
                },
            ).json()["job_id"]
            wait_until(lambda: fal.submissions and fal.status_polls >= 3, what="the request to be polled")
            server.kill()
        finally:
            server.stop()
        polls_before = fal.status_polls
        request_id = next(iter(fal.jobs))
        fal.jobs[request_id].queue_left = 2  # the provider moves on while the studio is down
        server = ServerProcess(tmp_path, env=env).start()
        try:
            view = wait_until(
                lambda: (v := httpx.get(f"{server.url}/api/bulk/jobs/{job_id}").json())["completed"] == 1 and v,
                what="the batch to finish after the restart",
            )
            item = view["items"][0]
            child = httpx.get(f"{server.url}/api/jobs/{item['job_id']}").json()
            responses = [
                httpx.get(f"{server.url}{p}").text
                for p in (
                    "/api/providers",
                    "/api/providers/fal",
                    f"/api/jobs/{item['job_id']}",
                    "/api/jobs?include_children=1",
                    f"/api/bulk/jobs/{job_id}",
                    "/api/costs",
                    "/api/settings",
                    "/api/settings/logs",
                    "/api/assets",
                )
            ]
        finally:
            server.stop()
        assert len(fal.submissions) == 1, "the restarted studio re-attached instead of submitting again"
        assert fal.status_polls > polls_before
        assert child["result"]["provider_request_id"] == request_id
        assert item["asset_id"] and child["attempts"] == 2
        for n, text in enumerate(responses):
            _assert_clean(text, f"API response {n}")
        for log in tmp_path.glob("server-*.log"):
            _assert_clean(log.read_bytes(), log.name)
        _assert_db_clean(tmp_path / "data")
        secrets = tmp_path / "data" / "secrets.json"
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600 and FAL_KEY in secrets.read_text()


@pytest.fixture
def secret_fakes():
    with FakeFal(api_key=FAL_KEY) as fal, FakeKrea(token=KREA_KEY) as krea, FakeAnthropic(api_key=ANTHROPIC_KEY) as an:
        yield fal, krea, an


def test_keys_never_appear_in_responses_logs_params_errors_exports_or_rows(
    make_client, fast_remote, secret_fakes, studio_dirs, caplog, monkeypatch
):
    fal, krea, anthropic = secret_fakes
    caplog.set_level(logging.DEBUG)
    client = make_client(services=ServiceUrls(fal=fal.url, krea=krea.url, anthropic=anthropic.url))
    bodies: list[str] = []

    def call(method: str, url: str, **kw) -> httpx.Response:
        r = client.request(method, url, **kw)
        bodies.append(r.text if not r.headers.get("content-type", "").startswith("application/zip") else "")
        if r.headers.get("content-type", "").startswith("application/zip"):
            _assert_clean(r.content, "the export zip")
        return r

    call("PUT", "/api/providers/fal", json={"api_key": FAL_KEY})
    call("PUT", "/api/providers/krea", json={"api_key": KREA_KEY})
    record = call("PUT", "/api/providers/anthropic", json={"api_key": ANTHROPIC_KEY}).json()
    assert record["has_api_key"] and record["api_key_masked"] == "••••" + ANTHROPIC_KEY[-4:]
    monkeypatch.setenv("HIGGSFIELD_API_KEY", "hf-env-key-id:hf-env-key-secret")
    higgs = call("GET", "/api/providers/higgsfield").json()
    assert higgs["has_api_key"] and higgs["key_source"] == "env"
    for provider in ("fal", "krea", "anthropic"):
        assert call("POST", f"/api/providers/{provider}/test").json()["ok"]
    call("POST", "/api/providers/fal/discover")
    call("POST", "/api/providers/krea/discover")
    # a provider that echoes the key back in an error must not carry it into the job's error
    fal.fail_next(1, 400, path_prefix="/fal-ai/flux/schnell", message=f"bad key {FAL_KEY}")
    batch = call(
        "POST",
        "/api/bulk/jobs",
        json={"prompts": ["one", "two"], "model": "fal:fal-ai/flux/schnell", "width": 256, "height": 256},
    ).json()
    wait_until(lambda: call("GET", f"/api/bulk/jobs/{batch['job_id']}").json()["status"] in ("failed", "completed"))
    view = call("GET", f"/api/bulk/jobs/{batch['job_id']}").json()
    assert view["failed"] == 1 and "[redacted]" in next(i["error"] for i in view["items"] if i["error"])
    call("POST", f"/api/bulk/jobs/{batch['job_id']}/retry")
    wait_until(lambda: call("GET", f"/api/bulk/jobs/{batch['job_id']}").json()["completed"] == 2)
    call("GET", f"/api/bulk/jobs/{batch['job_id']}/export")
    krea_job = client.app.state.studio.jobs.submit("remote", {"model": "krea:bfl/flux-1-dev", "prompt": "p"})
    wait_until(lambda: call("GET", f"/api/jobs/{krea_job.id}").json()["status"] == "completed")
    assert len(call("POST", "/api/bulk/variations", json={"base_prompt": "owls", "count": 3}).json()["variations"]) == 3
    call("PUT", "/api/providers/fal", json={"api_key": WRONG_KEY})
    assert not call("POST", "/api/providers/fal/test").json()["ok"]
    wrong = client.app.state.studio.jobs.submit("remote", {"model": "fal:fal-ai/flux/schnell", "prompt": "p"})
    wait_until(lambda: call("GET", f"/api/jobs/{wrong.id}").json()["status"] == "failed")
    for url in (
        "/api/providers",
        "/api/jobs?include_children=1&limit=100",
        "/api/assets",
        "/api/costs",
        "/api/settings",
        "/api/settings/logs",
        "/api/bulk/jobs",
    ):
        call("GET", url)
    assert anthropic.messages[0][0].get("authorization") == f"Bearer {ANTHROPIC_KEY}"  # the key was used...
    for n, body in enumerate(bodies):  # ...and never shown
        _assert_clean(body, f"response {n}")
    _assert_clean(caplog.text, "the log")
    _assert_db_clean(studio_dirs["data_dir"])
    for asset in call("GET", "/api/assets").json()["items"]:
        _assert_clean(repr(asset["params"]), "asset params")
