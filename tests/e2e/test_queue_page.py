"""The Queue page as a person reads it: "#1 in queue" runs next, titles and kinds are words."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.test_studio_ui import _wait_running

pytestmark = pytest.mark.e2e


def _submit(studio, prompt: str, size: int = 64, steps: int = 1) -> str:
    body = {"prompt": prompt, "model": "tiny-sd", "width": size, "height": size, "steps": steps}
    r = httpx.post(f"{studio.url}/api/jobs", json=body, timeout=30)
    r.raise_for_status()
    return r.json()["job_id"]


@pytest.mark.parametrize("width,height", [(1920, 1080), (390, 844)])
def test_queue_positions_are_the_run_order(browser, studio, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    page = context.new_page()
    try:
        blocker = _submit(studio, "a long running lighthouse", size=256, steps=200)  # runs for many seconds
        _wait_running(studio, blocker)
        first, second, third = (_submit(studio, f"queued lighthouse {n}") for n in ("one", "two", "three"))
        page.goto(studio.url + "/queue")

        def position(job_id: str):
            return page.locator(f'[data-testid="queue-row"][data-job-id="{job_id}"]').get_by_test_id("queue-position")

        # Newest first in the list, and the oldest queued job is the one that runs next.
        expect(position(first)).to_have_text(re.compile(r"^#1 in queue"))
        expect(position(second)).to_have_text(re.compile(r"^#2 in queue"))
        expect(position(third)).to_have_text(re.compile(r"^#3 in queue"))
        row = page.locator(f'[data-testid="queue-row"][data-job-id="{first}"]')
        expect(row.get_by_role("link").first).to_have_text("queued lighthouse one")
        expect(row.get_by_test_id("job-kind")).to_have_text("Image")
        box = position(first).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box  # readable, not cut off
        shot(page, f"queue-order-{width}")

        # Move to front: the last becomes next, the others move down one.
        page.locator(f'[data-testid="queue-row"][data-job-id="{third}"]').get_by_role(
            "button", name="Move to front"
        ).click()
        expect(position(third)).to_have_text(re.compile(r"^#1 in queue"))
        expect(position(first)).to_have_text(re.compile(r"^#2 in queue"))
        expect(position(second)).to_have_text(re.compile(r"^#3 in queue"))

        # The kind filter names kinds as words.
        options = page.get_by_label("Job kind").locator("option").all_inner_texts()
        assert "Civitai download" in options and "ComfyUI workflow" in options, options
        assert not any("." in o or "_" in o for o in options), options

        # When the running job ends, the next ones run in the order shown.
        httpx.post(f"{studio.url}/api/jobs/{blocker}/cancel", timeout=10)
        for job_id in (third, first, second):
            expect(page.locator(f'[data-testid="queue-row"][data-job-id="{job_id}"]')).to_have_attribute(
                "data-status", "completed", timeout=60_000
            )
        done = {
            j: httpx.get(f"{studio.url}/api/jobs/{j}", timeout=10).json()["finished_at"] for j in (first, second, third)
        }
        assert sorted(done, key=lambda j: done[j]) == [third, first, second]
        shot(page, f"queue-done-{width}")
    finally:
        context.close()
