"""Control on the Image page, as a user runs it: pick a tiny SDXL, add a control image in the Control section,
see its canny map, Generate, and the result appears; the job used the ControlNet with that map. A tiny SDXL and
a tiny ControlNet Union (registered in config.yaml as a user adds them) behind the real studio process."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.e2e.control_kit import add_control_image, write_control_studio
from tests.kit.studio import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    root = tmp_path_factory.mktemp("e2e-control")
    write_control_studio(root, tiny_model("sdxl"))
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


def _white_pixels(page, test_id: str) -> int:
    """Edge pixels of the preview as the browser decoded it."""
    return page.get_by_test_id(test_id).evaluate(
        """img => { const c = document.createElement('canvas'); c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 200) n++; return n; }"""
    )


def test_a_control_image_shows_its_canny_map_and_steers_the_job(browser, studio, tmp_path):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        section = add_control_image(page, studio.url, tmp_path)
        expect(page.get_by_test_id("control-type")).to_have_value("canny")
        expect(page.get_by_test_id("control-preprocessor")).to_have_value("canny")
        preview = page.get_by_test_id("control-preview")
        expect(preview).to_be_visible()
        page.wait_for_function("() => document.querySelector('[data-testid=control-preview]')?.naturalWidth > 0")
        assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [160, 120]
        assert 100 < _white_pixels(page, "control-preview") < 160 * 120 // 4, "the map shows the house's edges"
        section.scroll_into_view_if_needed()
        shot(page, "control-section-1920")

        prompt = "a small house, controlled"
        page.get_by_test_id("prompt").fill(prompt)
        page.get_by_test_id("width").fill("64")
        page.get_by_test_id("height").fill("64")
        page.get_by_test_id("steps").fill("2")
        page.get_by_test_id("generate").click()
        expect(page.get_by_test_id("stage-image")).to_have_attribute("alt", prompt, timeout=180_000)
        jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 20}, timeout=10).json()["items"]
        job = next(j for j in jobs if j["params"].get("prompt") == prompt)
        assert job["status"] == "completed", job
        control = job["params"]["control"]
        assert [(c["model"], c["type"], c["preprocessor"]) for c in control] == [("tiny-union", "canny", "canny")]
        shot(page, "control-result-1920")

        page.set_viewport_size({"width": 390, "height": 844})
        section.scroll_into_view_if_needed()
        expect(preview).to_be_in_viewport()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
        shot(page, "control-section-390")
    finally:
        context.close()
    assert not errors, errors
