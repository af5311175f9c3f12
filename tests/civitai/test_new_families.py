"""Civitai downloads of the 2026 families: a checkpoint becomes a model of its family (read from its keys, else
from Civitai's base model), a LoRA is tagged with the family Civitai files it under, and the compatibility check
names both families."""

from __future__ import annotations

import numpy as np
import pytest

from hollywool.settings import ServiceUrls
from tests.civitai.conftest import generate_pixels, wait_download
from tests.kit.studio import tiny_entry, write_user_config


@pytest.fixture(scope="session")
def new_family_files(tmp_path_factory, tiny_model) -> dict[str, bytes]:
    from hollywool.testkit.original_layouts import write_comfy_transformer, write_flux2_lora, write_wan_original
    from hollywool.testkit.split_layouts import write_flux2_klein_split_files

    root = tmp_path_factory.mktemp("civitai-new-families")
    klein, _text, _vae = write_flux2_klein_split_files(tiny_model("flux2_klein"), root / "klein")
    return {
        "klein": klein.read_bytes(),
        "qwen": write_comfy_transformer(tiny_model("qwen_image"), root / "qwen.safetensors").read_bytes(),
        "wan": write_wan_original(tiny_model("wan_5b"), root / "wan.safetensors", comfy_prefix=True).read_bytes(),
        "flux2-lora": write_flux2_lora(
            tiny_model("flux2_klein"), root / "klein-style.safetensors", seed=4
        ).read_bytes(),
    }


def _download(client, fake, name: str, type_: str, base_model: str, file_name: str, data: bytes) -> int:
    model = fake.add_model(name, type_, base_model, files={file_name: data})
    version_id = model["modelVersions"][0]["id"]
    r = client.post("/api/civitai/downloads", json={"version_id": version_id})
    assert r.status_code in (200, 201, 202), r.text
    assert wait_download(client, r.json()["id"])["status"] == "completed"
    return version_id


def test_checkpoints_of_the_new_families_become_models_of_their_family(make_client, fake, civitai_dir,
                                                                       new_family_files):  # fmt: skip
    client = make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)
    # Civitai files Qwen-Image 2512 under "Qwen": the keys (ComfyUI's layout) say Qwen-Image too.
    qwen = _download(client, fake, "Tiny Qwen", "Checkpoint", "Qwen", "qwen.safetensors", new_family_files["qwen"])
    # A Wan 2.2 TI2V-5B diffusion model in Wan's original names: no family claims Wan's keys, so Civitai's base
    # model says the family, and its form (the 5B), which the file alone does not.
    wan = _download(client, fake, "Tiny Wan", "Checkpoint", "Wan Video 2.2 TI2V-5B", "wan.safetensors",
                    new_family_files["wan"])  # fmt: skip
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert models[f"civitai-{qwen}"]["type"] == "qwen-image"
    assert models[f"civitai-{qwen}"]["category"] == "quality"
    assert models[f"civitai-{wan}"]["type"] == "wan"
    assert models[f"civitai-{wan}"]["category"] == "video"
    # The 5B's own first settings (its model card: 50 steps, guidance 5, 1280x704), not the A14B's.
    wan_entry = models[f"civitai-{wan}"]
    assert (wan_entry["default_steps"], wan_entry["default_guidance"]) == (50, 5.0)
    assert (wan_entry["default_width"], wan_entry["default_height"]) == (1280, 704)
    # The video page lists it as the 5B form, which starts from a prompt or an image.
    video = {m["id"]: m for m in client.get("/api/video/models").json()}[f"civitai-{wan}"]
    assert video["variant"] == "ti2v-5b" and video["text_to_video"] and video["image_to_video"]


def test_a_klein_base_download_gets_the_base_config_whatever_its_file_name(make_client, fake, civitai_dir,
                                                                          new_family_files):  # fmt: skip
    """Civitai files FLUX.2 [klein] Base under its own base model; the file's name need not say "base" (the distilled
    and Base files have the same keys and shapes): the base model picks the Base config and its 50 steps, guidance 4."""
    from hollywool.models.families.flux2 import FLUX2_KLEIN
    from hollywool.models.loading import entry_files
    from hollywool.models.split_files import read_file, split_config

    client = make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)
    data = new_family_files["klein"]
    base = _download(
        client, fake, "Tiny Klein Base", "Checkpoint", "Flux.2 Klein 4B-base", "kleinmix.safetensors", data
    )
    distilled = _download(client, fake, "Tiny Klein", "Checkpoint", "Flux.2 Klein 4B", "kleinfast.safetensors", data)
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    got = {v: (models[f"civitai-{v}"]["type"], models[f"civitai-{v}"]["default_steps"],
               models[f"civitai-{v}"]["default_guidance"]) for v in (base, distilled)}  # fmt: skip
    assert got == {base: ("flux2-klein", 50, 4.0), distilled: ("flux2-klein", 4, 1.0)}
    # Loading reads the same config the defaults came from (the call the split-files assembly makes).
    manager = client.app.state.studio.models
    split = FLUX2_KLEIN.split_files
    assert split is not None
    for version, config in ((base, "flux2-klein-base-4b"), (distilled, "flux2-klein-4b")):
        files = entry_files(manager.catalog.get(f"civitai-{version}"), manager.hub)
        assert split_config(split, read_file(files.model), files.known_as) == config


def test_a_flux2_lora_is_tagged_by_civitai_and_refused_by_other_families(make_client, fake, civitai_dir, tiny_model,
                                                                         studio_dirs, new_family_files):  # fmt: skip
    write_user_config(
        studio_dirs["data_dir"],
        {
            "tiny-klein": tiny_entry(tiny_model("flux2_klein"), "flux2-klein", category="fast"),
            "tiny-sd": tiny_entry(tiny_model("sd15"), "sd", category="fast"),
        },
    )
    client = make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)
    # ai-toolkit's FLUX.2 layout uses FLUX.1's block names: from its keys alone it would pass for a FLUX.1 LoRA.
    _download(client, fake, "Klein Style", "LORA", "Flux.2 Klein 4B", "klein-style.safetensors",
              new_family_files["flux2-lora"])  # fmt: skip
    lora = {lr["id"]: lr for lr in client.get("/api/loras").json()["loras"]}["klein-style"]
    assert lora["base"] == "flux2" and lora["source"] == "civitai"
    assert "flux2-klein" in lora["model_types"] and "flux2" in lora["model_types"]
    assert "flux" not in lora["model_types"] and "sd" not in lora["model_types"]

    r = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2,
                                       "loras": [{"lora_id": "klein-style", "weight": 1.0}]})  # fmt: skip
    assert r.status_code == 422, r.text
    assert "FLUX.2" in r.text and "Stable Diffusion 1.x/2.x" in r.text, r.text

    # An LTX-2.3 LoRA: no model here takes LTX-2 LoRAs yet, and using one says which family it is for.
    from hollywool.testkit.original_layouts import write_ltx2_lora

    ltx = write_ltx2_lora(civitai_dir.parent / "ltx-style.safetensors").read_bytes()
    _download(client, fake, "LTX Style", "LORA", "LTXV 2.3", "ltx-style.safetensors", ltx)
    lora = {lr["id"]: lr for lr in client.get("/api/loras").json()["loras"]}["ltx-style"]
    assert lora["base"] == "ltx2" and lora["model_types"] == []
    r = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-klein", "width": 64, "height": 64, "steps": 2,
                                       "loras": [{"lora_id": "ltx-style", "weight": 1.0}]})  # fmt: skip
    assert r.status_code == 422 and "made for LTX-2 models" in r.text, r.text

    # On the family it was made for, it loads (diffusers converts the layout) and changes the image.
    size = {"model": "tiny-klein", "width": 64, "height": 64}
    base = generate_pixels(client, **size)
    styled = generate_pixels(client, **size, loras=[{"lora_id": "klein-style", "weight": 1.0}])
    assert np.abs(base - styled).mean() > 0.5
