"""The seed's page URLs (bookmarks, links pasted in notes) open the right page, never "Page not found"."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.kit.studio import wait_job

pytestmark = pytest.mark.e2e


def test_seed_page_urls_open_the_right_page(page, studio):
    body = {"prompt": "a seed bookmark", "model": "tiny-sd", "width": 128, "height": 128, "steps": 2}
    api = httpx.Client(base_url=studio.url, timeout=30)
    job_id = api.post("/api/jobs", json=body).json()["job_id"]
    job = wait_job(api, job_id, statuses=("completed",))
    asset_id = job["images"][0]["id"]

    # seed URL -> (the URL it now lives at, what the user sees there)
    cases = [
        ("/image", "/", page.get_by_role("button", name=re.compile("Generate"))),
        (f"/job/{job_id}", f"/queue/{job_id}", page.get_by_test_id("job-params")),
        ("/model/tiny-sd", "/models/tiny-sd", page.get_by_test_id("model-detail")),
        ("/provider/fal", "/providers/fal", page.get_by_test_id("provider-key-state")),
        (f"/asset/{asset_id}", f"/assets/{asset_id}", page.get_by_test_id("asset-image")),
        (f"/asset/video/{asset_id}", f"/assets/{asset_id}", page.get_by_test_id("asset-image")),
        ("/models/civitai/4201", "/civitai/models/4201", None),
        ("/assets", "/assets", None),
        ("/queue", "/queue", None),
        ("/logs", "/logs", None),
        ("/settings", "/settings", None),
        ("/comfyui", "/comfyui", None),
        ("/bulk", "/bulk", None),
        ("/video", "/video", None),
        ("/models", "/models", None),
    ]
    for seed_url, now_at, sign in cases:
        page.goto(studio.url + seed_url)
        expect(page).to_have_url(re.compile(re.escape(studio.url + now_at) + r"(\?.*)?$"))
        expect(page.get_by_text("Page not found")).to_have_count(0)
        if sign is not None:
            expect(sign.first).to_be_visible()
    shot(page, "seed-url-asset")


def test_an_unknown_page_says_so_and_leads_back(page, studio):
    page.goto(studio.url + "/no-such-page")
    notice = page.get_by_role("alert").filter(has_text="Page not found")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("pick a page in the menu")
    notice.get_by_role("link", name="Image page").click()
    expect(page).to_have_url(re.compile(re.escape(studio.url) + r"/?$"))
    expect(page.get_by_role("button", name=re.compile("Generate")).first).to_be_visible()
