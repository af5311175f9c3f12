"""Civitai unreachable (issue 15, point 10): the Civitai tab shows a spinner at once, the studio
gives up after its Civitai timeout (a setting, here 2 s), and the page says so with a Retry button."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.fakes.odd import HangingServer
from tests.kit.studio import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hanging():
    with HangingServer() as server:
        yield server


@pytest.fixture(scope="module")
def studio(tmp_path_factory, hanging):
    root = tmp_path_factory.mktemp("e2e-civitai-down")
    env = {"HOLLYWOOL_WEB_DIR": str(WEB_DIST), "HOLLYWOOL_CIVITAI_URL": hanging.url, "HOLLYWOOL_CIVITAI_TIMEOUT": "2"}
    server = ServerProcess(root, env=env).start(timeout=90)
    yield server
    server.stop()


def test_a_civitai_that_never_answers_shows_a_spinner_then_a_message_with_retry(page, browser, studio, hanging):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(studio.url + "/models?tab=civitai")
    t0 = time.monotonic()
    spinner = page.get_by_test_id("civitai-loading")
    expect(spinner).to_be_visible(timeout=3_000)
    expect(spinner).to_have_text("Searching Civitai…")
    shot(page, "civitai-loading-1920")

    problem = page.get_by_test_id("civitai-error")
    expect(problem).to_be_visible(timeout=15_000)
    waited = time.monotonic() - t0
    assert waited < 10, f"the message came after {waited:.1f} s; the timeout is 2 s and pages do not retry"
    expect(problem).to_contain_text(f"Civitai at {hanging.url} did not answer within 2 s")
    expect(problem).to_contain_text("HOLLYWOOL_CIVITAI_TIMEOUT")
    expect(spinner).to_have_count(0)
    expect(page.get_by_text("No models match.")).to_have_count(0)  # not an empty result
    retry = page.get_by_test_id("civitai-retry")
    expect(retry).to_be_visible()
    shot(page, "civitai-unreachable-1920")

    # Retry asks again: the spinner is back at once, then the message.
    retry.click()
    expect(spinner).to_be_visible(timeout=2_000)
    expect(problem).to_be_visible(timeout=15_000)

    # A model's page from a link or a bookmark: the same spinner, then the same message and Retry.
    page.goto(studio.url + "/civitai/models/4201")
    expect(page.get_by_test_id("civitai-loading")).to_have_text("Loading the model from Civitai…", timeout=3_000)
    expect(page.get_by_test_id("civitai-error")).to_contain_text("did not answer within 2 s", timeout=15_000)
    expect(page.get_by_test_id("civitai-retry")).to_be_visible()
    shot(page, "civitai-model-unreachable-1920")

    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    try:
        phone = context.new_page()
        phone.goto(studio.url + "/models?tab=civitai")
        expect(phone.get_by_test_id("civitai-loading")).to_be_visible(timeout=3_000)
        box = phone.get_by_test_id("civitai-error")
        expect(box).to_be_visible(timeout=15_000)
        b = box.bounding_box()
        assert b and b["x"] >= 0 and b["x"] + b["width"] <= 390, b
        expect(phone.get_by_test_id("civitai-retry")).to_be_visible()
        shot(phone, "civitai-unreachable-390")
    finally:
        context.close()
