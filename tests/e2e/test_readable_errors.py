"""Errors a person reads: a sentence with a next step, the raw text one click away, put away when done."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broken_studio(tmp_path_factory, tiny_model):
    """A studio with a working tiny model and a copy of it whose UNet weights file is missing."""
    root = tmp_path_factory.mktemp("e2e-errors")
    broken = root / "broken-sd"
    shutil.copytree(tiny_model("sd15"), broken)
    for weights in (broken / "unet").glob("diffusion_pytorch_model*"):
        weights.unlink()
    write_user_config(
        root / "data",
        {
            "tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD"),
            "broken-sd": tiny_entry(broken, "sd", name="Broken SD"),
        },
    )
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


@pytest.mark.parametrize("width,height", [(1920, 1080), (390, 844)])
def test_a_failed_job_says_what_to_do_and_can_be_put_away(browser, broken_studio, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(broken_studio.url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_test_id("model-select").select_option("broken-sd")
        page.get_by_test_id("prompt").fill(f"a lighthouse that will not render {width}")
        page.get_by_test_id("prompt").press("Control+Enter")

        alert = page.get_by_test_id("failed-job").first
        expect(alert).to_be_visible(timeout=60_000)
        expect(alert).to_contain_text("Some of the model's weight files are missing")
        expect(alert).to_contain_text("Download the model again")
        text = alert.inner_text()
        assert "Error" not in text and "Traceback" not in text and "_" not in text, text  # no class names or ids
        alert.scroll_into_view_if_needed()
        shot(page, f"failed-job-{width}")

        # The raw text is one click away, on the job's page.
        alert.get_by_role("link", name="Details").click()
        expect(page.get_by_test_id("job-error")).to_contain_text("Some of the model's weight files are missing")
        detail = page.get_by_test_id("job-error-detail")
        detail.locator("summary").click()
        expect(detail).to_contain_text("diffusion_pytorch_model")
        shot(page, f"failed-job-detail-{width}")

        # Put away, it stays away after a reload.
        page.go_back()
        alert = page.get_by_test_id("failed-job").first
        expect(alert).to_be_visible()
        alert.get_by_role("button", name="Dismiss").click()
        expect(page.get_by_test_id("failed-job")).to_have_count(0)
        page.reload()
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        expect(page.get_by_test_id("failed-job")).to_have_count(0)
    finally:
        context.close()


def test_a_submit_error_for_an_unreachable_server_clears_when_it_is_back(browser, broken_studio):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(broken_studio.url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_test_id("model-select").select_option("tiny-sd")
        page.get_by_test_id("prompt").fill("a lighthouse while the server is away")
        broken_studio.stop()
        page.get_by_test_id("generate").click()
        expect(page.get_by_test_id("submit-error")).to_be_visible(timeout=15_000)
        shot(page, "submit-error-offline")
        broken_studio.start(timeout=90)
        expect(page.get_by_test_id("backend-banner")).to_have_count(0, timeout=30_000)
        expect(page.get_by_test_id("submit-error")).to_have_count(0, timeout=10_000)
    finally:
        context.close()
