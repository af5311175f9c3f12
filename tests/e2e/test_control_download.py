"""A preprocessor model's first use on the Image page, as a user sees it: the studio talks to a (fake) Hugging Face
hub serving a tiny Depth Anything; the user adds a control image and picks the depth type; the preprocessor list
says the model downloads on first use, the preview area says so in a sentence with a progress bar, and the depth
map appears by itself once the download job completes. At 1920x1080 and on a 390 px touch screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.e2e.control_kit import add_control_image, write_control_studio
from tests.kit.studio import ServerProcess

pytestmark = pytest.mark.e2e

DEPTH_REPO = "depth-anything/Depth-Anything-V2-Small-hf"  # the catalogue's repo for depth-anything-v2-small
VIEWPORTS = {1920: {"width": 1920, "height": 1080}, 390: {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def depth_folder(models_root):
    from hollywool.testkit.tiny_controlnets import build_depth_anything

    folder = models_root / "control" / "depth"
    if not (folder / "config.json").is_file():
        build_depth_anything(folder)
    return folder


@pytest.fixture
def hub_studio(tmp_path_factory, tiny_model, depth_folder):
    """A studio online against a fake hub that sends the depth model slowly (a few seconds), with a fresh HF cache."""
    from tests.fakes.hf_hub import FakeHub

    root = tmp_path_factory.mktemp("e2e-control-download")
    write_control_studio(root, tiny_model("sdxl"))
    hub = FakeHub()
    with hub:
        hub.add_repo(DEPTH_REPO, depth_folder)
        hub.chunk_delay = 0.8  # 64 KB per 0.8 s: about 4 s for the tiny model, long enough to see the bar
        env = {
            "HOLLYWOOL_WEB_DIR": str(WEB_DIST),
            "HF_HUB_OFFLINE": "0",
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(root / "hf-home"),
            "HF_TOKEN": "",
        }
        server = ServerProcess(root, env=env).start(timeout=90)
        try:
            yield server
        finally:
            server.stop()


def _box_in_view(page, locator) -> dict:
    box = locator.bounding_box()
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert box and box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= vw + 1 and box["y"] + box["height"] <= vh + 1, (box, vw, vh)
    return box


def _font_px(locator) -> float:
    return locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")


@pytest.mark.parametrize("width", [1920, 390])
def test_first_depth_preview_downloads_the_model_with_a_progress_bar_then_shows_the_map(
    browser, hub_studio, tmp_path, width
):
    touch = width < 500
    context = browser.new_context(
        viewport=VIEWPORTS[width], color_scheme="light", is_mobile=touch, has_touch=touch, device_scale_factor=1
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        add_control_image(page, hub_studio.url, tmp_path)

        # The list says which preprocessor is not on this machine yet, and how much it downloads.
        preprocessor = page.get_by_test_id("control-preprocessor")
        depth_option = preprocessor.locator("option[value='depth-anything-v2-small']")
        expect(depth_option).to_have_text(re.compile(r"\(downloads \d+(\.\d+)? GB on first use\)"))
        page.get_by_test_id("control-type").select_option("depth")
        expect(preprocessor).to_have_value("depth-anything-v2-small")

        # The preview area: the readable sentence, then a bar the user can see moving.
        download = page.get_by_test_id("control-preview-download")
        expect(download).to_be_visible()
        sentence = download.get_by_test_id("control-preview-download-message")
        expect(sentence).to_contain_text("Depth Anything V2 Small is not downloaded yet; downloading it now")
        bar = download.get_by_role("progressbar", name="Preprocessor model download")
        expect(bar).to_be_visible()
        download.scroll_into_view_if_needed()
        text_box, bar_box = _box_in_view(page, sentence), _box_in_view(page, bar)
        assert _font_px(sentence) >= 12, "the sentence is readable"
        assert text_box["y"] + text_box["height"] <= bar_box["y"] + 1, "the sentence comes before the bar"
        assert bar_box["width"] >= 150 and bar_box["height"] >= 6, f"the bar is large enough to see: {bar_box}"
        expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]\d?$"), timeout=30_000)  # moving
        shot(page, f"control-download-progress-{width}")

        # No further click: the map appears once the job completes, and the list forgets the download note.
        preview = page.get_by_test_id("control-preview")
        expect(preview).to_be_visible(timeout=60_000)
        page.wait_for_function("() => document.querySelector('[data-testid=control-preview]')?.naturalWidth > 0")
        assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [160, 120]
        expect(download).to_have_count(0)
        expect(page.get_by_test_id("control-preview-error")).to_have_count(0)
        expect(depth_option).not_to_contain_text("downloads", timeout=15_000)
        preview.scroll_into_view_if_needed()
        _box_in_view(page, preview)
        width_now = page.evaluate("() => document.documentElement.scrollWidth")
        assert width_now <= width, f"the page scrolls sideways ({width_now} px)"
        shot(page, f"control-download-done-{width}")
    finally:
        context.close()
    assert not errors, errors
