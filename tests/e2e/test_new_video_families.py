"""The 2026 video families through the Video page, as a user runs them: Wan 2.2 TI2V-5B, LTX-2.3 and HunyuanVideo
1.5, text to video and (where the family has it) image to video. Pick the model, write a prompt, Generate; the
result card plays the MP4 the job made, with its prompt. Tiny random-weight models behind the real studio process."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from hollywool.testkit.tiny_models import FAMILIES as TINY
from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import FAMILY_TYPES, ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e

# model id -> (test-kit family, tab)
CASES = {
    "tiny-wan5b": ("wan_5b", "Text to video"),
    "tiny-wan5b-i2v": ("wan_5b", "Image to video"),  # the same TI2V folder, from an image
    "tiny-ltx23": ("ltx23", "Text to video"),
    "tiny-ltx23-i2v": ("ltx23", "Image to video"),
    "tiny-hunyuan15": ("hunyuanvideo15", "Text to video"),
    "tiny-hunyuan15-i2v": ("hunyuanvideo15_i2v", "Image to video"),
}


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    """One tiny model per video family (a TI2V folder registered once serves both tabs)."""
    root = tmp_path_factory.mktemp("e2e-video-families")
    entries = {}
    for mid, (fam, _) in CASES.items():
        if mid.endswith("-i2v") and fam in ("wan_5b", "ltx23"):
            continue  # the text-to-video entry offers image-to-video too
        entries[mid] = tiny_entry(tiny_model(fam), FAMILY_TYPES[fam], name=f"Tiny {fam}", default_steps=2)
    write_user_config(root / "data", entries)
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


def _jobs(studio, kind: str) -> list[dict]:
    return httpx.get(f"{studio.url}/api/{kind}/jobs", params={"limit": 50}, timeout=30).json()["items"]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("case", list(CASES))
def test_each_new_video_family_makes_a_video_from_the_video_page(browser, studio, case):
    family, tab = CASES[case]
    model_id = case.removesuffix("-i2v") if family in ("wan_5b", "ltx23") else case
    kind = "i2v" if tab == "Image to video" else "video"
    call = TINY[family].call
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(studio.url + "/video")
        page.get_by_role("tab", name=tab).click()
        page.get_by_test_id("video-model-select").select_option(model_id)
        prompt = f"a robot dancing, {case}"
        page.get_by_test_id("video-prompt").fill(prompt)
        if "width" in call:
            page.get_by_test_id("video-width").fill(str(call["width"]))
            page.get_by_test_id("video-height").fill(str(call["height"]))
        page.get_by_test_id("video-frames").fill(str(call["num_frames"]))
        page.get_by_test_id("video-steps").fill("2")
        if kind == "i2v":
            page.get_by_test_id("video-source-input").set_input_files(
                files=[{"name": "start.png", "mimeType": "image/png", "buffer": _png()}]
            )
            expect(page.get_by_test_id("video-source-thumb")).to_be_visible()
        known = {j["id"] for j in _jobs(studio, kind)}
        page.get_by_test_id("video-generate").click()

        deadline, job = time.monotonic() + 240, None
        while time.monotonic() < deadline and job is None:
            fresh = [
                j for j in _jobs(studio, kind) if j["id"] not in known and j["status"] not in ("queued", "running")
            ]
            job = fresh[0] if fresh else None
            time.sleep(0.3)
        assert job is not None, "the video job did not finish"
        assert job["status"] == "completed", job.get("error")
        assert job["params"]["model"] == model_id and job["params"]["prompt"] == prompt
        assert bool(job["params"].get("reference_images")) == (kind == "i2v")

        # The card plays the job's own video, with its prompt, in view.
        card = page.locator(f"[data-testid=video-result][data-job-id='{job['id']}']")
        expect(card).to_be_visible(timeout=30_000)
        expect(card.get_by_test_id("video-result-prompt")).to_have_text(prompt)
        video = card.locator("video")
        src = video.get_attribute("src")
        assert src and job["videos"][0]["url"] in src
        head = httpx.get(studio.url + job["videos"][0]["url"], timeout=30)
        assert head.status_code == 200 and head.headers["content-type"] == "video/mp4" and len(head.content) > 1000
        box = card.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1920, box
        shot(page, f"video-family-{case}-1920")
    finally:
        context.close()
    assert not errors, errors


def test_settings_default_video_model_opens_the_video_page(page, studio):
    """Settings' default video model is the one the Video page opens on (not the first ready one)."""
    r = httpx.put(f"{studio.url}/api/settings", json={"default_video_model": "tiny-hunyuan15"}, timeout=10)
    assert r.status_code == 200, r.text
    try:
        page.goto(studio.url + "/video")
        expect(page.get_by_test_id("video-model-select")).to_have_value("tiny-hunyuan15")
        page.get_by_test_id("video-model-select").select_option("tiny-ltx23")  # a choice on the page wins
        expect(page.get_by_test_id("video-model-select")).to_have_value("tiny-ltx23")
    finally:
        httpx.put(f"{studio.url}/api/settings", json={"default_video_model": None}, timeout=10)
