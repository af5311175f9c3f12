"""What the Control e2e tests share: a studio folder with a tiny SDXL and a tiny ControlNet Union registered as a
user adds them, a control image, and the steps that put it on the Image page."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from tests.kit.studio import tiny_entry, write_user_config


def write_control_studio(root: Path, sdxl: Path) -> Path:
    """`root/data/config.yaml` with the tiny SDXL (`tiny-sdxl`) and a tiny ControlNet Union for it (`tiny-union`)."""
    from hollywool.testkit.tiny_controlnets import build_sdxl_union

    union = build_sdxl_union(sdxl, root / "union-sdxl")
    config = write_user_config(root / "data", {"tiny-sdxl": tiny_entry(sdxl, "sdxl", name="Tiny SDXL")})
    config.write_text(
        config.read_text()
        + "control_models:\n"
        + "  tiny-union:\n    name: Tiny ControlNet Union\n    kind: controlnet\n    base: sdxl\n"
        + f"    path: {union}\n    model_class: ControlNetUnionModel\n"
        + "    modes: {pose: 0, depth: 1, canny: 3, tile: 6}\n"
    )
    return config


def control_png(folder: Path) -> Path:
    """A 160x120 house: a light wall and a red roof on black, edges a canny map and a depth map both show."""
    path = folder / "house.png"
    image = Image.new("RGB", (160, 120), (20, 20, 20))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 50, 120, 110), fill=(230, 230, 230))
    draw.polygon([(30, 50), (80, 10), (130, 50)], fill=(200, 60, 60))
    image.save(path)
    return path


def add_control_image(page: Page, url: str, folder: Path) -> Locator:
    """Open the studio at `url`, start a session with the tiny SDXL and add the house as its control image, as a user
    does; the opened Control section."""
    page.goto(url + "/")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    page.get_by_role("button", name="New session", exact=True).click()
    page.get_by_test_id("model-select").select_option("tiny-sdxl")
    section = page.get_by_test_id("control-section")
    section.locator("summary").click()
    page.get_by_test_id("control-input").set_input_files(str(control_png(folder)))
    expect(page.get_by_test_id("control-thumb")).to_have_count(1)
    return section
