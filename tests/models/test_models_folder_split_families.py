"""A ComfyUI models folder holding the split files of Chroma, FLUX.2 [klein] and [dev], Qwen-Image or Wan 2.2 TI2V-5B
(written in their original layouts by hollywool/testkit/split_layouts.py): each diffusion model is found with its
family and paired with its text encoder and its VAE, whose family is read from its keys (Wan-style video VAEs too)."""

from __future__ import annotations

import pytest

CASES = {
    "chroma": ("write_chroma_split_files", "chroma", "flux"),
    "flux2_klein": ("write_flux2_klein_split_files", "flux2-klein", "flux2"),
    "flux2": ("write_flux2_dev_split_files", "flux2", "flux2"),
    "qwen_image": ("write_qwen_image_split_files", "qwen-image", "qwen-image"),
    "wan_5b": ("write_wan22_split_files", "wan", "wan"),
}


@pytest.mark.parametrize("tiny", list(CASES))
def test_a_models_folder_pairs_each_diffusion_model_with_its_files(tiny, tiny_model, tmp_path):
    from hollywool.models.model_folders import scan
    from hollywool.testkit import split_layouts

    writer, family, vae_family = CASES[tiny]
    model, text, vae = getattr(split_layouts, writer)(tiny_model(tiny), tmp_path / "models")
    found = {f.path: f for f in scan(tmp_path).files}
    diffusion = found[model]
    assert (diffusion.role, diffusion.family, diffusion.problem) == ("diffusion_model", family, None)
    assert diffusion.text_encoders == [text] and diffusion.vae == vae
    assert (found[vae].role, found[vae].family, found[vae].problem) == ("vae", vae_family, None)


def test_a_vae_of_an_unknown_family_is_never_paired(tiny_model, tmp_path):
    import torch
    from safetensors.torch import save_file

    from hollywool.models.model_folders import scan
    from hollywool.testkit.split_layouts import write_qwen_image_split_files

    model, _text, vae = write_qwen_image_split_files(tiny_model("qwen_image"), tmp_path / "models")
    vae.unlink()
    save_file({"weight": torch.zeros(2, 2)}, str(vae))  # a file in vae/ whose keys say no family
    found = {f.path: f for f in scan(tmp_path).files}
    assert found[vae].family is None and found[model].vae is None
    assert "VAE" in (found[model].problem or "")
