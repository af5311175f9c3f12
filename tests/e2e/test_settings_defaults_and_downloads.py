"""Settings that take effect, and downloads that say what happened, in headless Chromium against the real studio:
- the Settings page's default model, size, steps and guidance are what a new Image page form starts with;
- a service address (ComfyUI) is set on the Settings page, refused readably when it is not a URL, used at once;
- "Download" on a model the hub cannot give (offline here) shows the readable failure on the model's card and
  its page, with a Retry in view that submits the download again.
On a wide screen (1920x1080) and a phone (390 px)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": (1920, 1080), "phone": (390, 844)}
# What the card says when the hub cannot give the model (the studio runs with HF_HUB_OFFLINE=1 here).
READABLE = "cannot be downloaded: offline mode is on"


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    """Two tiny SD models, so the default model is a choice and not the only one."""
    root = tmp_path_factory.mktemp("e2e-settings")
    sd = tiny_model("sd15")
    write_user_config(
        root / "data",
        {"tiny-sd": tiny_entry(sd, "sd", name="Tiny SD"), "tiny-sd-b": tiny_entry(sd, "sd", name="Tiny SD B")},
    )
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


def _context(browser, screen: str):
    width, height = VIEWPORTS[screen]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    return context, pg, errors


def _fully_in_view(pg, locator) -> None:  # noqa: ANN001
    box = locator.bounding_box()
    vw, vh = pg.viewport_size["width"], pg.viewport_size["height"]
    assert box, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= vw + 1, (box, vw)
    assert box["y"] >= 0 and box["y"] + box["height"] <= vh + 1, (box, vh)


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_settings_defaults_reach_a_new_image_form_and_service_addresses_apply(browser, studio, screen):
    from tests.fakes.comfyui import FakeComfyUI

    width = {"desktop": "384", "phone": "320"}[screen]
    context, pg, errors = _context(browser, screen)
    comfy = FakeComfyUI(models={"checkpoints": ["x.safetensors"]}).start()
    try:
        httpx.put(f"{studio.url}/api/settings", json={"default_model": "tiny-sd-b"}, timeout=10).raise_for_status()
        pg.goto(f"{studio.url}/settings")
        expect(pg.get_by_test_id("setting-max_log_entries")).to_have_value("1000")  # the form has loaded
        expect(pg.get_by_test_id("setting-default_width")).to_have_attribute("placeholder", "model's own")
        pg.get_by_test_id("setting-default_width").fill(width)
        pg.get_by_test_id("setting-default_height").fill("256")
        pg.get_by_test_id("setting-default_steps").fill("7")
        pg.get_by_test_id("setting-default_guidance").fill("3.5")
        pg.get_by_test_id("save-settings").click()
        expect(pg.get_by_role("status").filter(has_text="Saved")).to_be_visible()

        # A service address: refused readably when it is not one, then used at once (no restart).
        row = pg.get_by_test_id("service-url-comfyui")
        row.scroll_into_view_if_needed()
        field = row.get_by_label("ComfyUI server")
        field.fill("comfy box")
        row.get_by_role("button", name="Save").click()
        alert = row.get_by_role("alert")
        expect(alert).to_contain_text("http:// or https://")
        expect(alert).to_contain_text("Correct it and save again")
        _fully_in_view(pg, alert)
        shot(pg, f"settings-{screen}-service-url-refused")
        assert httpx.get(f"{studio.url}/api/comfyui/status", timeout=10).json()["reachable"] is False
        field.fill(comfy.url)
        row.get_by_role("button", name="Save").click()
        expect(row.get_by_role("status")).to_have_text("Saved: in use now")
        expect(row.get_by_role("button", name="Use default")).to_be_visible()
        expect(row.get_by_role("alert")).to_have_count(0)
        assert httpx.get(f"{studio.url}/api/comfyui/status", timeout=10).json()["reachable"] is True
        shot(pg, f"settings-{screen}-service-urls")
        # The other services are listed with their defaults; nothing secret is on the page.
        for name in ("Civitai", "fal.ai", "KREA", "Higgsfield", "Anthropic", "OpenAI-compatible LLM"):
            expect(pg.get_by_test_id("service-urls").get_by_label(name, exact=True)).to_be_attached()
        row.get_by_role("button", name="Use default").click()
        expect(field).to_have_value("")

        # A new form (a fresh browser) starts with the Settings' defaults.
        pg.goto(f"{studio.url}/")
        expect(pg.get_by_test_id("model-select")).to_have_value("tiny-sd-b")
        expect(pg.get_by_test_id("width")).to_have_value(width)
        expect(pg.get_by_test_id("height")).to_have_value("256")
        expect(pg.get_by_test_id("steps")).to_have_value("7")
        expect(pg.get_by_test_id("guidance")).to_have_value("3.5")
        _fully_in_view(pg, pg.get_by_test_id("model-select"))
        pg.get_by_test_id("guidance").scroll_into_view_if_needed()
        for field_id in ("width", "height", "steps", "guidance"):
            _fully_in_view(pg, pg.get_by_test_id(field_id))
        shot(pg, f"image-{screen}-settings-defaults")

        # The user's own change stays; a default changed later in Settings reaches the saved form.
        pg.get_by_test_id("steps").fill("11")
        pg.get_by_test_id("prompt").fill("a fox in the snow")
        httpx.put(f"{studio.url}/api/settings", json={"default_height": 320}, timeout=10).raise_for_status()
        pg.reload()
        expect(pg.get_by_test_id("height")).to_have_value("320")
        expect(pg.get_by_test_id("steps")).to_have_value("11")
        expect(pg.get_by_test_id("prompt")).to_have_value("a fox in the snow")
        expect(pg.get_by_test_id("width")).to_have_value(width)
    finally:
        comfy.stop()
        context.close()
        httpx.put(
            f"{studio.url}/api/settings",
            json={"default_model": None, "default_width": None, "default_height": None, "default_steps": None},
            timeout=10,
        )
    assert not errors, errors


def _hub_model_to_download(studio) -> str:  # noqa: ANN001
    """A catalogue model from the hub that is not here and was never asked for: its download must fail (offline)."""
    models = httpx.get(f"{studio.url}/api/models/detailed", timeout=30).json()["models"]
    cached = set(httpx.get(f"{studio.url}/api/models/cache-status", timeout=30).json()["downloaded"])
    asked = {j["params"].get("model") for j in httpx.get(f"{studio.url}/api/models/downloads", timeout=10).json()}
    hub = [m for m in models if m["source"] == "hub" and m["id"] not in cached | asked and m["category"] != "video"]
    return min(hub, key=lambda m: m["size_gb"] or 99)["id"]


def _download_jobs(studio, model_id: str) -> list[dict]:  # noqa: ANN001
    jobs = httpx.get(f"{studio.url}/api/models/downloads", timeout=10).json()
    return [j for j in jobs if j["params"].get("model") == model_id]


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_a_download_that_cannot_happen_says_why_on_the_card_and_the_page_with_retry(browser, studio, screen):
    model_id = _hub_model_to_download(studio)
    context, pg, errors = _context(browser, screen)
    try:
        pg.goto(f"{studio.url}/models")
        expect(pg.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        card = pg.locator(f"[data-testid=model-card][data-model-id='{model_id}']")
        card.scroll_into_view_if_needed()
        before = len(_download_jobs(studio, model_id))
        card.get_by_test_id("download-model").click()

        failure = card.get_by_test_id("download-failed")
        expect(failure).to_be_visible()
        expect(failure).to_contain_text("failed")
        expect(failure).to_contain_text(READABLE)
        assert "Error" not in failure.inner_text(), failure.inner_text()
        retry = failure.get_by_test_id("retry-download")
        retry.scroll_into_view_if_needed()
        _fully_in_view(pg, retry)
        _fully_in_view(pg, failure)
        shot(pg, f"models-{screen}-download-failed")
        first = _download_jobs(studio, model_id)
        assert len(first) == before + 1 and first[0]["status"] == "failed"

        # Retry submits the download again: a new job, which fails the same way and says so again.
        retry.click()
        expect(failure.get_by_role("link", name="Details")).not_to_have_attribute(
            "href", f"/queue/{first[0]['id']}", timeout=20_000
        )
        again = _download_jobs(studio, model_id)
        assert len(again) == before + 2 and again[0]["status"] == "failed", again
        expect(failure).to_contain_text(READABLE)

        # The model's own page says the same, after a reload (from the server's list of downloads).
        pg.goto(f"{studio.url}/models/{model_id}")
        page_failure = pg.get_by_test_id("download-failed")
        expect(page_failure).to_contain_text(READABLE)
        page_failure.get_by_test_id("retry-download").scroll_into_view_if_needed()
        _fully_in_view(pg, page_failure.get_by_test_id("retry-download"))
        shot(pg, f"model-page-{screen}-download-failed")
        page_failure.get_by_test_id("retry-download").click()
        expect(page_failure.get_by_role("link", name="Details")).not_to_have_attribute(
            "href", f"/queue/{again[0]['id']}", timeout=20_000
        )
        assert len(_download_jobs(studio, model_id)) == before + 3
    finally:
        context.close()
    assert not errors, errors


def test_a_download_shows_its_progress_then_is_ready_and_a_gated_one_says_what_to_do(
    browser, tiny_model, tmp_path_factory
):
    """Against a fake hub that sends slowly: the card shows bytes and percent while the job runs, then the model
    is ready; a gated repo (no token) fails with the readable reason and a Retry."""
    from tests.fakes.hf_hub import FakeHub
    from tests.image.conftest import hub_entry

    root = tmp_path_factory.mktemp("e2e-hub")
    with FakeHub() as hub:
        hub.add_repo("acme/tiny-sd", tiny_model("sd15"))
        hub.add_repo("acme/gated-sd", tiny_model("sd15"), gated=True, tokens=("hf_granted",))
        hub.chunk_delay = 0.1  # 64 KB per 0.1 s: a few seconds for the tiny model
        write_user_config(
            root / "data",
            {
                "hub-tiny": hub_entry("acme/tiny-sd", name="Hub Tiny"),
                "hub-gated": hub_entry("acme/gated-sd", name="Hub Gated"),
            },
        )
        env = {
            "HOLLYWOOL_WEB_DIR": str(WEB_DIST),
            "HF_HUB_OFFLINE": "0",
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(root / "hf-home"),
            "HF_TOKEN": "",
        }
        server = ServerProcess(root, env=env).start(timeout=90)
        context, pg, errors = _context(browser, "desktop")
        try:
            pg.goto(f"{server.url}/models")
            expect(pg.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
            card = pg.locator("[data-testid=model-card][data-model-id='hub-tiny']")
            card.scroll_into_view_if_needed()
            card.get_by_test_id("download-model").click()
            progress = card.get_by_test_id("download-progress")
            expect(progress).to_contain_text(re.compile(r"\d+(\.\d+)? [KM]B / \d+(\.\d+)? [KM]B · \d+%"))
            expect(progress.get_by_role("progressbar")).to_be_visible()
            expect(progress).to_contain_text(re.compile(r"· [1-9]\d?%"))  # moving: bytes arrive as the job runs
            _fully_in_view(pg, progress)
            shot(pg, "models-desktop-download-progress")
            expect(card.get_by_test_id("delete-cache")).to_be_visible(timeout=60_000)  # ready: its files are here
            expect(progress).to_have_count(0)

            gated = pg.locator("[data-testid=model-card][data-model-id='hub-gated']")
            gated.get_by_test_id("download-model").click()
            failure = gated.get_by_test_id("download-failed")
            expect(failure).to_contain_text("gated")
            expect(failure).to_contain_text("token")
            _fully_in_view(pg, failure.get_by_test_id("retry-download"))
            shot(pg, "models-desktop-download-gated")
        finally:
            context.close()
            server.stop()
    assert not errors, errors
