"""The Bulk and Providers pages in Chromium: an LLM (a fake OpenAI-compatible server) writes prompt
variations, the user edits one, the batch runs on a tiny local model and the grid fills in from live
events; a provider key set on the server shows only as its mask."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e

KEY_ENV = ("FAL_KEY", "KREA_API_KEY", "HIGGSFIELD_API_KEY", "ANTHROPIC_API_KEY", "HOLLYWOOL_LLM_API_KEY")


@pytest.fixture(scope="module")
def llm_fake():
    from tests.fakes.openai_compat import FakeOpenAICompat

    with FakeOpenAICompat() as fake:
        yield fake


@pytest.fixture(scope="module")
def fal_fake():
    from tests.fakes.fal import FakeFal

    with FakeFal(api_key="fal-e2e-id:fal-e2e-secret-7Q2z") as fake:
        yield fake


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model, llm_fake, fal_fake):
    """The studio with the tiny SD model, its LLM and fal.ai pointed at the fakes, no keys from the
    environment (overrides the suite's studio)."""
    root = tmp_path_factory.mktemp("e2e-bulk")
    write_user_config(root / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD")})
    env = {
        "HOLLYWOOL_WEB_DIR": str(WEB_DIST),
        "HOLLYWOOL_LLM_URL": f"{llm_fake.url}/v1",
        "HOLLYWOOL_FAL_URL": fal_fake.url,
        **dict.fromkeys(KEY_ENV, ""),
    }
    server = ServerProcess(root, env=env).start(timeout=90)
    yield server
    server.stop()


def test_variations_edited_and_run_as_a_batch_fill_the_grid(page, studio, llm_fake):
    from playwright.sync_api import expect

    page.goto(page.base + "/bulk")
    page.get_by_test_id("bulk-idea").fill("a lighthouse on a cliff")
    page.get_by_test_id("bulk-count").fill("3")
    page.get_by_test_id("bulk-style").fill("moody")
    page.get_by_test_id("bulk-llm").select_option("openai_compatible")
    page.get_by_test_id("bulk-generate-variations").click()

    texts = page.get_by_test_id("variation-text")
    expect(texts).to_have_count(3)
    expect(texts.first).to_have_value(re.compile("lighthouse on a cliff"))
    assert len(llm_fake.completions) == 1

    # Regenerate one (the LLM is asked for one prompt unlike the others), edit one, remove one, add one.
    llm_fake.responder = lambda body: "1. a lighthouse under the northern lights"
    page.get_by_test_id("variation-regenerate").nth(0).click()
    expect(texts.nth(0)).to_have_value("a lighthouse under the northern lights")
    llm_fake.responder = llm_fake._default_reply
    asked = str(llm_fake.completions[-1][1]["messages"])
    assert "a lighthouse on a cliff, golden hour" in asked  # another prompt, so the new one differs
    texts.nth(1).fill("a lighthouse in a snowstorm, edited")
    page.get_by_test_id("variation-remove").nth(2).click()
    expect(texts).to_have_count(2)
    page.get_by_test_id("variation-add").click()
    expect(texts).to_have_count(3)
    expect(page.get_by_test_id("bulk-run")).to_be_disabled()  # the new prompt is empty
    texts.nth(2).fill("a lighthouse at dawn")

    page.get_by_test_id("model-select").select_option("tiny-sd")
    page.get_by_test_id("bulk-width").fill("64")
    page.get_by_test_id("bulk-height").fill("64")
    page.get_by_test_id("bulk-steps").fill("2")
    shot(page, "bulk-page-reviewed")
    page.get_by_test_id("bulk-run").click()

    batch = page.get_by_test_id("bulk-batch")
    expect(page).to_have_url(re.compile(r"/bulk\?.*batch="))
    items = page.get_by_test_id("bulk-item")
    expect(items).to_have_count(3)
    expect(batch).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(page.get_by_test_id("bulk-image")).to_have_count(3)
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("3 of 3 done")
    export = page.get_by_test_id("bulk-export")
    expect(export).to_be_visible()
    href = export.get_attribute("href")
    assert href and href.endswith("/export")
    shot(page, "bulk-page-batch")

    # The batch ran the prompts as edited, and the export holds them.
    batch_id = re.search(r"batch=([0-9a-f]+)", page.url).group(1)
    view = httpx.get(f"{studio.url}/api/bulk/jobs/{batch_id}", timeout=10).json()
    assert [i["prompt"] for i in view["items"]] == [
        "a lighthouse under the northern lights",
        "a lighthouse in a snowstorm, edited",
        "a lighthouse at dawn",
    ]
    resp = httpx.get(studio.url + href, timeout=30)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"

    # The session keeps the batch.
    expect(page.get_by_test_id("bulk-batch-list").locator("li")).to_have_count(1)


def test_providers_show_a_key_only_masked(page, studio, fal_fake):
    from playwright.sync_api import expect

    key = fal_fake.api_key
    assert httpx.put(f"{studio.url}/api/providers/fal", json={"api_key": key}, timeout=10).status_code == 200

    page.goto(page.base + "/providers")
    card = page.locator('[data-testid="provider-card"][data-provider="fal"]')
    expect(card.get_by_test_id("provider-configured")).to_have_attribute("data-configured", "true")
    expect(card.get_by_test_id("provider-key")).to_contain_text("••••" + key[-4:])
    shot(page, "providers-page")
    assert key not in page.content() and key[:-4] not in page.content()

    card.click()
    expect(page).to_have_url(re.compile("/providers/fal$"))
    expect(page.get_by_test_id("provider-key-state")).to_have_attribute("data-has-key", "true")
    expect(page.get_by_test_id("provider-key-input")).to_have_value("")
    page.get_by_test_id("provider-test").click()
    expect(page.get_by_test_id("provider-test-result")).to_have_attribute("data-ok", "true")
    page.get_by_test_id("provider-discover").click()
    expect(page.get_by_test_id("provider-model-row").first).to_be_visible()
    page.get_by_test_id("provider-model-search").fill("schnell")
    expect(page.get_by_test_id("provider-model-row").first).to_contain_text("schnell")
    shot(page, "provider-detail")
    assert key not in page.content()

    # The discovered models are offered on the Image page beside the local one, with their price.
    page.goto(page.base + "/")
    options = page.get_by_test_id("model-select").locator("option")
    expect(options.filter(has_text="Tiny SD")).to_have_count(1)
    expect(page.get_by_test_id("model-select").locator('optgroup[label="fal.ai (remote)"]')).to_have_count(1)


def test_costs_view_sets_the_daily_budget(page, studio):
    from playwright.sync_api import expect

    page.goto(page.base + "/settings")
    panel = page.get_by_test_id("costs-panel")
    expect(panel.get_by_test_id("budget-state")).to_contain_text("no daily budget")
    panel.get_by_test_id("setting-daily_budget_usd").fill("2.5")
    panel.get_by_test_id("save-budget").click()
    expect(panel.get_by_test_id("budget-state")).to_contain_text("of $2.50 spent today")
    assert httpx.get(f"{studio.url}/api/settings", timeout=10).json()["daily_budget_usd"] == 2.5
    shot(page, "settings-costs")


def test_remote_text_to_video_from_the_video_page(page, studio, fal_fake):
    """A remote text-to-video model is offered beside the local ones with its provider and price; the
    job sends only what a remote job takes (prompt, duration, the model's own parameters)."""
    from playwright.sync_api import expect

    assert httpx.put(f"{studio.url}/api/providers/fal", json={"api_key": fal_fake.api_key}, timeout=10).is_success
    assert httpx.post(f"{studio.url}/api/providers/fal/discover", timeout=30).is_success
    # No daily budget (another test here sets one), so the job runs without asking for confirmation.
    assert httpx.put(f"{studio.url}/api/settings", json={"daily_budget_usd": None}, timeout=10).is_success
    model = "fal:fal-ai/kling-video/v2/master/text-to-video"

    page.goto(page.base + "/video")
    select = page.get_by_test_id("video-model-select")
    expect(select.locator('optgroup[label="fal.ai (remote)"] option')).to_contain_text(["Kling 2.0 Master"])
    select.select_option(model)
    expect(page.get_by_test_id("remote-model-badge")).to_contain_text("fal.ai")
    expect(page.get_by_test_id("remote-model-badge")).to_contain_text("/ second")
    page.get_by_test_id("video-prompt").fill("a fox running through snow")
    page.get_by_test_id("video-duration").select_option("10")
    page.get_by_test_id("provider-params").get_by_label("Aspect ratio").select_option("9:16")
    shot(page, "video-page-remote")
    submitted = len(fal_fake.submissions)
    page.get_by_test_id("video-generate").click()

    results = page.get_by_test_id("video-results")
    expect(results.locator("video")).to_have_count(1, timeout=60_000)
    endpoint, body = fal_fake.submissions[submitted]
    assert endpoint == "fal-ai/kling-video/v2/master/text-to-video"
    assert body["prompt"] == "a fox running through snow"
    assert body["duration"] == "10" and body["aspect_ratio"] == "9:16"
    assert not {"num_frames", "fps", "width", "height", "num_inference_steps"} & set(body)


def _png(color: tuple[int, int, int]) -> dict:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buf, format="PNG")
    return {"name": "ref.png", "mimeType": "image/png", "buffer": buf.getvalue()}


def test_remote_models_take_input_images_on_the_image_and_video_pages(page, studio, fal_fake):
    """A remote image-to-image model takes as many reference images as it has room for (a text-to-image
    one none, with a note); a remote image-to-video model is offered on the Image-to-video tab and its
    input images go as reference_images into the model's first and last frame fields."""
    from playwright.sync_api import expect

    from tests.fakes.fal_catalog import image_input_models

    for model in image_input_models():
        fal_fake.add_model(model)
    assert httpx.put(f"{studio.url}/api/providers/fal", json={"api_key": fal_fake.api_key}, timeout=10).is_success
    assert httpx.post(f"{studio.url}/api/providers/fal/discover", timeout=30).is_success
    assert httpx.put(f"{studio.url}/api/settings", json={"daily_budget_usd": None}, timeout=10).is_success

    # Image page: the text-to-image model takes none, the image-to-image one takes one.
    page.goto(page.base + "/")
    page.get_by_test_id("model-select").select_option("fal:fal-ai/flux/schnell")
    page.get_by_text("LoRAs and reference images").click()
    expect(page.get_by_test_id("no-reference-images")).to_contain_text("takes no input image")
    page.get_by_test_id("model-select").select_option("fal:fal-ai/flux/dev/image-to-image")
    expect(page.get_by_test_id("reference-dropzone")).to_contain_text("(0/1)")
    page.get_by_test_id("reference-input").set_input_files(_png((255, 0, 0)))
    expect(page.get_by_test_id("reference-dropzone")).to_contain_text("At most one reference image")
    page.get_by_test_id("prompt").fill("the same scene at night")
    submitted = len(fal_fake.submissions)
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("result-image")).to_have_count(1, timeout=60_000)
    endpoint, body = fal_fake.submissions[submitted]
    assert endpoint == "fal-ai/flux/dev/image-to-image"
    assert body["image_url"].startswith("data:image/")
    shot(page, "image-page-remote-i2i")

    # Video page, Image-to-video tab: the remote image-to-video model, with a first and a last frame.
    model = "fal:fal-ai/kling-video/v2/master/image-to-video"
    page.goto(page.base + "/video")
    page.get_by_role("tab", name="Image to video").click()
    select = page.get_by_test_id("video-model-select")
    expect(select.locator('optgroup[label="fal.ai (remote)"] option')).to_contain_text(
        ["Kling 2.0 Master Image to Video"]
    )
    select.select_option(model)
    page.get_by_test_id("video-source-input").set_input_files([_png((255, 255, 255)), _png((0, 0, 0))])
    expect(page.get_by_text("Source images (2 of 2 used)")).to_be_visible()
    expect(page.get_by_test_id("video-source-thumb")).to_have_count(2)
    page.get_by_test_id("video-prompt").fill("day turns to night")
    submitted = len(fal_fake.submissions)
    page.get_by_test_id("video-generate").click()
    expect(page.get_by_test_id("video-results").locator("video")).to_have_count(1, timeout=60_000)
    endpoint, body = fal_fake.submissions[submitted]
    assert endpoint == "fal-ai/kling-video/v2/master/image-to-video"
    assert body["image_url"].startswith("data:image/") and body["tail_image_url"].startswith("data:image/")
    assert not {"num_frames", "fps", "width", "height"} & set(body)
    shot(page, "video-page-remote-i2v")
