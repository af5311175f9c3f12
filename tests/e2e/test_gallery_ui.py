"""The gallery as a person uses it, in headless Chromium against the real studio: search, favourite,
multi-select, zip download and delete, on a wide screen and a phone; a grid of hundreds stays windowed."""

from __future__ import annotations

import os
import time
import zipfile

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _api(studio, method: str, path: str, **kw):
    r = httpx.request(method, f"{studio.url}{path}", timeout=30, **kw)
    r.raise_for_status()
    return r.json()


def _generate(studio, prompt: str, n: int) -> None:
    body = {"prompt": prompt, "model": "tiny-sd", "width": 64, "height": 64, "steps": 2, "num_images": n}
    job_id = _api(studio, "POST", "/api/jobs", json=body)["job_id"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = _api(studio, "GET", f"/api/jobs/{job_id}")
        if job["status"] == "completed":
            return
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not finish")


def _add_fillers(studio, count: int) -> None:
    """Older assets added through the asset store's bulk insert (the bench's path), each with its files."""
    from hollywool.storage.assets import AssetRepository
    from hollywool.storage.db import Database

    some = _api(studio, "GET", "/api/assets", params={"limit": 1})["items"][0]
    outputs = studio.root / "outputs"
    image, thumb = outputs / some["path"], outputs / some["thumbnail_url"].removeprefix("/outputs/")
    folder = outputs / "images" / "fillers"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        asset_id = f"filler{i:05d}"
        os.link(image, folder / f"{asset_id}.png")
        os.link(thumb, folder / f"{asset_id}.thumb.webp")
        rows.append(
            {
                "id": asset_id,
                "kind": "image",
                "path": f"images/fillers/{asset_id}.png",
                "thumbnail_path": f"images/fillers/{asset_id}.thumb.webp",
                "mime": "image/png",
                "width": 64,
                "height": 64,
                "model": "tiny-sd",
                "prompt": f"filler study {i}",
                "created_at": 1_000_000 + i,
            }
        )
    db = Database(studio.root / "data" / "hollywool.db")
    AssetRepository(db).insert_many(rows)
    db.close()


def _context(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _thumbnails_loaded(page) -> None:
    """Every rendered tile shows a WebP thumbnail that has loaded (never the full file)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=asset-thumb]')].every(i => i.complete && i.naturalWidth > 0)"
    )
    srcs = page.get_by_test_id("asset-thumb").evaluate_all("els => els.map(e => e.getAttribute('src'))")
    assert srcs and all(s.endswith(".thumb.webp") for s in srcs), srcs


def test_search_favourite_select_zip_and_delete(browser, studio, tmp_path):
    _generate(studio, "a red lighthouse by the sea", 2)
    _generate(studio, "a quiet green forest path", 2)
    _add_fillers(studio, 600)
    context, page, errors = _context(browser, 1920, 1080)

    page.goto(studio.url + "/assets")
    expect(page.get_by_test_id("asset-total")).to_have_text("604 items")
    _thumbnails_loaded(page)
    # Windowed: a few rows of tiles in the page, not 604.
    rendered = page.get_by_test_id("asset-tile").count()
    assert 8 <= rendered < 200, rendered
    shot(page, "gallery-1920")
    oldest = page.locator('[data-asset-id="filler00000"]')
    for _ in range(40):  # scrolling down loads the next cursor pages, which lengthens the grid
        page.locator("main").evaluate("m => m.scrollTo(0, m.scrollHeight)")
        if oldest.count():
            break
        page.wait_for_timeout(250)
    expect(oldest).to_be_visible()
    expect(oldest).to_be_in_viewport()
    _thumbnails_loaded(page)
    shot(page, "gallery-1920-bottom")
    assert page.get_by_test_id("asset-tile").count() < 200
    page.locator("main").evaluate("m => m.scrollTo(0, 0)")

    # Search: the two lighthouse images, in view, with readable thumbnails.
    page.get_by_test_id("asset-search").fill("lighthouse")
    expect(page.get_by_test_id("asset-total")).to_have_text("2 items")
    tiles = page.get_by_test_id("asset-tile")
    expect(tiles).to_have_count(2)
    for i in range(2):
        expect(tiles.nth(i)).to_be_in_viewport()
    _thumbnails_loaded(page)
    box = tiles.first.bounding_box()
    assert box and box["width"] >= 120, box

    # Favourite one; the favourites filter then shows only it.
    star = tiles.first.get_by_test_id("asset-favorite")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("asset-favorites-filter").click()
    expect(page.get_by_test_id("asset-total")).to_have_text("1 item")
    expect(page.get_by_test_id("asset-tile")).to_have_count(1)
    shot(page, "gallery-1920-favourite")
    page.get_by_test_id("asset-favorites-filter").click()
    expect(page.get_by_test_id("asset-total")).to_have_text("2 items")

    # Multi-select both, download them as a zip, then delete them.
    page.get_by_test_id("asset-select-mode").click()
    for i in range(2):
        tiles.nth(i).get_by_test_id("asset-select").click()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")
    expect(page.get_by_test_id("selection-bar")).to_be_in_viewport()
    shot(page, "gallery-1920-selected")
    with page.expect_download() as download:
        page.get_by_test_id("selection-zip").click()
    archive = tmp_path / "picked.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert len(names) == 3 and "assets.json" in names and all(n.endswith(".png") for n in names if n != "assets.json")

    page.get_by_test_id("selection-delete").click()
    expect(page.get_by_role("dialog")).to_contain_text("Delete 2 assets?")
    page.get_by_test_id("confirm-delete-selection").click()
    expect(page.get_by_test_id("asset-total")).to_have_text("0 items")
    expect(page.get_by_test_id("asset-tile")).to_have_count(0)
    expect(page.get_by_text("No assets match these filters.")).to_be_visible()
    assert _api(studio, "GET", "/api/assets", params={"search": "lighthouse"})["total"] == 0

    # The forest images are still there; shown on a phone-sized screen too.
    page.get_by_test_id("asset-search").fill("forest")
    expect(page.get_by_test_id("asset-total")).to_have_text("2 items")
    shot(page, "gallery-1920-after-delete")
    context.close()
    assert not errors, errors

    context, phone, errors = _context(browser, 390, 844)
    phone.goto(studio.url + "/assets?q=forest")
    expect(phone.get_by_test_id("asset-total")).to_have_text("2 items")
    tiles = phone.get_by_test_id("asset-tile")
    expect(tiles).to_have_count(2)
    _thumbnails_loaded(phone)
    search = phone.get_by_test_id("asset-search")
    expect(search).to_be_in_viewport()
    expect(search).to_have_value("forest")
    first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
    assert first and second and first["width"] >= 100 and second["x"] + second["width"] <= 390, (first, second)
    assert abs(first["y"] - second["y"]) < 2  # two columns side by side
    shot(phone, "gallery-390")
    context.close()
    assert not errors, errors
