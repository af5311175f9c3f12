"""The ComfyUI page in Chromium: import a workflow file, fill the form, run it on a fake ComfyUI
server through the studio's queue, and open the result in the asset detail."""

from __future__ import annotations

import re

import pytest

from tests.comfyui.conftest import CHECKPOINT, FIXTURES
from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fake_comfy(tmp_path_factory):
    from tests.fakes.comfyui import FakeComfyUI

    server = FakeComfyUI(models={"checkpoints": [CHECKPOINT]}, root=tmp_path_factory.mktemp("comfy")).start()
    server.step_delay = 0.05
    yield server
    server.stop()


@pytest.fixture(scope="module")
def studio(tmp_path_factory, fake_comfy):
    """The studio with its ComfyUI server pointing at the fake (overrides the suite's studio)."""
    root = tmp_path_factory.mktemp("e2e-comfyui")
    env = {"HOLLYWOOL_WEB_DIR": str(WEB_DIST), "HOLLYWOOL_COMFYUI_URL": fake_comfy.url}
    server = ServerProcess(root, env=env).start(timeout=90)
    yield server
    server.stop()


def test_import_a_workflow_fill_the_form_and_see_the_result(page, fake_comfy):
    from playwright.sync_api import expect

    page.goto(page.base + "/comfyui")
    expect(page.get_by_test_id("comfyui-status")).to_have_attribute("data-reachable", "true")
    page.get_by_test_id("import-file").set_input_files(str(FIXTURES / "txt2img_editor.json"))
    expect(page.get_by_test_id("workflow-card")).to_have_count(1)
    form = page.get_by_test_id("comfyui-form")
    expect(form.get_by_text("Positive prompt")).to_be_visible()
    expect(form.get_by_text("Negative prompt")).to_be_visible()
    page.get_by_test_id("param-7.text").fill("a lighthouse in a storm")
    page.get_by_test_id("param-3.steps").fill("6")
    page.get_by_test_id("param-5.width").fill("64")
    page.get_by_test_id("param-5.height").fill("64")

    # A bad value is refused by the pre-run check, shown next to the form.
    page.get_by_test_id("param-3.steps").fill("0")
    page.get_by_test_id("comfyui-run").click()
    expect(page.get_by_test_id("comfyui-problems")).to_contain_text("3.steps")
    page.get_by_test_id("param-3.steps").fill("6")

    page.get_by_test_id("comfyui-run").click()
    job = page.get_by_test_id("comfyui-job").first
    expect(job.get_by_test_id("job-stage")).to_contain_text(re.compile("KSampler|Running|step", re.I))
    expect(job).to_have_attribute("data-status", "completed", timeout=60_000)
    result = page.get_by_test_id("comfyui-result").first
    expect(result).to_be_visible()
    shot(page, "comfyui-page")
    result.click()
    expect(page).to_have_url(re.compile(r"/assets/[0-9a-f]+$"))
    assert fake_comfy.submissions == 1
    assert fake_comfy.history[fake_comfy.accepted[0]]["prompt"][2]["7"]["inputs"]["text"] == "a lighthouse in a storm"
