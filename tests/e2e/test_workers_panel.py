"""The GPU workers on the Settings page, with two workers acted out on the CPU (`HOLLYWOOL_GPUS=cpu,cpu`): each is
listed with its device and state, a running job links from its worker, and a worker can be drained and resumed."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def two_worker_studio(tmp_path_factory, tiny_model):
    root = tmp_path_factory.mktemp("e2e-workers")
    write_user_config(root / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD")})
    env = {"HOLLYWOOL_WEB_DIR": str(WEB_DIST), "HOLLYWOOL_GPUS": "cpu,cpu"}
    server = ServerProcess(root, env=env).start(timeout=120)
    yield server
    server.stop()


def _in_view(page, locator) -> None:
    box = locator.bounding_box()
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= vw + 1 and box["y"] + box["height"] <= vh + 1, box


@pytest.mark.parametrize("width", [1920, 390])
def test_workers_are_listed_a_running_job_links_and_a_worker_drains(browser, two_worker_studio, width):
    url = two_worker_studio.url
    context = browser.new_context(viewport={"width": width, "height": 1080 if width > 400 else 844})
    page = context.new_page()
    try:
        page.goto(url + "/settings")
        panel = page.get_by_test_id("workers")
        panel.scroll_into_view_if_needed()
        expect(panel.get_by_role("heading", name="GPU workers")).to_be_visible()
        rows = panel.get_by_role("listitem")
        expect(rows).to_have_count(2, timeout=60_000)
        expect(rows.nth(0)).to_contain_text("cpu")
        expect(rows.nth(0)).to_contain_text("idle", timeout=60_000)

        # A long job (the panel polls every 5 s; it is cancelled below): its worker shows it, linked to its page.
        body = {"prompt": "a lighthouse", "model": "tiny-sd", "width": 512, "height": 512, "steps": 150}
        body["num_images"] = 4
        r = httpx.post(f"{url}/api/jobs", json=body, timeout=30)
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        link = panel.get_by_role("link", name=f"running job {job_id[:8]}")
        expect(link).to_be_visible(timeout=90_000)
        link.scroll_into_view_if_needed()
        _in_view(page, link)
        shot(page, f"workers-running-{width}")

        # Drain the idle worker: it says so, and Resume brings it back.
        idle = rows.filter(has_not=page.get_by_role("link"))
        idle.get_by_role("button", name="Drain").click()
        expect(idle.get_by_role("button", name="Resume")).to_be_visible()
        expect(idle).to_contain_text("drained")
        drain_button = idle.get_by_role("button", name="Resume")
        box = drain_button.bounding_box()
        assert box and box["height"] >= 28 and box["x"] + box["width"] <= page.viewport_size["width"] + 1, box
        shot(page, f"workers-drained-{width}")
        drain_button.click()
        expect(idle.get_by_role("button", name="Drain")).to_be_visible()
        httpx.post(f"{url}/api/jobs/{job_id}/cancel", timeout=10)
        expect(page.get_by_role("link", name=f"running job {job_id[:8]}")).to_have_count(0, timeout=60_000)
    finally:
        context.close()
