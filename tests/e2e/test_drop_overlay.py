"""While a file is dragged over the Image page, a full-page overlay says what dropping does: reuse
its settings, or (on its second target) use it as a reference (issue 15, points 8 and 10)."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, PngImagePlugin
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _png(parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), "teal").save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _transfer(page, name: str, data: bytes):
    return page.evaluate_handle(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: "image/png" }));
            return dt;
        }""",
        [name, base64.b64encode(data).decode()],
    )


def _drag_in(page, dt) -> None:
    page.locator("main").dispatch_event("dragenter", {"dataTransfer": dt})
    page.locator("main").dispatch_event("dragover", {"dataTransfer": dt})


def _drop_on(page, test_id: str, dt) -> None:
    target = page.get_by_test_id(test_id)
    target.dispatch_event("dragenter", {"dataTransfer": dt})
    target.dispatch_event("dragover", {"dataTransfer": dt})
    target.dispatch_event("drop", {"dataTransfer": dt})


def _fully_in_view(page, locator) -> None:
    box = locator.bounding_box()
    vp = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= vp["width"] and box["y"] + box["height"] <= vp["height"], (box, vp)


def test_dragging_a_file_shows_what_dropping_does_and_both_targets_work(page, studio):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(studio.url + "/")
    expect(page.get_by_test_id("prompt")).to_be_visible()
    overlay = page.get_by_test_id("drop-overlay")
    expect(overlay).to_have_count(0)

    # Dragging one of the studio's own results (no file) is not a file drop: no overlay.
    internal = page.evaluate_handle(
        """() => { const dt = new DataTransfer(); dt.setData("application/x-hollywool-asset", "{}"); return dt; }"""
    )
    page.locator("main").dispatch_event("dragenter", {"dataTransfer": internal})
    expect(overlay).to_have_count(0)

    dt = _transfer(page, "photo.png", _png())
    _drag_in(page, dt)
    expect(overlay).to_be_visible()
    expect(overlay.get_by_text("Drop a PNG or WebP to reuse its settings")).to_be_visible()
    expect(overlay.get_by_text("Drop here to use it as a reference")).to_be_visible()
    _fully_in_view(page, page.get_by_test_id("drop-settings"))
    _fully_in_view(page, page.get_by_test_id("drop-reference"))
    shot(page, "drop-overlay-1920")

    # Leaving the window takes the overlay away.
    page.locator("main").dispatch_event("dragleave", {"dataTransfer": dt})
    expect(overlay).to_have_count(0)

    # Dropped on "use it as a reference": the picture joins the references, the panel opens.
    _drag_in(page, dt)
    _drop_on(page, "drop-reference", dt)
    expect(overlay).to_have_count(0)
    expect(page.get_by_test_id("reference-thumb")).to_have_count(1)
    expect(page.get_by_test_id("extras")).to_have_attribute("open", "")
    expect(page.get_by_test_id("metadata-note")).to_have_count(0)  # its settings were not read

    # Dropped anywhere else: its settings fill the form.
    a1111 = _transfer(
        page, "harbour.png", _png("a lantern-lit canal, overlay e2e\nSteps: 13, CFG scale: 5.5, Seed: 99")
    )
    _drag_in(page, a1111)
    expect(overlay).to_be_visible()
    _drop_on(page, "drop-settings", a1111)
    expect(overlay).to_have_count(0)
    expect(page.get_by_test_id("metadata-note")).to_contain_text("Restored from harbour.png")
    expect(page.get_by_test_id("prompt")).to_have_value("a lantern-lit canal, overlay e2e")
    expect(page.get_by_test_id("steps")).to_have_value("13")
    expect(page.get_by_test_id("reference-thumb")).to_have_count(1)  # the reference stayed
    assert page.url.startswith(studio.url)

    page.set_viewport_size({"width": 390, "height": 844})
    _drag_in(page, dt)
    expect(overlay).to_be_visible()
    _fully_in_view(page, page.get_by_test_id("drop-settings"))
    _fully_in_view(page, page.get_by_test_id("drop-reference"))
    shot(page, "drop-overlay-390")
    page.locator("main").dispatch_event("drop", {"dataTransfer": dt})
    expect(overlay).to_have_count(0)
