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


@pytest.mark.parametrize("width", [1920, 390])
def test_a_job_waiting_for_a_drained_worker_says_so_then_runs_when_one_resumes(browser, two_worker_studio, width):
    url = two_worker_studio.url
    touch = width < 500
    viewport = {"width": width, "height": 1080 if width > 400 else 844}
    context = browser.new_context(viewport=viewport, is_mobile=touch, has_touch=touch, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    workers = [w["id"] for w in httpx.get(f"{url}/api/system/workers", timeout=10).json()["workers"]]
    assert len(workers) == 2, workers
    try:
        for worker in workers:
            assert httpx.post(f"{url}/api/system/workers/{worker}/drain", timeout=10).status_code == 200

        page.goto(url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_role("button", name="New session", exact=True).click()
        page.get_by_test_id("model-select").select_option("tiny-sd")
        prompt = f"a harbour at dusk, {width}"
        page.get_by_test_id("prompt").fill(prompt)
        page.get_by_test_id("width").fill("64")
        page.get_by_test_id("height").fill("64")
        page.get_by_test_id("steps").fill("2")
        page.get_by_test_id("generate").click()

        # The job's progress line says, in words, what it waits for and what to do.
        stage = page.get_by_test_id("job-progress").get_by_test_id("job-stage")
        expect(stage).to_contain_text("Waiting for worker", timeout=60_000)
        expect(stage).to_contain_text("is drained")
        expect(stage).to_contain_text("resume one in Settings, GPU workers, to run this job")
        assert "waiting_for_worker" not in stage.inner_text(), "a raw stage id shown to the user"
        stage.scroll_into_view_if_needed()
        _in_view(page, stage)
        assert stage.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 12
        width_now = page.evaluate("() => document.documentElement.scrollWidth")
        assert width_now <= width, f"the page scrolls sideways ({width_now} px)"
        # The large result area, where the user looks first, says the same.
        stage_message = page.get_by_test_id("stage-live").get_by_test_id("stage-message")
        expect(stage_message).to_contain_text("resume one in Settings, GPU workers, to run this job")
        stage_message.scroll_into_view_if_needed()
        _in_view(page, stage_message)
        # On a phone the job's title wraps beside its state and Cancel rather than being cut to a few letters.
        title = page.get_by_test_id("job-progress").get_by_role("link", name=prompt)
        assert title.evaluate("el => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1")
        stage.scroll_into_view_if_needed()
        shot(page, f"workers-job-waiting-{width}")

        # Resume one worker on the Settings page (another tab): the job runs and its image appears on the Image page.
        settings = context.new_page()
        settings.goto(url + "/settings")
        panel = settings.get_by_test_id("workers")
        panel.scroll_into_view_if_needed()
        rows = panel.get_by_role("listitem")
        expect(rows).to_have_count(2, timeout=60_000)
        rows.nth(0).get_by_role("button", name="Resume").click()
        expect(rows.nth(0).get_by_role("button", name="Drain")).to_be_visible()
        settings.close()
        expect(page.get_by_test_id("stage-image")).to_have_attribute("alt", prompt, timeout=120_000)
        expect(page.get_by_test_id("job-progress")).to_have_count(0)
        jobs = httpx.get(f"{url}/api/jobs", params={"limit": 10}, timeout=10).json()["items"]
        job = next(j for j in jobs if j["params"].get("prompt") == prompt)
        assert job["status"] == "completed", job
        shot(page, f"workers-job-resumed-{width}")
    finally:
        for worker in workers:
            httpx.post(f"{url}/api/system/workers/{worker}/undrain", timeout=10)
        for job in httpx.get(f"{url}/api/jobs", params={"active_only": True}, timeout=10).json()["items"]:
            httpx.post(f"{url}/api/jobs/{job['id']}/cancel", timeout=10)
        context.close()
    assert not errors, errors
