"""The Video page as a person uses it (issue 15, point 10): result cards show their prompt and
poster, the queue shows a video job's poster, "use these settings" restores every field (the
source image too) from a result or a video asset, image-to-video takes its source in a styled
picker, and a frame count above the model's limit is said before submitting."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import FAMILY_TYPES, ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    """The studio with tiny CogVideoX text-to-video (at most 9 frames) and image-to-video models."""
    root = tmp_path_factory.mktemp("e2e-video")
    models = {
        "tiny-cog": tiny_entry(tiny_model("cogvideox"), FAMILY_TYPES["cogvideox"], name="Tiny Cog"),
        "tiny-cog-i2v": tiny_entry(tiny_model("cogvideox_i2v"), FAMILY_TYPES["cogvideox_i2v"], name="Tiny Cog I2V"),
    }
    write_user_config(root / "data", models)
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


def _api(studio, method: str, path: str, **kw):
    r = httpx.request(method, f"{studio.url}{path}", timeout=30, **kw)
    r.raise_for_status()
    return r.json()


def _jobs(studio, kind: str) -> list[dict]:
    return _api(studio, "GET", f"/api/{kind}/jobs", params={"limit": 50})["items"]


def _new_done_job(studio, kind: str, known: set[str]) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        fresh = [j for j in _jobs(studio, kind) if j["id"] not in known]
        if fresh and fresh[0]["status"] not in ("queued", "running"):
            assert fresh[0]["status"] == "completed", fresh[0]
            return fresh[0]
        time.sleep(0.2)
    raise TimeoutError(f"no finished {kind} job")


def _png(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 32), color).save(buf, format="PNG")
    return buf.getvalue()


def _in_view(page, locator) -> None:
    box = locator.bounding_box()
    vp = page.viewport_size
    assert box and box["width"] > 0 and box["y"] < vp["height"] and box["x"] + box["width"] <= vp["width"] + 1, box


def _phone(browser, studio):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    pg = context.new_page()
    return context, pg


def test_text_to_video_result_reuse_and_poster_in_queue(page, studio, browser):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(studio.url + "/video")
    expect(page.get_by_test_id("video-model-select")).to_have_value("tiny-cog")
    expect(page.get_by_test_id("video-frames")).to_have_value("9")
    page.get_by_test_id("video-prompt").fill("a paper boat on a rainy street, e2e video")
    page.get_by_test_id("video-negative").fill("blurry")
    page.get_by_test_id("video-width").fill("32")
    page.get_by_test_id("video-height").fill("16")
    page.get_by_test_id("video-frames").fill("5")
    page.get_by_test_id("video-fps").fill("6")
    page.get_by_test_id("video-steps").fill("3")
    page.get_by_test_id("video-guidance").fill("4.5")
    page.get_by_test_id("video-seed").fill("4242")
    known = {j["id"] for j in _jobs(studio, "video")}
    page.get_by_test_id("video-generate").click()
    job = _new_done_job(studio, "video", known)
    p = job["params"]
    sent = {
        k: p[k]
        for k in (
            "model",
            "prompt",
            "negative_prompt",
            "width",
            "height",
            "num_frames",
            "fps",
            "steps",
            "guidance_scale",
            "seed",
        )
    }
    assert sent == {
        "model": "tiny-cog", "prompt": "a paper boat on a rainy street, e2e video", "negative_prompt": "blurry",
        "width": 32, "height": 16, "num_frames": 5, "fps": 6, "steps": 3, "guidance_scale": 4.5, "seed": 4242,
    }  # fmt: skip

    # The result card: its poster, its prompt, what it is; in view beside the form.
    card = page.locator(f"[data-testid=video-result][data-job-id='{job['id']}']")
    expect(card).to_be_visible(timeout=30_000)
    expect(card.get_by_test_id("video-result-prompt")).to_have_text("a paper boat on a rainy street, e2e video")
    expect(card).to_contain_text("seed 4242")
    poster = card.locator("video").get_attribute("poster")
    assert poster and poster.endswith(".thumb.webp"), poster
    assert httpx.get(studio.url + poster, timeout=10).headers["content-type"] == "image/webp"
    _in_view(page, card.get_by_test_id("video-use-settings"))
    shot(page, "video-result-1920")

    # Change everything, then "use these settings" puts every field back (the seed for one job).
    page.get_by_test_id("video-prompt").fill("something else")
    page.get_by_test_id("video-width").fill("48")
    page.get_by_test_id("video-frames").fill("9")
    page.get_by_test_id("video-steps").fill("2")
    page.get_by_test_id("video-seed").fill("")
    card.get_by_test_id("video-use-settings").click()
    expect(page.get_by_test_id("video-prompt")).to_have_value("a paper boat on a rainy street, e2e video")
    restored = {"negative": "blurry", "width": "32", "height": "16", "frames": "5", "fps": "6", "steps": "3"}
    for field, value in {**restored, "guidance": "4.5", "seed": "4242"}.items():
        expect(page.get_by_test_id(f"video-{field}")).to_have_value(value)
    known = {j["id"] for j in _jobs(studio, "video")}
    page.get_by_test_id("video-generate").click()
    again = _new_done_job(studio, "video", known)
    assert {k: again["params"][k] for k in sent} == sent
    expect(page.get_by_test_id("video-seed")).to_have_value("")  # the restored seed was for one job

    # The queue shows the video job's poster, not an empty square.
    page.goto(studio.url + "/queue")
    row = page.locator(f"[data-testid=queue-row][data-job-id='{job['id']}']")
    thumb = row.get_by_test_id("queue-thumb")
    expect(thumb).to_be_visible()
    assert thumb.get_attribute("src").endswith(".thumb.webp")
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "video-queue-poster-1920")

    # The gallery tile is the poster too, and the asset's "use these settings" goes back to the Video page.
    asset_id = job["videos"][0]["id"]
    page.goto(studio.url + "/assets")
    tile = page.locator(f"[data-testid=asset-tile][data-asset-id='{asset_id}'] [data-testid=asset-thumb]")
    expect(tile).to_be_visible()
    assert tile.get_attribute("src").endswith(".thumb.webp")
    assert tile.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "video-gallery-poster-1920")
    page.goto(f"{studio.url}/assets/{asset_id}")
    page.get_by_test_id("use-settings").click()
    expect(page).to_have_url(f"{studio.url}/video")
    expect(page.get_by_test_id("video-prompt")).to_have_value("a paper boat on a rainy street, e2e video")
    expect(page.get_by_test_id("video-frames")).to_have_value("5")
    expect(page.get_by_test_id("video-seed")).to_have_value("4242")

    context, phone = _phone(browser, studio)
    try:
        phone.goto(studio.url + "/video")
        first = phone.get_by_test_id("video-result").first
        first.scroll_into_view_if_needed()
        expect(first.get_by_test_id("video-result-prompt")).to_be_visible()
        box = first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        shot(phone, "video-result-390")
    finally:
        context.close()


def test_a_frame_count_above_the_limit_is_said_before_submitting(page, studio):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(studio.url + "/video")
    frames = page.get_by_test_id("video-frames")
    expect(page.get_by_text("Frames (at most 9)")).to_be_visible()
    page.get_by_test_id("video-prompt").fill("too long")
    known = {j["id"] for j in _jobs(studio, "video")}
    frames.fill("33")
    frames.blur()
    expect(frames).to_have_value("33")  # not silently cut to 9
    problem = page.get_by_text("33 frames is more than this model makes (at most 9")
    expect(problem).to_be_visible()
    expect(page.get_by_test_id("video-generate")).to_be_disabled()
    shot(page, "video-frames-limit-1920")
    assert {j["id"] for j in _jobs(studio, "video")} == known
    frames.fill("9")
    expect(problem).to_have_count(0)
    expect(page.get_by_test_id("video-generate")).to_be_enabled()


def test_image_to_video_source_picker_and_reuse_restore_the_source(page, studio, browser):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(studio.url + "/video")
    page.get_by_role("tab", name="Image to video").click()
    expect(page.get_by_test_id("video-model-select")).to_have_value("tiny-cog-i2v")
    zone = page.get_by_test_id("video-source-dropzone")
    expect(zone).to_be_visible()
    expect(zone).to_contain_text("Drop images here or click")
    assert page.locator("input[type=file]:visible").count() == 0  # no native file button on show
    expect(page.get_by_test_id("video-generate")).to_be_disabled()
    page.get_by_test_id("video-source-input").set_input_files(
        files=[{"name": "first.png", "mimeType": "image/png", "buffer": _png("orange")}]
    )
    thumb = page.get_by_test_id("video-source-thumb")
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "video-i2v-source-1920")
    page.get_by_role("button", name="Remove source image").click()
    expect(thumb).to_have_count(0)
    page.get_by_test_id("video-source-input").set_input_files(
        files=[{"name": "first.png", "mimeType": "image/png", "buffer": _png("orange")}]
    )
    page.get_by_test_id("video-prompt").fill("the orange square wakes up")
    page.get_by_test_id("video-seed").fill("77")
    known = {j["id"] for j in _jobs(studio, "i2v")}
    page.get_by_test_id("video-generate").click()
    job = _new_done_job(studio, "i2v", known)
    upload_id = job["params"]["reference_images"][0]["upload_id"]

    # Reuse from the other tab: the page goes to image-to-video with the source image shown again.
    page.get_by_role("tab", name="Text to video").click()
    page.get_by_role("tab", name="Image to video").click()
    page.get_by_test_id("video-source").get_by_role("button", name="Remove source image").click()
    page.locator(f"[data-testid=video-result][data-job-id='{job['id']}']").get_by_test_id("video-use-settings").click()
    restored = page.get_by_test_id("video-source-thumb")
    expect(restored).to_have_attribute("src", f"/api/uploads/{upload_id}")
    expect(restored).to_be_visible()
    loaded = (
        "() => { const i = document.querySelector('[data-testid=video-source-thumb]'); return i?.naturalWidth > 0 }"
    )
    page.wait_for_function(loaded)
    expect(page.get_by_test_id("video-prompt")).to_have_value("the orange square wakes up")
    expect(page.get_by_test_id("video-seed")).to_have_value("77")
    known = {j["id"] for j in _jobs(studio, "i2v")}
    page.get_by_test_id("video-generate").click()
    again = _new_done_job(studio, "i2v", known)
    assert [r["upload_id"] for r in again["params"]["reference_images"]] == [upload_id]
    assert again["params"]["seed"] == 77 and again["params"]["prompt"] == "the orange square wakes up"
    shot(page, "video-i2v-reused-1920")

    context, phone = _phone(browser, studio)
    try:
        phone.goto(studio.url + "/video")
        phone.get_by_role("tab", name="Image to video").click()
        zone = phone.get_by_test_id("video-source-dropzone")
        expect(zone).to_be_visible()
        box = zone.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        shot(phone, "video-i2v-source-390")
    finally:
        context.close()
