"""Z-Image from the split files ComfyUI users hold (Comfy-Org/z_image_turbo: the diffusion model in its original
layout, Qwen3-4B, FLUX.1's ae.safetensors): assembled offline with a config folder, found in a models folder, and
the shipped `zimage` config is Z-Image-Turbo's. The test writes the files (hollywool/testkit/original_layouts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hollywool.errors import InvalidInputError
from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run


@pytest.fixture(scope="module")
def zimage_files(tiny_model, tmp_path_factory) -> tuple[Path, Path, Path, Path]:
    """(ComfyUI models folder, diffusion model, text encoder, VAE)."""
    from hollywool.testkit.original_layouts import write_zimage_split_files

    root = tmp_path_factory.mktemp("comfy-zimage") / "models"
    return (root, *write_zimage_split_files(tiny_model("zimage"), root))


def test_zimage_split_files_generate_the_same_image_as_its_folder(register_models, make_client, zimage_files,
                                                                  tiny_model):  # fmt: skip
    _root, model, text, vae = zimage_files
    config = register_models({"tiny-zimage": "zimage"})
    # No `type`: the diffusion model's keys say Z-Image. The tiny folder stands in for the shipped config (its
    # JSON and tokenizer; its weights are not read), as the real files would use the shipped one.
    add_user_models(config, {"split-zimage": {"name": "Split Z-Image", "path": str(model), "text_encoders": [str(text)],
                                              "vae": str(vae), "config": str(tiny_model("zimage")),
                                              "default_steps": 2, "default_guidance": 0.0}})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}["split-zimage"]
    assert listed["type"] == "zimage" and listed["source"] == "file"
    body = {"width": 64, "height": 64, "seed": 5, "steps": 2, "guidance_scale": 0.0}
    split = run(client, model="split-zimage", **body)
    folder = run(client, model="tiny-zimage", **body)
    assert mean_abs_diff(pixels(client, split), pixels(client, folder)) < 0.5  # the same weights: the same image


def test_a_models_folder_pairs_zimage_with_its_text_encoder_and_fluxs_vae(zimage_files):
    from hollywool.models.model_folders import scan

    root, model, text, vae = zimage_files
    found = {f.path: f for f in scan(root.parent).files}
    assert found[vae].family == "flux"  # ae.safetensors is FLUX.1's VAE, which Z-Image uses
    diffusion = found[model]
    assert (diffusion.role, diffusion.family, diffusion.problem) == ("diffusion_model", "zimage", None)
    assert diffusion.text_encoders == [text] and diffusion.vae == vae


def test_the_shipped_zimage_config_is_z_image_turbos_and_needs_the_qwen_tokenizer(tmp_path, tiny_model):
    import shutil

    import torch
    from diffusers import AutoencoderKL, ZImageTransformer2DModel
    from transformers import Qwen3Config, Qwen3Model

    from hollywool.models.single_file import shipped_config
    from hollywool.models.split_files import check_tokenizers

    root = shipped_config("zimage", tmp_path)
    with torch.device("meta"):
        transformer = ZImageTransformer2DModel.from_config(ZImageTransformer2DModel.load_config(root / "transformer"))
        encoder = Qwen3Model(Qwen3Config.from_pretrained(root / "text_encoder"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(root / "vae"))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    # Z-Image-Turbo's model card: a 6B single-stream DiT; Qwen3-4B's: 4.0B parameters, 3.6B without embeddings.
    assert 6.0e9 < count(transformer) < 6.3e9
    assert round(count(encoder) / 1e8) == 40
    assert round((count(encoder) - encoder.embed_tokens.weight.numel()) / 1e8) == 36
    assert count(vae) == 83_819_683  # FLUX.1's ae.safetensors
    with pytest.raises(InvalidInputError, match="tokenizer has no tokenizer files"):
        check_tokenizers(root)
    for name in ("tokenizer.json", "vocab.json", "merges.txt"):  # what a user copies there from the model
        source = tiny_model("zimage") / "tokenizer" / name
        if source.exists():
            shutil.copy(source, root / "tokenizer" / name)
    check_tokenizers(root)
