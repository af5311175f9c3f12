"""The canvas on the Image page, as a user works it in Chromium against the real studio and a tiny SD model:
load a source, paint a mask with the mouse (erase part of it, clear, paint again), inpaint (every pixel the user
did not paint is the source's own), compare before and after with the slider, send the result back to the canvas,
drag an edge to outpaint (the result has the extended size and keeps the original); on a phone, with touch."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS, shot

pytestmark = pytest.mark.e2e

SRC_W, SRC_H = 128, 96


def _source_png(tmp_path) -> str:
    """A gradient with a few shapes: easy to see on a screenshot, every pixel different from its neighbours'."""
    y, x = np.mgrid[0:SRC_H, 0:SRC_W]
    rgb = np.stack([x * 2, y * 2, (x + y) % 256], axis=-1).astype(np.uint8)
    rgb[20:40, 80:110] = (250, 220, 40)
    path = tmp_path / "source.png"
    Image.fromarray(rgb).save(path)
    return str(path)


def _get_image(studio, url: str) -> Image.Image:
    data = httpx.get(url if url.startswith("http") else studio.url + url, timeout=10).content
    return Image.open(io.BytesIO(data))


def _in_view(page, locator, min_width: int, min_height: int) -> dict:
    box = locator.bounding_box()
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert box, "not rendered"
    assert box["width"] >= min_width and box["height"] >= min_height, box
    assert box["x"] >= -1 and box["x"] + box["width"] <= vw + 1, (box, vw)
    assert box["y"] >= -1 and box["y"] + box["height"] <= vh + 1, (box, vh)
    return box


def _to_screen(box: dict, x: float, y: float) -> tuple[float, float]:
    """Source pixel (x, y) -> the page point over it on the mask canvas."""
    return box["x"] + x / SRC_W * box["width"], box["y"] + y / SRC_H * box["height"]


def _drag(page, box: dict, points: list[tuple[float, float]]) -> None:
    """A mouse stroke through source-pixel points."""
    page.mouse.move(*_to_screen(box, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*_to_screen(box, *p), steps=8)
    page.mouse.up()


def _latest_job(studio, prompt: str) -> dict:
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 50}, timeout=10).json()["items"]
    return next(j for j in jobs if j["params"].get("prompt") == prompt)


def _open_canvas(page) -> None:
    panel = page.get_by_test_id("canvas-panel")
    expect(panel).to_be_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()


def _start(page, studio) -> None:
    page.goto(studio.url + "/")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    page.get_by_test_id("model-select").select_option("tiny-sd")
    page.get_by_role("button", name="New session", exact=True).click()
    page.get_by_test_id("steps").fill("2")


def test_paint_inpaint_compare_send_back_and_outpaint(browser, studio, tmp_path):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _start(page, studio)
        _open_canvas(page)
        page.get_by_test_id("canvas-input").set_input_files(_source_png(tmp_path))
        expect(page.get_by_test_id("canvas-source-info")).to_contain_text(f"source.png · {SRC_W}×{SRC_H}")
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "none")

        # The source is shown large enough to paint on, whole and in view once scrolled to.
        mask = page.get_by_test_id("mask-canvas")
        mask.scroll_into_view_if_needed()
        box = _in_view(page, mask, min_width=380, min_height=280)
        assert abs(box["width"] / box["height"] - SRC_W / SRC_H) < 0.02, box
        src_box = page.get_by_test_id("canvas-source").bounding_box()
        assert src_box == pytest.approx(box, abs=1), (src_box, box)

        # The brush's circle follows the pointer at the brush's size on screen (32 source px).
        page.mouse.move(*_to_screen(box, 64, 48))
        cursor = page.get_by_test_id("brush-cursor").bounding_box()
        assert cursor and cursor["width"] == pytest.approx(32 / SRC_W * box["width"], abs=1.5), cursor
        assert cursor["x"] + cursor["width"] / 2 == pytest.approx(_to_screen(box, 64, 48)[0], abs=1.5)

        # Paint, clear: nothing to do; paint two strokes, erase the second: the first is the mask.
        _drag(page, box, [(10, 10), (40, 10)])
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "inpaint")
        page.get_by_test_id("mask-clear").click()
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "none")
        _drag(page, box, [(16, 60), (50, 60), (50, 80)])  # stroke A: kept
        _drag(page, box, [(96, 70), (120, 70)])  # stroke B: erased below
        page.get_by_test_id("tool-erase").click()
        _drag(page, box, [(90, 70), (126, 70)])
        page.get_by_test_id("mask-invert").click()
        page.get_by_test_id("mask-invert").click()  # twice: as before
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "inpaint")
        expect(page.get_by_test_id("canvas-mode")).to_have_text(
            "Inpaint: repaints the painted area and keeps the rest."
        )
        expect(page.get_by_test_id("canvas-panel").locator("summary")).to_contain_text("(inpaint)")
        expect(page.get_by_test_id("generate-size")).to_contain_text(f"inpaint · {SRC_W}×{SRC_H}")
        shot(page, "canvas-mask-1920")

        prompt = "a red apple, canvas inpaint"
        page.get_by_test_id("prompt").fill(prompt)
        page.get_by_test_id("generate").click()
        stage = page.get_by_test_id("stage-image")
        expect(stage).to_have_attribute("alt", prompt, timeout=180_000)
        _in_view(page, stage, min_width=400, min_height=400)
        job = _latest_job(studio, prompt)
        assert job["status"] == "completed" and job["params"]["mode"] == "inpaint", job
        assert job["params"]["mask_blur"] == 4 and job["params"]["inpaint_only_masked"] is False

        # The mask the page sent: the source's size, white on stroke A, black where B was erased and elsewhere.
        sent = np.asarray(_get_image(studio, f"/api/uploads/{job['params']['mask']['upload_id']}").convert("L"))
        assert sent.shape == (SRC_H, SRC_W)
        assert sent[60, 30] == 255 and sent[70, 40] >= 128, "stroke A is not in the mask"
        assert (sent[60:81, 95:128] < 128).all(), "the erased stroke is still in the mask"
        assert (sent[0:40, :] == 0).all() and sent[90:, 100:].max() == 0

        # The result as downloaded: every pixel the user did not paint is the source's; the painted ones changed.
        result = np.asarray(_get_image(studio, stage.get_attribute("src") or "").convert("RGB"), dtype=np.int16)
        source = np.asarray(Image.open(tmp_path / "source.png").convert("RGB"), dtype=np.int16)
        assert result.shape == source.shape
        keep = sent < 128
        assert (result[keep] == source[keep]).all(), "a pixel the user did not paint changed"
        assert np.abs(result[~keep] - source[~keep]).mean() > 10, "the painted area was not repainted"

        # Compare: the slider uncovers the source over the result, and a drag on the picture moves it too.
        page.get_by_test_id("compare-toggle").click()
        expect(page.get_by_test_id("compare-toggle")).to_have_text("Stop comparing")
        view = page.get_by_test_id("compare-view")
        expect(view).to_be_visible()
        expect(page.get_by_test_id("compare-b")).to_have_attribute("src", re.compile(r"/api/uploads/"))
        page.get_by_test_id("compare-slider").fill("30")
        expect(page.get_by_test_id("compare-b")).to_have_attribute(
            "style", re.compile(r"inset\(0(px)? 70% 0(px)? 0(px)?\)")
        )
        pic = page.get_by_test_id("compare-b").bounding_box()
        divider = page.get_by_test_id("compare-divider").bounding_box()
        assert pic and divider and divider["x"] == pytest.approx(pic["x"] + 0.3 * pic["width"], abs=3), (pic, divider)
        page.mouse.move(pic["x"] + 0.3 * pic["width"], pic["y"] + pic["height"] / 2)
        page.mouse.down()
        page.mouse.move(pic["x"] + 0.75 * pic["width"], pic["y"] + pic["height"] / 2, steps=5)
        page.mouse.up()
        expect(page.get_by_test_id("compare-slider")).to_have_value("75")
        shot(page, "canvas-compare-1920")
        page.get_by_test_id("compare-toggle").click()

        # Send the result back to the canvas: it is the new source, with an empty mask.
        result_url = stage.get_attribute("src")
        page.get_by_test_id("stage-to-canvas").click()
        expect(page.get_by_test_id("canvas-source")).to_have_attribute("src", result_url or "")
        expect(page.get_by_test_id("canvas-source-info")).to_contain_text(f"{prompt} · {SRC_W}×{SRC_H}")
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "none")
        expect(page.get_by_test_id("canvas-view")).to_be_in_viewport()

        # Outpaint: drag the right edge outward (snaps to 8 px), type a bottom margin (snapped on leaving the field).
        right = page.get_by_test_id("edge-right")
        right.scroll_into_view_if_needed()
        handle = right.bounding_box()
        assert handle and handle["height"] >= 40, handle
        scale = page.get_by_test_id("mask-canvas").bounding_box()["width"] / SRC_W
        page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        page.mouse.down()
        page.mouse.move(handle["x"] + handle["width"] / 2 + 30 * scale, handle["y"] + handle["height"] / 2, steps=6)
        page.mouse.up()
        expect(page.get_by_test_id("margin-right")).to_have_value("32")
        expect(right).to_have_text("+32")
        page.get_by_test_id("margin-bottom").fill("13")
        page.get_by_test_id("margin-bottom").blur()
        expect(page.get_by_test_id("margin-bottom")).to_have_value("16")
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "outpaint")
        expect(page.get_by_test_id("canvas-mode")).to_have_text(
            f"Outpaint: adds 32 px right, 16 px bottom ({SRC_W + 32}×{SRC_H + 16})."
        )
        # The extended frame is drawn around the source: wider and taller by the margins, source at the top left.
        frame = page.get_by_test_id("canvas-frame").bounding_box()
        src = page.get_by_test_id("canvas-source").bounding_box()
        assert frame and src
        assert frame["width"] / src["width"] == pytest.approx((SRC_W + 32) / SRC_W, abs=0.02)
        assert frame["height"] / src["height"] == pytest.approx((SRC_H + 16) / SRC_H, abs=0.02)
        assert abs(frame["x"] - src["x"]) <= 1 and abs(frame["y"] - src["y"]) <= 1
        shot(page, "canvas-outpaint-1920")

        out_prompt = "a wider view, canvas outpaint"
        page.get_by_test_id("prompt").fill(out_prompt)
        page.get_by_test_id("generate").click()
        expect(stage).to_have_attribute("alt", out_prompt, timeout=180_000)
        job = _latest_job(studio, out_prompt)
        assert job["params"]["mode"] == "outpaint" and job["params"]["outpaint"] == {
            "left": 0,
            "top": 0,
            "right": 32,
            "bottom": 16,
        }
        wide = np.asarray(_get_image(studio, stage.get_attribute("src") or "").convert("RGB"), dtype=np.int16)
        assert wide.shape == (SRC_H + 16, SRC_W + 32, 3)
        assert (wide[:SRC_H, :SRC_W] == result).all(), "the outpaint changed the original pixels"
        expect(page.get_by_test_id("stage-position")).to_contain_text("1 of 2")

        # Its compare lays the source over its own place: the top-left part of the result.
        page.get_by_test_id("compare-toggle").click()
        page.get_by_test_id("compare-slider").fill("100")
        b = page.get_by_test_id("compare-b").bounding_box()
        whole = page.get_by_test_id("compare-view").locator("img").first.bounding_box()
        assert b and whole
        assert b["width"] / whole["width"] == pytest.approx(SRC_W / (SRC_W + 32), abs=0.01)
        assert abs(b["x"] - whole["x"]) <= 1 and abs(b["y"] - whole["y"]) <= 1
        shot(page, "canvas-outpaint-compare-1920")
        page.get_by_test_id("compare-toggle").click()

        # A result card's button sends that result (the inpainted one) to the canvas.
        page.get_by_role("button", name="Send result 2 to the canvas").click()
        expect(page.get_by_test_id("canvas-source")).to_have_attribute("src", result_url or "")
        expect(page.get_by_test_id("margin-right")).to_have_value("0")

        # The asset's own page sends it to the canvas too: back on the Image page, as the source, in view.
        wide_url = stage.get_attribute("src")
        page.get_by_test_id("stage-open").click()
        page.get_by_test_id("send-to-canvas").click()
        expect(page.get_by_test_id("canvas-source")).to_have_attribute("src", wide_url or "")
        expect(page.get_by_test_id("canvas-source-info")).to_contain_text(f"{SRC_W + 32}×{SRC_H + 16}")
        expect(page.get_by_test_id("canvas-view")).to_be_in_viewport()

        # And so does a card in the gallery (the inpainted result, the older of the two).
        page.goto(studio.url + "/assets")
        tile = page.locator(f'[data-testid="asset-tile"]:has(img[alt="{prompt}"])')
        tile.get_by_test_id("asset-to-canvas").click()
        expect(page.get_by_test_id("canvas-source")).to_have_attribute("src", result_url or "")
        expect(page.get_by_test_id("canvas-view")).to_be_in_viewport()
    finally:
        context.close()
    assert not errors, errors


def _touch_drag(cdp, points: list[tuple[float, float]]) -> None:
    """A one-finger drag through page points (Chromium makes touch pointer events of it)."""
    (x0, y0) = points[0]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_on_a_phone_a_finger_paints_and_drags_an_edge(browser, studio, tmp_path):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="light", has_touch=True, is_mobile=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _start(page, studio)
        # A file dragged over the page: the overlay offers the canvas; dropped there, it is the source, in view.
        dt = page.evaluate_handle(
            """(b64) => { const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                 const dt = new DataTransfer(); dt.items.add(new File([bytes], "source.png", { type: "image/png" }));
                 return dt; }""",
            base64.b64encode(Path(_source_png(tmp_path)).read_bytes()).decode(),
        )
        page.locator("main").dispatch_event("dragenter", {"dataTransfer": dt})
        target = page.get_by_test_id("drop-canvas")
        _in_view(page, target, min_width=200, min_height=100)
        shot(page, "canvas-drop-390")
        for event in ("dragenter", "dragover", "drop"):
            target.dispatch_event(event, {"dataTransfer": dt})
        expect(page.get_by_test_id("drop-overlay")).to_have_count(0)
        expect(page.get_by_test_id("canvas-source-info")).to_contain_text(f"source.png · {SRC_W}×{SRC_H}")
        expect(page.get_by_test_id("canvas-panel")).to_have_attribute("open", "")
        mask = page.get_by_test_id("mask-canvas")
        page.get_by_test_id("canvas-view").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "canvas-phone-390-loaded.png"))
        # The picture takes the panel's width (less room for the edge handles) and fits on the screen, handles included.
        panel = page.get_by_test_id("canvas-panel").bounding_box()
        assert panel
        box = _in_view(page, mask, min_width=panel["width"] - 40, min_height=170)
        for side in ("left", "top", "right", "bottom"):
            _in_view(page, page.get_by_test_id(f"edge-{side}"), min_width=20, min_height=20)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"

        cdp = context.new_cdp_session(page)
        steps = [_to_screen(box, x, 48) for x in range(20, 101, 5)]
        _touch_drag(cdp, steps)
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "inpaint")
        painted = page.evaluate(
            """() => { const c = document.querySelector('[data-testid="mask-canvas"]');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 const at = (x, y) => d[(y * c.width + x) * 4 + 3];
                 return [at(60, 48), at(60, 10), c.width, c.height]; }"""
        )
        assert painted[0] > 200 and painted[1] == 0 and painted[2:] == [SRC_W, SRC_H], painted

        # Inpaint on the phone: the result comes into view below the form, and its compare slider works there.
        prompt = "a phone inpaint"
        page.get_by_test_id("prompt").fill(prompt)
        page.get_by_test_id("generate").click()
        stage = page.get_by_test_id("stage-image")
        expect(stage).to_have_attribute("alt", prompt, timeout=180_000)
        stage.scroll_into_view_if_needed()
        _in_view(page, stage, min_width=250, min_height=250)
        page.get_by_test_id("compare-toggle").click()
        page.get_by_test_id("compare-slider").fill("40")
        expect(page.get_by_test_id("compare-b")).to_have_attribute(
            "style", re.compile(r"inset\(0(px)? 60% 0(px)? 0(px)?\)")
        )
        _in_view(page, page.get_by_test_id("compare-b"), min_width=250, min_height=150)
        page.screenshot(path=str(SHOTS / "canvas-phone-390-compare.png"))
        page.get_by_test_id("compare-toggle").click()
        page.get_by_test_id("canvas-view").scroll_into_view_if_needed()
        box = page.get_by_test_id("mask-canvas").bounding_box()
        assert box

        handle = page.get_by_test_id("edge-top").bounding_box()
        assert handle
        cx, cy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
        scale = box["width"] / SRC_W
        _touch_drag(cdp, [(cx, cy)] + [(cx, cy - d * scale) for d in (4, 10, 16, 24)])
        expect(page.get_by_test_id("margin-top")).to_have_value("24")
        expect(page.get_by_test_id("canvas-mode")).to_have_attribute("data-mode", "outpaint")
        page.get_by_test_id("canvas-mode").scroll_into_view_if_needed()
        _in_view(page, page.get_by_test_id("canvas-mode"), min_width=200, min_height=20)
        page.get_by_test_id("canvas-view").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "canvas-phone-390-outpaint.png"))
    finally:
        context.close()
    assert not errors, errors
