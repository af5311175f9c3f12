"""The ComfyUI form tells the truth (issue 15, point 10): a checkpoint the server lacks is shown
as missing and sent as shown until the user picks one; a passing check says so; sliders cover
usual ranges (from the server), and the seed is typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.comfyui.conftest import CHECKPOINT, FIXTURES
from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess

pytestmark = pytest.mark.e2e

OTHER = ["dreamshaper_8.safetensors", "realisticVision_v60.safetensors"]


@pytest.fixture(scope="module")
def fake_comfy(tmp_path_factory):
    from tests.fakes.comfyui import FakeComfyUI

    # The workflow names CHECKPOINT; this server has two others.
    server = FakeComfyUI(models={"checkpoints": OTHER}, root=tmp_path_factory.mktemp("comfy")).start()
    server.step_delay = 0.02
    yield server
    server.stop()


@pytest.fixture(scope="module")
def studio(tmp_path_factory, fake_comfy):
    root = tmp_path_factory.mktemp("e2e-comfyui-form")
    env = {"HOLLYWOOL_WEB_DIR": str(WEB_DIST), "HOLLYWOOL_COMFYUI_URL": fake_comfy.url}
    server = ServerProcess(root, env=env).start(timeout=90)
    yield server
    server.stop()


def test_missing_checkpoint_check_success_and_slider_ranges(page, browser, studio, fake_comfy):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(page.base + "/comfyui")
    expect(page.get_by_test_id("comfyui-status")).to_have_attribute("data-reachable", "true")
    page.get_by_test_id("import-file").set_input_files(str(FIXTURES / "txt2img_editor.json"))
    form = page.get_by_test_id("comfyui-form")
    ckpt = page.get_by_test_id("param-4.ckpt_name")
    # What is shown is the workflow's own checkpoint, marked missing, with what to do.
    expect(ckpt).to_have_value(CHECKPOINT)
    expect(ckpt.locator("option:checked")).to_have_text(f"{CHECKPOINT} (not on the server)")
    expect(
        form.get_by_text(f"The workflow names {CHECKPOINT}, which this ComfyUI server does not have")
    ).to_be_visible()
    expect(page.get_by_test_id("comfyui-check-ok")).to_have_count(0)

    # Sliders: the usual ranges the server gives, not ComfyUI's 1..10000; the seed is a number box.
    steps = page.get_by_test_id("slider-3.steps")
    assert (steps.get_attribute("min"), steps.get_attribute("max")) == ("1", "150")
    cfg = page.get_by_test_id("slider-3.cfg")
    assert (cfg.get_attribute("min"), cfg.get_attribute("max")) == ("0", "30")
    width = page.get_by_test_id("slider-5.width")
    assert (width.get_attribute("min"), width.get_attribute("max"), width.get_attribute("step")) == ("64", "4096", "8")
    expect(page.get_by_test_id("slider-3.seed")).to_have_count(0)
    expect(page.get_by_test_id("param-3.seed")).to_have_attribute("type", "number")
    page.get_by_test_id("param-3.steps").fill("6")
    page.get_by_test_id("param-5.width").fill("64")
    page.get_by_test_id("param-5.height").fill("64")

    # A check with the missing checkpoint names it; no success is shown.
    page.get_by_test_id("comfyui-check").click()
    expect(page.get_by_test_id("comfyui-problems")).to_contain_text(CHECKPOINT)
    expect(page.get_by_test_id("comfyui-check-ok")).to_have_count(0)
    ckpt.scroll_into_view_if_needed()
    shot(page, "comfyui-missing-checkpoint-1920")

    # The user picks one the server has: the check passes visibly, and the run sends exactly that one.
    ckpt.select_option(OTHER[1])
    expect(form.get_by_text("which this ComfyUI server does not have")).to_have_count(0)
    page.get_by_test_id("comfyui-check").click()
    ok = page.get_by_test_id("comfyui-check-ok")
    expect(ok).to_be_visible()
    expect(ok).to_contain_text("ready to run")
    expect(page.get_by_test_id("comfyui-problems")).to_have_count(0)
    shot(page, "comfyui-check-ok-1920")
    page.get_by_test_id("param-3.steps").fill("7")
    expect(ok).to_have_count(0)  # a change makes the check stale

    before = fake_comfy.submissions
    page.get_by_test_id("comfyui-run").click()
    job = page.get_by_test_id("comfyui-job").first
    expect(job).to_have_attribute("data-status", "completed", timeout=60_000)
    assert fake_comfy.submissions == before + 1
    sent = fake_comfy.history[fake_comfy.accepted[-1]]["prompt"][2]
    assert sent["4"]["inputs"]["ckpt_name"] == OTHER[1]
    assert sent["3"]["inputs"]["steps"] == 7

    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    try:
        phone = context.new_page()
        phone.goto(page.base + "/comfyui")
        phone.get_by_test_id("workflow-card").first.click()
        select = phone.get_by_test_id("param-4.ckpt_name")
        expect(select).to_be_visible()
        expect(phone.get_by_text("which this ComfyUI server does not have")).to_be_visible()
        box = select.bounding_box()
        assert box and box["x"] + box["width"] <= 390, box
        select.scroll_into_view_if_needed()
        shot(phone, "comfyui-missing-checkpoint-390")
    finally:
        context.close()
