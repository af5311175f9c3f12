"""Chroma, FLUX.2 [klein] and Qwen-Image from the split files ComfyUI users hold (diffusion model + text encoder +
VAE, in the original key layouts; hollywool/testkit/split_layouts.py writes them): assembled offline with a config
folder, the same image as the diffusers folder; an fp8 diffusion model too; the shipped configs are the released
models'."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run

# tiny family -> (writer in split_layouts, the entry's type, request size, guidance)
CASES = {
    "chroma": ("write_chroma_split_files", "chroma", 64, 3.0),
    "flux2_klein": ("write_flux2_klein_split_files", "flux2-klein", 64, 1.0),
    "flux2": ("write_flux2_dev_split_files", "flux2", 64, 4.0),
    "qwen_image": ("write_qwen_image_split_files", "qwen-image", 64, 1.0),
}


@pytest.fixture(scope="module")
def split_files(tiny_model, tmp_path_factory):
    from hollywool.testkit import split_layouts

    made: dict[tuple[str, bool | str], tuple[Path, Path, Path]] = {}

    def get(family: str, fp8: bool | str = False) -> tuple[Path, Path, Path]:
        if (family, fp8) not in made:
            writer = getattr(split_layouts, CASES[family][0])
            root = tmp_path_factory.mktemp(f"comfy-{family}") / "models"
            made[family, fp8] = writer(tiny_model(family), root, fp8=fp8)
        return made[family, fp8]

    return get


@pytest.mark.parametrize(("family", "fp8"), [("chroma", False), ("flux2_klein", False), ("flux2", False),
                                             ("qwen_image", False), ("flux2_klein", True), ("flux2_klein", "mixed"),
                                             ("flux2", "mixed"), ("qwen_image", "mixed")])  # fmt: skip
def test_split_files_generate_the_same_image_as_the_folder(register_models, make_client, split_files, tiny_model,
                                                           family, fp8):  # fmt: skip
    model, text, vae = split_files(family, fp8)
    _writer, model_type, size, guidance = CASES[family]
    config = register_models({"tiny-folder": family})
    # No `type`: the diffusion model's keys say the family. The tiny folder stands in for the shipped config (its
    # JSON and tokenizer; its weights are not read), as the real files use the shipped one.
    add_user_models(config, {"split": {"name": "Split", "path": str(model), "text_encoders": [str(text)],
                                       "vae": str(vae), "config": str(tiny_model(family)), "default_steps": 2,
                                       "default_guidance": guidance}})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}["split"]
    assert listed["type"] == model_type and listed["source"] == "file"
    body = {"width": size, "height": size, "seed": 5, "steps": 2, "guidance_scale": guidance}
    split = run(client, model="split", **body)
    folder = run(client, model="tiny-folder", **body)
    # The same weights give the same image; fp8 rounds the matrices (to about 2 significant digits). Mixed fp8 stores
    # weight / scale: read without its scales, the weights would be up to 448 / |w| times too large.
    assert mean_abs_diff(pixels(client, split), pixels(client, folder)) < (8.0 if fp8 else 0.5)


def test_the_fp8_file_keeps_its_matrices_fp8_where_the_device_keeps_fp8(split_files, tiny_model, tmp_path):
    import torch

    from hollywool.models.split_files import ModelFiles, load_files

    model, text, vae = split_files("flux2_klein", True)
    files = ModelFiles(model, (text,), vae, tiny_model("flux2_klein"))
    pipe, _keys = load_files(files, "flux2-klein", tmp_path, torch.float32, keep_fp8=True)
    dtypes = {p.dtype for n, p in pipe.transformer.named_parameters() if n.endswith("to_qkv_mlp_proj.weight")}
    assert dtypes == {torch.float8_e4m3fn}  # converted by row splits and renames only: still fp8
    assert pipe.transformer.transformer_blocks[0].attn.to_q.weight.dtype == torch.float8_e4m3fn


def test_a_flux2_dev_text_encoder_file_with_its_vision_tower_loads_it(tiny_model, tmp_path):
    import torch
    from transformers import Mistral3ForConditionalGeneration

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_flux2_dev_split_files

    folder = tiny_model("flux2")
    model, text, vae = write_flux2_dev_split_files(folder, tmp_path / "models", vision=True)
    pipe, _keys = load_files(ModelFiles(model, (text,), vae, folder), "flux2", tmp_path, torch.float32, keep_fp8=False)
    mine = pipe.text_encoder.state_dict()
    theirs = Mistral3ForConditionalGeneration.from_pretrained(folder / "text_encoder").state_dict()
    assert any(k.startswith("model.vision_tower.") for k in mine)
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs if k != "lm_head.weight")


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_shipped_configs_are_the_released_models(tmp_path):
    import diffusers
    import torch
    import transformers

    from hollywool.models.single_file import shipped_config

    # (config, transformer class, transformer params in billions, text encoder class, its params in billions)
    # Model cards: Chroma 8.9B; FLUX.2 [dev] 32B (Mistral Small 3.1, 24B); FLUX.2 [klein] 4B (Qwen3-4B) and 9B
    # (Qwen3-8B); Qwen-Image 20B (Qwen2.5-VL-7B, 8.3B).
    expected = {
        "chroma": ("ChromaTransformer2DModel", 8.9, "T5EncoderModel", 4.8),
        "flux2-klein-4b": ("Flux2Transformer2DModel", 3.9, "Qwen3ForCausalLM", 4.0),
        "flux2-klein-9b": ("Flux2Transformer2DModel", 9.1, "Qwen3ForCausalLM", 8.2),
        # FLUX.2 [dev]: 32B; Mistral Small 3.1 (24B) with its Pixtral vision tower.
        "flux2-dev": ("Flux2Transformer2DModel", 32.2, "Mistral3ForConditionalGeneration", 23.3),
        "qwen-image": ("QwenImageTransformer2DModel", 20.4, "Qwen2_5_VLForConditionalGeneration", 8.3),
    }
    for name, (model_class, size, text_class, text_size) in expected.items():
        root = shipped_config(name, tmp_path)
        cls = getattr(diffusers, model_class)
        with torch.device("meta"):
            transformer = cls.from_config(cls.load_config(root / "transformer"))
            text = getattr(transformers, text_class)(transformers.AutoConfig.from_pretrained(root / "text_encoder"))
        assert round(_count(transformer) / 1e9, 1) == size, name
        assert round(_count(text) / 1e9, 1) == text_size, name


def test_a_klein_file_picks_the_shipped_config_of_its_size():
    from hollywool.models.families.flux2 import KLEIN_SPLIT

    assert KLEIN_SPLIT.variant is not None
    assert KLEIN_SPLIT.variant({"model.diffusion_model.txt_in.weight": [3072, 7680]}) == "flux2-klein-4b"
    assert KLEIN_SPLIT.variant({"txt_in.weight": [4096, 12288]}) == "flux2-klein-9b"
