"""The 2026 image families through the Image page, as a user runs them: pick the model, write a prompt,
Generate, and the result takes the stage; then the same from a reference image where the family starts
from one (image-to-image or edit), and a clear word where it does not. Tiny random-weight models of each
family, registered in config.yaml, behind the real studio process."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import WEB_DIST, shot
from tests.kit.studio import FAMILY_TYPES, ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.e2e

# model id -> (test-kit family, what it starts from: "text", "image" (image-to-image or references), "edit" (needs one))
FAMILIES = {
    "tiny-flux2": ("flux2", {"text", "image"}),
    "tiny-flux2-klein": ("flux2_klein", {"text", "image"}),
    "tiny-chroma": ("chroma", {"text", "image"}),
    "tiny-zimage": ("zimage", {"text", "image"}),
    "tiny-qwen": ("qwen_image", {"text", "image"}),
    "tiny-qwen-edit": ("qwen_image_edit", {"edit"}),
    "tiny-qwen21": ("qwen_image_21", {"text", "image"}),
    "tiny-krea2": ("krea2", {"text"}),
}


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    """The studio with one tiny model of each new image family (overrides the suite's studio)."""
    root = tmp_path_factory.mktemp("e2e-families")
    entries = {
        mid: tiny_entry(tiny_model(fam), FAMILY_TYPES[fam], name=f"Tiny {fam}", default_steps=2)
        for mid, (fam, _) in FAMILIES.items()
    }
    write_user_config(root / "data", entries)
    server = ServerProcess(root, env={"HOLLYWOOL_WEB_DIR": str(WEB_DIST)}).start(timeout=90)
    yield server
    server.stop()


def _png(tmp_path, rgb: tuple[int, int, int]):
    path = tmp_path / f"ref-{'-'.join(map(str, rgb))}.png"
    Image.new("RGB", (96, 64), rgb).save(path)
    return path


def _generate(page, studio, model_id: str, prompt: str) -> dict:
    """Fill the form as a user does, press Generate, wait for the result on the stage; the finished job."""
    page.get_by_test_id("model-select").select_option(model_id)
    page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("width").fill("64")
    page.get_by_test_id("height").fill("64")
    page.get_by_test_id("steps").fill("2")
    page.get_by_test_id("generate").click()
    image = page.get_by_test_id("stage-image")
    expect(image).to_have_attribute("alt", prompt, timeout=180_000)
    # Shown large (not a thumbnail), whole, below the header and above the fold, however far the form scrolled.
    box, header = image.bounding_box(), page.locator("header").bounding_box()
    assert box and header and box["height"] >= 300, box
    assert box["y"] >= header["y"] + header["height"] - 1 and box["y"] + box["height"] <= 1080 + 1, (box, header)
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 50}, timeout=10).json()["items"]
    job = next(j for j in jobs if j["params"].get("prompt") == prompt)
    assert job["status"] == "completed", job
    assert job["params"]["model"] == model_id
    # The image the user sees is the one the job made, at the size asked for.
    src = image.get_attribute("src")
    assert src
    data = httpx.get(src if src.startswith("http") else studio.url + src, timeout=10).content
    assert Image.open(io.BytesIO(data)).size == (64, 64)
    return job


def _add_reference(page, path) -> None:
    extras = page.get_by_test_id("extras")
    if extras.get_attribute("open") is None:
        extras.locator("summary").click()
    page.get_by_test_id("reference-input").set_input_files(str(path))
    expect(page.get_by_test_id("reference-thumb")).to_have_count(1)
    expect(page.get_by_test_id("extras-in-use")).to_contain_text("1 reference")


@pytest.mark.parametrize("model_id", list(FAMILIES))
def test_each_new_family_generates_from_the_image_page(browser, studio, model_id, tmp_path):
    family, starts_from = FAMILIES[model_id]
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(studio.url + "/")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
        page.get_by_role("button", name="New session", exact=True).click()

        if "text" in starts_from:
            job = _generate(page, studio, model_id, f"a lighthouse, {family}")
            assert not job["params"].get("reference_images")
            shot(page, f"family-{family}-text-1920")

        if starts_from & {"image", "edit"}:
            page.get_by_test_id("model-select").select_option(model_id)
            _add_reference(page, _png(tmp_path, (200, 30, 30)))
            job = _generate(page, studio, model_id, f"the same lighthouse in red, {family}")
            refs = job["params"]["reference_images"]
            assert len(refs) == 1, refs
            shot(page, f"family-{family}-reference-1920")
        else:
            page.get_by_test_id("extras").locator("summary").click()
            note = page.get_by_test_id("no-reference-images")
            expect(note).to_be_visible()
            expect(note).to_contain_text("takes no input image")
    finally:
        context.close()
    assert not errors, errors


def test_an_edit_model_says_it_needs_an_image_before_it_runs(page, studio):
    """Qwen-Image-Edit edits images: Generate without one opens the panel where it goes and says so in a
    sentence, and nothing is queued."""
    page.goto(studio.url + "/")
    page.get_by_test_id("model-select").select_option("tiny-qwen-edit")
    page.get_by_test_id("prompt").fill("make it blue")
    page.get_by_test_id("width").fill("64")
    page.get_by_test_id("height").fill("64")
    page.get_by_test_id("generate").click()
    alert = page.get_by_test_id("extras").get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text("This model edits images: add the image to edit here, then Generate.")
    expect(page.get_by_test_id("extras")).to_contain_text("Images to edit (1 to 3, required)")
    expect(page.get_by_test_id("reference-dropzone")).to_be_in_viewport()
    expect(alert).to_be_in_viewport(ratio=1)
    jobs = httpx.get(f"{studio.url}/api/jobs", timeout=10).json()["items"]
    assert not [j for j in jobs if j["params"].get("prompt") == "make it blue"]
    shot(page, "family-qwen-edit-needs-an-image")
