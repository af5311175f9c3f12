"""End-to-end fixtures: the real studio as a process serving the built web UI, driven by Chromium.

One server per test module keeps the suite quick; each test opens its own browser context.
Screenshots of every page go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.kit.studio import REPO, ServerProcess, tiny_entry, write_user_config

WEB_DIST = REPO / "web" / "dist"
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("HOLLYWOOL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not (WEB_DIST / "index.html").is_file():
    pytest.skip(
        "web/dist is missing: build the UI first (npm --prefix web ci && npm --prefix web run build)",
        allow_module_level=True,
    )


@pytest.fixture(scope="package")
def browser():
    # Package scope: Playwright's sync API runs an event loop on the main thread while it is open;
    # closing it when the browser tests end keeps it from clashing with later asyncio tests.
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    """The studio as a user runs it, with a tiny SD model registered as `tiny-sd`."""
    root = tmp_path_factory.mktemp("e2e-studio")
    write_user_config(root / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD")})
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _free_the_lane(request):
    """Cancel whatever a test left running, so the next one does not wait behind it."""
    yield
    if "studio" not in request.fixturenames:
        return
    import httpx

    studio = request.getfixturevalue("studio")
    for job in httpx.get(f"{studio.url}/api/jobs", params={"active_only": True}, timeout=10).json()["items"]:
        httpx.post(f"{studio.url}/api/jobs/{job['id']}/cancel", timeout=10)


@pytest.fixture
def page(browser, studio, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="light")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.base = studio.url  # type: ignore[attr-defined]
    yield pg
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        shot(pg, f"FAILED-{request.node.name}")
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session", autouse=True)
def _clean_shots():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    yield
