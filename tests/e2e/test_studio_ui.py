"""The web studio as a person uses it, in headless Chromium against the real backend."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _api(studio, method: str, path: str, **kw):
    r = httpx.request(method, f"{studio.url}{path}", timeout=30, **kw)
    r.raise_for_status()
    return r.json()


def _has_catalogue(studio) -> bool:
    return httpx.get(f"{studio.url}/api/models", timeout=10).status_code == 200


def _long_job(studio, steps: int = 200) -> str:
    """A job that runs for seconds on CPU: many steps at 128x128."""
    body = {"prompt": "a long running lighthouse", "model": "tiny-sd", "width": 128, "height": 128, "steps": steps}
    return _api(studio, "POST", "/api/jobs", json=body)["job_id"]


def _wait_running(studio, job_id: str) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = _api(studio, "GET", f"/api/jobs/{job_id}")
        if job["status"] == "running" and job["step"] > 0:
            return
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.1)
    raise TimeoutError("job did not start")


def test_generate_find_reuse_delete(page, studio):
    """Generate from the Image page, watch progress and previews, then the gallery round trip."""
    page.goto(studio.url + "/")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    if _has_catalogue(studio):
        # A new user's form starts on the one model that runs without a download, not a hub model to fetch.
        expect(page.get_by_test_id("model-select")).to_have_value("tiny-sd")
        page.get_by_test_id("model-select").select_option("tiny-sd")
    else:  # the image engine's catalogue endpoint has not landed: the form takes a model id
        page.get_by_test_id("model-input").fill("tiny-sd")
    page.get_by_test_id("prompt").fill("a red fox in the snow, e2e")
    page.get_by_role("radio", name="Aspect 1:1").click()
    page.get_by_test_id("width").fill("128")
    page.get_by_test_id("height").fill("128")
    page.get_by_test_id("steps").fill("80")
    page.get_by_role("radio", name="fixed").check()
    page.get_by_test_id("seed").fill("1234")
    shot(page, "image-page")

    # Bad input: the API's own limit is mirrored in the form, shown next to the field.
    page.get_by_test_id("steps").fill("500")
    page.get_by_test_id("prompt").press("Control+Enter")
    expect(page.get_by_test_id("error-steps")).to_contain_text("200")
    page.get_by_test_id("steps").fill("80")

    # Ctrl+Enter generates; live progress shows stage, step count and previews (80 steps: long enough to see).
    page.get_by_test_id("prompt").press("Control+Enter")
    progress = page.get_by_test_id("job-progress").first
    expect(progress).to_be_visible()
    # The first job also loads the model (imports and weights: tens of seconds on a busy 2-core machine).
    expect(progress.get_by_test_id("job-steps")).to_contain_text(re.compile(r"step \d+/\d+"), timeout=90_000)
    shot(page, "image-progress")
    # The session is named from the prompt.
    expect(page.get_by_test_id("session-item").first).to_contain_text("A red fox in the snow")
    # The result lands in the session's grid.
    expect(page.get_by_test_id("result-image").first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("running-jobs")).to_have_count(0)
    shot(page, "image-results")

    # Gallery: search by prompt finds it; open its details.
    page.get_by_role("link", name="Assets").click()
    page.get_by_test_id("asset-search").fill("red fox")
    tile = page.get_by_test_id("asset-tile").first
    expect(tile).to_be_visible()
    expect(page.get_by_test_id("asset-total")).to_have_text("1 item")
    shot(page, "assets")
    tile.click()
    expect(page.get_by_test_id("asset-prompt")).to_have_text("a red fox in the snow, e2e")
    expect(page.get_by_test_id("asset-seed")).to_have_text("1234")
    expect(page.get_by_test_id("asset-metadata")).to_contain_text("tiny-sd")
    expect(page.get_by_test_id("asset-image")).to_be_visible()
    shot(page, "asset-detail")
    page.get_by_test_id("fullscreen").click()
    expect(page.get_by_test_id("fullscreen-view")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("fullscreen-view")).to_have_count(0)
    asset_url = page.url

    # "Use these settings" brings prompt, steps and the fixed seed back to the Image page.
    page.get_by_test_id("use-settings").click()
    expect(page).to_have_url(re.compile(r"/(\?session=.*)?$"))
    expect(page.get_by_test_id("prompt")).to_have_value("a red fox in the snow, e2e")
    expect(page.get_by_test_id("steps")).to_have_value("80")
    expect(page.get_by_test_id("seed")).to_have_value("1234")

    # Delete it from its detail page; the gallery no longer has it.
    page.goto(asset_url)
    page.get_by_test_id("delete-asset").click()
    page.get_by_test_id("confirm-delete").click()
    expect(page).to_have_url(re.compile(r"/assets$"))
    page.get_by_test_id("asset-search").fill("red fox")
    expect(page.get_by_test_id("asset-tile")).to_have_count(0)
    assert _api(studio, "GET", "/api/assets", params={"search": "red fox"})["total"] == 0


def test_previews_arrive_during_generation(page, studio):
    job_id = _long_job(studio, steps=60)
    page.goto(f"{studio.url}/queue/{job_id}")
    progress = page.get_by_test_id("job-progress")
    expect(progress.get_by_test_id("job-preview")).to_be_visible(timeout=30_000)
    src = progress.get_by_test_id("job-preview").get_attribute("src")
    assert src and src.startswith("data:image/")
    shot(page, "job-preview")
    _api(studio, "POST", f"/api/jobs/{job_id}/cancel")


def test_cancel_running_job_from_queue(page, studio):
    job_id = _long_job(studio)
    page.goto(studio.url + "/queue")
    row = page.locator(f'[data-testid="queue-row"][data-job-id="{job_id}"]')
    expect(row).to_have_attribute("data-status", "running", timeout=30_000)
    expect(page.get_by_test_id("active-count")).to_have_text("1")
    shot(page, "queue-running")
    row.get_by_test_id("cancel-job").click()
    expect(row).to_have_attribute("data-status", "cancelled", timeout=30_000)
    expect(page.get_by_test_id("active-count")).to_have_count(0)
    assert _api(studio, "GET", f"/api/jobs/{job_id}")["status"] == "cancelled"
    # Its detail page shows the parameters and the outcome; retry is offered.
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("job-params")).to_contain_text("a long running lighthouse")
    expect(page.get_by_test_id("retry-job")).to_be_visible()
    shot(page, "job-detail")


def test_reload_during_a_job_still_shows_it(page, studio):
    job_id = _long_job(studio)
    _wait_running(studio, job_id)
    page.goto(studio.url + "/queue")
    row = page.locator(f'[data-testid="queue-row"][data-job-id="{job_id}"]')
    expect(row).to_have_attribute("data-status", "running")
    page.reload()
    expect(row).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("active-count")).to_have_text("1")
    # The notifications list tracks it too, with live progress.
    page.get_by_test_id("notifications").click()
    expect(page.get_by_role("progressbar").first).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(f"{studio.url}/queue/{job_id}")
    expect(page.get_by_test_id("job-progress")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("job-stages")).to_contain_text("Generating")
    _api(studio, "POST", f"/api/jobs/{job_id}/cancel")
    expect(page.get_by_test_id("job-status").first).to_have_attribute("data-status", "cancelled")


def test_theme_switch_survives_reload(page, studio):
    page.goto(studio.url + "/settings")
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.get_by_role("radio", name="Dark theme").click()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    page.reload()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    expect(page.get_by_role("radio", name="Dark theme")).to_have_attribute("aria-checked", "true")
    shot(page, "settings-dark")
    page.get_by_role("radio", name="Light theme").click()
    page.reload()
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))


def test_every_page_renders(page, studio):
    """A screenshot of each page, and the header's system details on hover."""
    page.goto(studio.url + "/models")
    if _has_catalogue(studio):
        card = page.locator('[data-testid="model-card"][data-model-id="tiny-sd"]')
        expect(card).to_be_visible()
        expect(card).to_contain_text("local")
        expect(card).to_contain_text("Stable Diffusion 1.x/2.x")  # the family as a person names it, not "sd"
        shot(page, "models")
        card.get_by_role("link").first.click()
        expect(page.get_by_test_id("model-detail")).to_contain_text("tiny-sd")
        expect(page.get_by_test_id("model-detail")).to_contain_text("Stable Diffusion 1.x/2.x (sd)")
        shot(page, "model-detail")
    else:
        expect(page.get_by_text("not available on this server yet")).to_be_visible()
        shot(page, "models")
    page.get_by_test_id("system-info").hover()
    expect(page.get_by_test_id("system-details")).to_contain_text("Memory")
    shot(page, "system-details")
    page.goto(studio.url + "/settings")
    expect(page.get_by_test_id("setting-max_log_entries")).to_have_value("1000")
    page.get_by_test_id("setting-max_log_entries").fill("5")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_test_id("error-max_log_entries")).to_be_visible()
    page.get_by_test_id("setting-max_log_entries").fill("500")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_text("Saved")).to_be_visible()
    shot(page, "settings")
    page.goto(studio.url + "/logs")
    expect(page.get_by_test_id("logs-table")).to_contain_text("/api/settings")
    shot(page, "request-logs")


def test_backend_away_banner_and_recovery(browser, tmp_path, tiny_model):
    """Stop the server under an open page: a banner says so; start it again: the page recovers."""
    from tests.e2e.conftest import WEB_DIST
    from tests.kit.studio import ServerProcess, tiny_entry, write_user_config

    write_user_config(tmp_path / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD")})
    server = ServerProcess(tmp_path, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    context = browser.new_context()
    pg = context.new_page()
    try:
        pg.goto(server.url + "/queue")
        expect(pg.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        server.stop()
        expect(pg.get_by_test_id("backend-banner")).to_be_visible(timeout=15_000)
        shot(pg, "backend-away")
        server.start(timeout=90)
        expect(pg.get_by_test_id("backend-banner")).to_have_count(0, timeout=30_000)
        expect(pg.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    finally:
        context.close()
        server.stop()


def test_token_prompt(browser, tmp_path, tiny_model):
    """With HOLLYWOOL_TOKEN set, the UI asks for the token, stores it, and then works."""
    from tests.e2e.conftest import WEB_DIST
    from tests.kit.studio import ServerProcess

    server = ServerProcess(tmp_path, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST), "HOLLYWOOL_TOKEN": "e2e-secret"})
    server.start(timeout=90)
    context = browser.new_context()
    pg = context.new_page()
    try:
        pg.goto(server.url + "/settings")
        dialog = pg.get_by_role("dialog", name="Access token required")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Access token").fill("e2e-secret")
        dialog.get_by_role("button", name="Sign in").click()
        expect(dialog).to_have_count(0)
        expect(pg.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        expect(pg.get_by_test_id("setting-max_log_entries")).not_to_have_value("")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies.get("hollywool_token") == "e2e-secret"
    finally:
        context.close()
        server.stop()
