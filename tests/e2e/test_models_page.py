"""The Models page as a person uses it, in headless Chromium against the real studio: search narrows the list,
the legacy families come last in their own group, a local folder is added through the dialog and listed with
its detected family, and the Image page starts on a model that is ready here. On a wide screen and a phone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": (1920, 1080), "phone": (390, 844)}


def _in_view(pg, locator) -> bool:  # noqa: ANN001
    box = locator.bounding_box()
    width, height = pg.viewport_size["width"], pg.viewport_size["height"]
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= width + 1 and 0 <= box["y"] < height


@contextmanager
def _models_page(browser, studio, screen: str) -> Iterator[Any]:  # noqa: ANN001
    """The Models page at the screen's size; no page error on the way."""
    width, height = VIEWPORTS[screen]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(f"{studio.url}/models")
        yield pg
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_search_legacy_group_and_add_a_model(browser, studio, tiny_model, tmp_path, screen):
    with _models_page(browser, studio, screen) as pg:
        cards = pg.get_by_test_id("model-card")
        expect(cards.first).to_be_visible()
        total = cards.count()
        assert total > 10

        # The legacy families are one group, the last one on the page, below every other group.
        groups = pg.get_by_test_id("model-group")
        names = groups.all_inner_texts()
        assert names[-1] == "Legacy" and names.count("Legacy") == 1, names
        tops = [g.bounding_box()["y"] for g in groups.all()]  # type: ignore[index]
        assert tops == sorted(tops), "groups are not in reading order"
        legacy_ids = pg.locator("section[aria-labelledby='cat-legacy'] [data-testid=model-card]").evaluate_all(
            "els => els.map(e => e.dataset.modelId)"
        )
        assert {"sd3-medium", "cogvideox-5b"} & set(legacy_ids), legacy_ids
        shot(pg, f"models-{screen}-all")
        legacy = pg.locator("#cat-legacy")
        legacy.scroll_into_view_if_needed()
        assert _in_view(pg, legacy)
        shot(pg, f"models-{screen}-legacy")

        # Search narrows the list: by family, then to nothing (said so), then back.
        search = pg.get_by_test_id("model-search")
        assert _in_view(pg, search)
        search.fill("flux.2")
        expect(pg.get_by_test_id("model-search-count")).to_be_visible()
        shown = cards.count()
        assert 0 < shown < total
        for text in cards.all_inner_texts():
            assert "flux.2" in text.lower() or "flux2" in text.lower(), text
        shot(pg, f"models-{screen}-search")
        search.fill("no such model zzz")
        expect(pg.get_by_text("No model matches")).to_be_visible()
        assert cards.count() == 0
        search.fill("")
        expect(cards).to_have_count(total)

        # Add a tiny diffusers folder without saying its family: the studio reads it from model_index.json.
        folder = shutil.copytree(tiny_model("sd15"), tmp_path / f"my-model-{screen}")
        add = pg.get_by_test_id("add-model")
        assert _in_view(pg, add)
        add.click()
        dialog = pg.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("add-model-path").fill(str(tmp_path / "missing"))
        dialog.get_by_test_id("add-model-submit").click()
        expect(dialog.get_by_test_id("error-path")).to_contain_text("does not exist")
        dialog.get_by_test_id("add-model-path").fill(str(folder))
        dialog.get_by_test_id("add-model-name").fill(f"My model {screen}")
        dialog.get_by_test_id("add-model-submit").click()
        expect(dialog.get_by_test_id("added-family")).to_have_text("Stable Diffusion 1.x/2.x")
        assert _in_view(pg, dialog.get_by_test_id("model-added"))
        shot(pg, f"models-{screen}-added")
        pg.keyboard.press("Escape")
        expect(dialog).to_be_hidden()

        search.fill(f"my model {screen}")
        expect(cards).to_have_count(1)
        card = cards.first
        expect(card).to_contain_text(f"My model {screen}")
        expect(card).to_contain_text("Stable Diffusion 1.x/2.x")
        expect(card).to_contain_text("local")
        assert _in_view(pg, card)
        shot(pg, f"models-{screen}-listed")

        # The Image page starts on a model that is ready here, and its picker says which are.
        pg.goto(f"{studio.url}/image")
        select = pg.get_by_test_id("model-select")
        expect(select).to_be_visible()
        chosen = select.locator("option:checked")
        expect(chosen).to_contain_text("· ready")
        expect(pg.get_by_text("on disk")).to_be_visible()  # a local model is not a download
        ready = select.locator("option", has_text="· ready").all_inner_texts()
        assert any("Tiny SD" in t for t in ready), ready
        not_ready = select.locator("option", has_text="FLUX.2").all_inner_texts()
        assert not_ready and not any("ready" in t for t in not_ready), not_ready
        shot(pg, f"models-{screen}-image-page")

        # The Video page's picker keeps the legacy families in their own group, last.
        pg.goto(f"{studio.url}/video")
        video_select = pg.get_by_test_id("video-model-select")
        expect(video_select).to_be_visible()
        labels = video_select.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
        assert labels[-1] == "Legacy" and labels.count("Legacy") == 1, labels
        legacy_options = video_select.locator("optgroup[label=Legacy] option").all_inner_texts()
        assert any("CogVideoX" in t for t in legacy_options), legacy_options
        assert not any("CogVideoX" in t for t in video_select.locator("optgroup[label=Local] option").all_inner_texts())


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_model_folders_panel_and_removing_an_added_model(browser, studio, tiny_model, tmp_path, screen):
    from hollywool.testkit.single_file import write_sd15_single_file

    comfy = tmp_path / f"ComfyUI-{screen}"
    (comfy / "models" / "checkpoints").mkdir(parents=True)
    (comfy / "models" / "loras").mkdir()
    write_sd15_single_file(tiny_model("sd15"), comfy / "models" / "checkpoints" / f"comfy-{screen}.safetensors")
    with _models_page(browser, studio, screen) as pg:
        pg.on("dialog", lambda d: d.accept())  # the "Remove ...?" confirmation
        panel = pg.get_by_test_id("model-folders")
        panel.scroll_into_view_if_needed()
        panel.get_by_test_id("model-folder-path").fill(str(tmp_path / "nowhere"))
        panel.get_by_test_id("model-folder-add").click()
        expect(panel.get_by_role("alert")).to_contain_text("is not a folder")
        panel.get_by_test_id("model-folder-path").fill(str(comfy))
        panel.get_by_test_id("model-folder-add").click()
        folder = panel.get_by_test_id("model-folder")
        expect(folder).to_contain_text(str(comfy))
        expect(folder).to_contain_text("ComfyUI · 1 checkpoint · 1 usable as a model")
        folder.scroll_into_view_if_needed()
        assert _in_view(pg, folder)
        shot(pg, f"models-{screen}-folders")

        # Its checkpoint is a model now, with its family; stop using the folder and it goes (the file stays).
        search = pg.get_by_test_id("model-search")
        search.fill(f"comfy {screen}")
        card = pg.get_by_test_id("model-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Stable Diffusion 1.x/2.x")
        pg.get_by_role("button", name=f"Stop using {comfy}").click()
        expect(folder).to_have_count(0)
        expect(card).to_have_count(0)
        assert (comfy / "models" / "checkpoints" / f"comfy-{screen}.safetensors").is_file()

        # A model added through the dialog can be removed from its card (its folder stays).
        mine = shutil.copytree(tiny_model("sd15"), tmp_path / f"removable-{screen}")
        pg.get_by_test_id("add-model").click()
        pg.get_by_test_id("add-model-path").fill(str(mine))
        pg.get_by_test_id("add-model-name").fill(f"Removable {screen}")
        pg.get_by_test_id("add-model-submit").click()
        expect(pg.get_by_test_id("added-family")).to_be_visible()
        pg.keyboard.press("Escape")
        search.fill(f"removable {screen}")
        expect(card).to_have_count(1)
        card.get_by_test_id("remove-model").click()
        expect(card).to_have_count(0)
        assert (mine / "model_index.json").is_file()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_add_a_split_files_model_through_the_dialog(browser, studio, tiny_model, tmp_path, screen):
    """A FLUX.1 diffusion model with its text encoders and VAE in ComfyUI's folders, added through the dialog's
    collapsed "Split files" section: a wrong encoder path is said under its field, then the model is added with
    its family and the files it reads."""
    from hollywool.testkit import split_files as kit

    comfy = tmp_path / f"ComfyUI-split-{screen}" / "models"
    folder = tiny_model("flux")
    model = kit.write_flux_diffusion_model(folder, comfy / "diffusion_models" / f"flux-split-{screen}.safetensors")
    clip, t5 = kit.write_flux_text_encoders(folder, comfy / "text_encoders")
    vae = kit.write_flux_vae(folder, comfy / "vae" / "ae.safetensors")
    with _models_page(browser, studio, screen) as pg:
        pg.get_by_test_id("add-model").click()
        dialog = pg.get_by_role("dialog")
        split = dialog.get_by_test_id("add-model-split")
        expect(split).to_be_visible()
        expect(dialog.get_by_test_id("add-model-vae")).to_be_hidden()  # collapsed until opened
        dialog.get_by_test_id("add-model-path").fill(str(model))
        dialog.get_by_test_id("add-model-name").fill(f"Split FLUX {screen}")
        split.locator("summary").click()
        encoders = dialog.get_by_test_id("add-model-text-encoders")
        encoders.fill(f"{clip}\n{comfy / 'text_encoders' / 'missing.safetensors'}")
        dialog.get_by_test_id("add-model-vae").fill(str(vae))
        dialog.get_by_test_id("add-model-submit").click()
        expect(dialog.get_by_test_id("error-text_encoders")).to_contain_text("does not exist")
        assert _in_view(pg, dialog.get_by_test_id("error-text_encoders"))
        shot(pg, f"models-{screen}-split-error")

        encoders.fill(f"{clip}\n{t5}")
        dialog.get_by_test_id("add-model-submit").click()
        expect(dialog.get_by_test_id("added-family")).to_have_text("FLUX")
        expect(dialog.get_by_test_id("added-split")).to_have_text(" with 2 text encoders and a VAE")
        assert _in_view(pg, dialog.get_by_test_id("model-added"))
        shot(pg, f"models-{screen}-split-added")
        pg.keyboard.press("Escape")

        pg.get_by_test_id("model-search").fill(f"split flux {screen}")
        card = pg.get_by_test_id("model-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("FLUX")
        added = next(
            m
            for m in pg.request.get(f"{studio.url}/api/models").json()["models"]
            if m["name"] == f"Split FLUX {screen}"
        )
        assert added["path"] == str(model) and added["type"] == "flux"
        assert added["text_encoders"] == [str(clip), str(t5)] and added["vae"] == str(vae)


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_add_ltx2_from_separate_files_through_the_dialog(browser, studio, tiny_model, tmp_path, screen):
    """LTX-2 as ComfyUI users hold it in separate files: the transformer, Gemma, the video VAE, and the audio VAE and
    text connectors typed into "Other part files"; the dialog says what the added model reads."""
    from hollywool.testkit.ltx2_layouts import write_gemma_text_encoder, write_ltx2_split_files

    comfy = tmp_path / f"ComfyUI-ltx-{screen}" / "models"
    folder = tiny_model("ltx2")
    files = write_ltx2_split_files(folder, comfy, f"ltx-2-19b-dev-{screen}")
    gemma = write_gemma_text_encoder(folder, comfy / "text_encoders" / "gemma_3_12B_it.safetensors")
    with _models_page(browser, studio, screen) as pg:
        pg.get_by_test_id("add-model").click()
        dialog = pg.get_by_role("dialog")
        dialog.get_by_test_id("add-model-path").fill(str(files["transformer"]))
        dialog.get_by_test_id("add-model-name").fill(f"Split LTX {screen}")
        dialog.get_by_test_id("add-model-split").locator("summary").click()
        dialog.get_by_test_id("add-model-text-encoders").fill(str(gemma))
        dialog.get_by_test_id("add-model-vae").fill(str(files["vae"]))
        parts = dialog.get_by_test_id("add-model-parts")
        parts.fill(f"{files['audio_vae']}\n{files['connectors']}")
        parts.scroll_into_view_if_needed()
        assert _in_view(pg, parts)
        expect(dialog.get_by_text("LTX-2 from separate files: its audio VAE and text connectors")).to_be_visible()
        shot(pg, f"models-{screen}-ltx-parts")
        dialog.get_by_test_id("add-model-submit").click()
        expect(dialog.get_by_test_id("added-family")).to_have_text("LTX-2")
        expect(dialog.get_by_test_id("added-split")).to_have_text(" with 1 text encoder, a VAE and 2 part files")
        assert _in_view(pg, dialog.get_by_test_id("model-added"))
        shot(pg, f"models-{screen}-ltx-added")
        added = next(
            m for m in pg.request.get(f"{studio.url}/api/models").json()["models"] if m["name"] == f"Split LTX {screen}"
        )
        assert added["type"] == "ltx2" and added["parts"] == [str(files["audio_vae"]), str(files["connectors"])]
        assert added["vae"] == str(files["vae"]) and added["text_encoders"] == [str(gemma)]
