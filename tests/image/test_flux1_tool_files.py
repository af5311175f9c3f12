"""FLUX.1 Fill and Kontext as the single files users hold (flux1-fill-dev.safetensors, flux1-kontext-dev and
ComfyUI's fp8 flux1-dev-kontext_fp8_scaled): told from FLUX.1 by their input width (Fill) or their name (Kontext,
whose weights are dev's shapes), added by path without a `type`, and making the same images as the diffusers
folders they were written from. The files are the tiny kit models in Black Forest Labs' key layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hollywool.models.single_file import detect_architecture
from tests.image.conftest import add_user_models, image_of, png_base64, run
from tests.kit.studio import tiny_entry, write_user_config

FOLDERS = {"tiny-fill": "flux_fill", "tiny-kontext": "flux_kontext"}


@pytest.fixture(scope="module")
def files(tiny_model, tmp_path_factory) -> dict[str, Path]:
    from hollywool.testkit import split_files as kit

    root = tmp_path_factory.mktemp("flux1-tools")
    fill, kontext = tiny_model("flux_fill"), tiny_model("flux_kontext")
    clip, t5 = kit.write_flux_text_encoders(fill, root / "text_encoders")  # the same encoders in both kit models
    models = root / "diffusion_models"
    return {
        "fill": kit.write_flux_diffusion_model(fill, models / "flux1-fill-tiny.safetensors"),
        "fill-gguf": kit.write_flux_gguf(fill, models / "flux1-fill-tiny-Q8_0.gguf", "Q8_0"),
        "kontext": kit.write_flux_diffusion_model(kontext, models / "flux1-kontext-tiny.safetensors"),
        "kontext-fp8": kit.write_flux_diffusion_model(
            kontext, models / "flux1-tiny-kontext_fp8_scaled.safetensors", fp8=True, scaled=True, comfy_prefix=True
        ),
        "kontext-unnamed": kit.write_flux_diffusion_model(kontext, models / "flux1-tiny.safetensors"),
        "clip": clip,
        "t5": t5,
        "vae": kit.write_flux_vae(fill, root / "vae" / "ae.safetensors"),
    }


def test_fill_is_told_by_its_input_width_and_kontext_by_its_name(files):
    assert detect_architecture(files["fill"]) == detect_architecture(files["fill-gguf"]) == ("flux-fill", "FLUX.1 Fill")
    assert detect_architecture(files["kontext"]) == ("flux-kontext", "FLUX.1 Kontext")
    assert detect_architecture(files["kontext-fp8"]) == ("flux-kontext", "FLUX.1 Kontext")
    # Kontext's weights have FLUX.1 dev's keys and shapes: without the word in its name it reads as FLUX.1.
    assert detect_architecture(files["kontext-unnamed"])[0] == "flux"


@pytest.fixture
def client(studio_dirs, tiny_model, files, make_client):
    config = write_user_config(
        studio_dirs["data_dir"],
        {model_id: tiny_entry(tiny_model(family), family.replace("_", "-")) for model_id, family in FOLDERS.items()},
    )

    def entry(model: str, folder: str) -> dict:
        # No `type`: read from the file. The kit folder stands in for the shipped config (JSON and tokenizers).
        return {
            "name": f"File {model}",
            "path": str(files[model]),
            "text_encoders": [str(files["clip"]), str(files["t5"])],
            "vae": str(files["vae"]),
            "config": str(tiny_model(folder)),
            "default_steps": 2,
        }

    add_user_models(
        config,
        {
            "file-fill": entry("fill", "flux_fill"),
            "file-kontext": entry("kontext", "flux_kontext"),
            "file-kontext-fp8": entry("kontext-fp8", "flux_kontext"),
        },
    )
    return make_client()


def _pixels(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_the_files_load_as_their_family_and_match_the_folders(client):
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert models["file-fill"]["type"] == "flux-fill" and models["file-fill"]["modes"] == ["inpaint", "outpaint"]
    assert models["file-kontext"]["type"] == models["file-kontext-fp8"]["type"] == "flux-kontext"

    rng = np.random.default_rng(3)
    source = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 40))
    inpaint = {
        "prompt": "a red apple",
        "seed": 3,
        "guidance_scale": 5.0,
        "width": 64,
        "height": 64,
        "strength": 1.0,
        "reference_images": [{"image_base64": png_base64(source)}],
        "mask": {"image_base64": png_base64(mask)},
    }
    folder, file = (_pixels(client, run(client, model=m, **inpaint)) for m in ("tiny-fill", "file-fill"))
    inside = np.asarray(mask) > 0
    assert (file[~inside] == np.asarray(source, dtype=np.int16)[~inside]).all()
    assert np.abs(file - folder).mean() < 0.5  # the same weights in the original layout: the same image

    edit = {
        "prompt": "make it red",
        "seed": 1,
        "guidance_scale": 5.0,
        "width": 64,
        "height": 64,
        "reference_images": [{"image_base64": png_base64(Image.new("RGB", (64, 64), "white"))}],
    }
    made = {
        m: _pixels(client, run(client, model=m, **edit)) for m in ("tiny-kontext", "file-kontext", "file-kontext-fp8")
    }
    assert np.abs(made["file-kontext"] - made["tiny-kontext"]).mean() < 0.5
    assert 0 < np.abs(made["file-kontext-fp8"] - made["tiny-kontext"]).mean() < 8.0  # rounded to fp8: close
