"""The Image page as a studio: the result large beside the form and in view while it samples, a viewer
with keyboard navigation, fullscreen and an A/B compare; stacked on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _in_view(page, locator, min_height: int) -> dict:
    box = locator.bounding_box()
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert box, "not rendered"
    assert box["height"] >= min_height, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= vw + 1, (box, vw)
    assert box["y"] >= 0 and box["y"] + box["height"] <= vh + 1, (box, vh)
    return box


def _generate(page, prompt: str, steps: int, size: int = 128) -> None:
    page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("width").fill(str(size))
    page.get_by_test_id("height").fill(str(size))
    page.get_by_test_id("steps").fill(str(steps))
    page.get_by_test_id("generate").click()


def test_the_result_is_large_and_in_view_beside_the_form(browser, studio):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(studio.url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_test_id("model-select").select_option("tiny-sd")
        page.get_by_role("button", name="New session", exact=True).click()
        _generate(page, "a lighthouse on a cliff, studio loop", steps=120)

        # While it samples, the live preview fills the stage beside the form, in view, with step and ETA.
        preview = page.get_by_test_id("stage-preview")
        expect(preview).to_be_visible(timeout=90_000)
        expect(page.get_by_test_id("stage-progress")).to_contain_text(re.compile(r"step \d+/120"))
        stage = _in_view(page, page.get_by_test_id("result-stage"), min_height=600)
        form = page.get_by_role("form", name="Generate an image").bounding_box()
        assert form and stage["x"] >= form["x"] + form["width"] - 1, (form, stage)  # side by side
        _in_view(page, preview, min_height=500)
        shot(page, "studio-sampling-1920")

        # Done: the result takes the stage, large and in view.
        image = page.get_by_test_id("stage-image")
        expect(image).to_be_visible(timeout=120_000)
        _in_view(page, image, min_height=500)
        expect(page.get_by_test_id("stage-position")).to_have_text("1 of 1")

        # A second result: arrows move between them, compare uncovers the previous one, fullscreen opens.
        _generate(page, "a lighthouse at night, studio loop", steps=4)
        expect(page.get_by_test_id("stage-position")).to_have_text("1 of 2", timeout=120_000)
        expect(page.get_by_test_id("stage-image")).to_have_attribute("alt", "a lighthouse at night, studio loop")
        page.get_by_test_id("stage-image").click()
        page.keyboard.press("ArrowRight")
        expect(page.get_by_test_id("stage-position")).to_have_text("2 of 2")
        expect(page.get_by_test_id("stage-image")).to_have_attribute("alt", "a lighthouse on a cliff, studio loop")
        page.keyboard.press("ArrowLeft")
        expect(page.get_by_test_id("stage-position")).to_have_text("1 of 2")
        page.get_by_test_id("compare-toggle").click()
        expect(page.get_by_test_id("compare-view")).to_be_visible()
        page.get_by_test_id("compare-slider").fill("80")
        expect(page.get_by_test_id("compare-b")).to_have_attribute(
            "style", re.compile(r"inset\(0(px)? 20% 0(px)? 0(px)?\)")
        )
        shot(page, "studio-compare-1920")
        page.get_by_test_id("compare-toggle").click()
        page.get_by_test_id("stage-fullscreen").click()
        expect(page.get_by_test_id("stage-fullscreen-view")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("stage-fullscreen-view")).to_have_count(0)
        # A thumbnail puts its result on the stage.
        page.get_by_role("button", name="Show result 2").click()
        expect(page.get_by_test_id("stage-position")).to_have_text("2 of 2")
        shot(page, "studio-results-1920")
    finally:
        context.close()


def test_on_a_phone_the_form_and_the_result_stack(browser, studio):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(studio.url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_test_id("model-select").select_option("tiny-sd")
        page.get_by_role("button", name="New session", exact=True).click()
        _generate(page, "a lighthouse on a phone", steps=3)
        # Generate brings the stage into view (it is below the form here); the result lands there.
        image = page.get_by_test_id("stage-image")
        expect(image).to_be_visible(timeout=120_000)
        page.wait_for_function(
            "() => { const r = document.querySelector('[data-testid=stage-image]').getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }"
        )
        box = _in_view(page, image, min_height=250)
        form = page.get_by_role("form", name="Generate an image").bounding_box()
        stage = page.get_by_test_id("result-stage").bounding_box()
        assert form and stage and stage["y"] >= form["y"] + form["height"] - 1, (form, stage)  # stacked
        assert box["width"] >= 250, box
        shot(page, "studio-result-390")

        # "New session" starts over: an empty prompt and stage, steps back to the model's own, the model kept.
        page.get_by_test_id("steps").fill("7")
        page.get_by_role("button", name="New session", exact=True).click()
        expect(page.get_by_test_id("prompt")).to_have_value("")
        expect(page.get_by_test_id("stage-image")).to_have_count(0)
        expect(page.get_by_test_id("model-select")).to_have_value("tiny-sd")
        expect(page.get_by_test_id("steps")).not_to_have_value("7")
        shot(page, "studio-new-session-390")
    finally:
        context.close()
