"""The offline test kit: every tiny model loads through the user's path and runs on the CPU.

Models are built once per session by the ``tiny_model`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from hollywool.testkit import tokenizers
from hollywool.testkit.tiny_models import FAMILIES, build_family, folder_size

PROMPT = "a robot dancing in the rain"
VIDEO_KEYS = ("num_frames",)


def _load(folder):
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _run(pipe, family: str, seed: int = 0, **overrides):
    spec = FAMILIES[family]
    kwargs = {**spec.call, "num_inference_steps": 2, "generator": torch.Generator().manual_seed(seed)}
    if spec.takes_prompt:
        kwargs["prompt"] = PROMPT
    if spec.takes_image:
        kwargs["image"] = Image.new("RGB", (48, 48), (200, 90, 30))
    return pipe(**{**kwargs, **overrides})


def _pixels(output) -> np.ndarray:
    return np.asarray(output.images if hasattr(output, "images") else output.frames, dtype=np.float32)


# --------------------------------------------------------------------------- tokenizers


def test_tokenizers_load_from_folders_with_real_vocabularies(tmp_path):
    clip = tokenizers.load_clip_tokenizer(tokenizers.write_clip_tokenizer(tmp_path / "clip"))
    ids = clip("a cat", padding="max_length", max_length=77).input_ids
    assert len(clip) > 500 and len(ids) == 77
    assert ids[0] == clip.bos_token_id and clip.pad_token_id == clip.eos_token_id

    t5 = tokenizers.load_t5_tokenizer(tokenizers.write_t5_tokenizer(tmp_path / "t5"))
    assert (t5.pad_token_id, t5.eos_token_id, t5.unk_token_id) == (0, 1, 2)
    assert t5("a cat").input_ids[-1] == 1 and max(t5(PROMPT).input_ids) < len(t5)

    gemma = tokenizers.load_gemma_tokenizer(tokenizers.write_gemma_tokenizer(tmp_path / "gemma"))
    assert (gemma.pad_token_id, gemma.eos_token_id, gemma.bos_token_id, gemma.unk_token_id) == (0, 1, 2, 3)
    ids = gemma(PROMPT).input_ids
    assert ids[0] == 2 and max(ids) < len(gemma)  # no token beyond the embedding table


# --------------------------------------------------------------------------- every family


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_loads_and_runs_deterministically(family, tiny_model):
    folder = tiny_model(family)
    assert 0.3e6 < folder_size(folder) < 11e6
    spec = FAMILIES[family]
    pipe = _load(folder)
    assert type(pipe).__name__ == spec.pipeline_class

    first = _run(pipe, family, output_type="np")
    pixels = _pixels(first)
    # HunyuanVideo 1.5 I2V takes no size: it picks the bucket nearest the square test image (32x32 pixels).
    h, w = spec.call.get("height", 32), spec.call.get("width", 32)
    if "num_frames" in spec.call:
        assert pixels.shape == (1, spec.call["num_frames"], h, w, 3)
    else:  # Qwen-Image 2.1 makes RGBA images
        assert pixels.shape == (1, h, w, 4 if family == "qwen_image_21" else 3)
    assert np.isfinite(pixels).all() and pixels.std() > 0
    assert np.array_equal(pixels, _pixels(_run(pipe, family, output_type="np")))

    if family == "ltx2":
        audio = first.audio
        assert isinstance(audio, torch.Tensor) and audio.shape[:2] == (1, 2) and audio.shape[-1] > 0


def test_default_output_types(tiny_model):
    """Images come back as PIL lists; video as lists of PIL frames, except Wan (numpy)."""
    sd = _run(_load(tiny_model("sd15")), "sd15")
    assert isinstance(sd.images[0], Image.Image)
    wan = _run(_load(tiny_model("wan")), "wan")
    assert isinstance(wan.frames, np.ndarray) and wan.frames.shape == (1, 9, 16, 16, 3)
    cog = _run(_load(tiny_model("cogvideox")), "cogvideox")
    assert isinstance(cog.frames[0][0], Image.Image) and len(cog.frames[0]) == 9


def test_build_family_reuses_a_finished_folder(tiny_model, models_root):
    folder = tiny_model("sd15")
    before = (folder / "model_index.json").stat().st_mtime_ns
    assert build_family("sd15", models_root) == folder
    assert (folder / "model_index.json").stat().st_mtime_ns == before


# --------------------------------------------------------------------------- single files


@pytest.mark.parametrize("family", ["sd15", "sdxl"])
def test_single_file_checkpoint_matches_the_folder(family, tiny_model, tmp_path, monkeypatch):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
    from safetensors import safe_open

    from hollywool.testkit.single_file import write_sd15_single_file, write_sdxl_single_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tiny_model(family)
    writer, cls = {
        "sd15": (write_sd15_single_file, StableDiffusionPipeline),
        "sdxl": (write_sdxl_single_file, StableDiffusionXLPipeline),
    }[family]
    path = writer(folder, tmp_path / f"{family}.safetensors")
    with safe_open(path, "pt") as f:
        keys = set(f.keys())
    assert "model.diffusion_model.input_blocks.0.0.weight" in keys
    assert ("conditioner.embedders.1.model.positional_embedding" in keys) == (family == "sdxl")

    single = cls.from_single_file(str(path), config=str(folder), local_files_only=True)
    single.set_progress_bar_config(disable=True)
    expected = _pixels(_run(_load(folder), family, output_type="np"))
    assert np.array_equal(_pixels(_run(single, family, output_type="np")), expected)


# --------------------------------------------------------------------------- LoRA


@pytest.mark.parametrize("family,layout", [("sd15", "diffusers"), ("sd15", "kohya"), ("sdxl", "diffusers")])
def test_lora_loads_and_changes_the_output(family, layout, tiny_model, tmp_path):
    from hollywool.testkit.loras import write_diffusers_lora, write_kohya_lora

    folder = tiny_model(family)
    if layout == "kohya":
        path = write_kohya_lora(folder, tmp_path / "style.safetensors", text_encoder=True)
    else:
        path = write_diffusers_lora(folder, tmp_path / "lora")
        assert path.name == "pytorch_lora_weights.safetensors"
    pipe = _load(folder)
    base = _pixels(_run(pipe, family, output_type="np"))

    pipe.load_lora_weights(str(path), adapter_name="style")
    with_lora = _pixels(_run(pipe, family, output_type="np"))
    assert np.abs(with_lora - base).max() > 0.01

    pipe.unload_lora_weights()
    assert np.array_equal(_pixels(_run(pipe, family, output_type="np")), base)


# --------------------------------------------------------------------------- upscalers


@pytest.mark.parametrize("scale,suffix", [(2, ".pth"), (2, ".safetensors"), (4, ".pth")])
def test_spandrel_loads_the_tiny_realesrgan(scale, suffix, tmp_path):
    import spandrel

    from hollywool.testkit.upscalers import write_realesrgan

    model = spandrel.ModelLoader().load_from_file(write_realesrgan(tmp_path / f"x{scale}{suffix}", scale))
    assert model.architecture.id == "ESRGAN" and model.scale == scale
    with torch.no_grad():
        out = model(torch.rand(1, 3, 16, 16))
    assert out.shape == (1, 3, 16 * scale, 16 * scale)
