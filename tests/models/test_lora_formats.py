"""LoRA layouts: told apart and given a family from their keys, converted, and refused when nothing fits."""

from __future__ import annotations

import pytest

from hollywool.errors import InvalidInputError
from hollywool.models import families, lora_formats
from hollywool.models.loras import AppliedLoras, LoraLibrary


@pytest.fixture(scope="module")
def layout_files(tmp_path_factory, tiny_model):
    from hollywool.testkit.loras import (
        write_diffusers_lora,
        write_flux_lora,
        write_kohya_lora,
        write_unet_lora,
        write_wan_lora,
    )

    root = tmp_path_factory.mktemp("layouts")
    write_diffusers_lora(tiny_model("sd15"), root / "peft-sd15", seed=1)
    write_kohya_lora(tiny_model("sd15"), root / "kohya-sd15.safetensors", seed=2)
    write_unet_lora(tiny_model("sd15"), root / "comfy-sd15.safetensors", layout="comfyui", seed=3)
    write_unet_lora(tiny_model("sdxl"), root / "kohya-sdxl.safetensors", layout="kohya", seed=4)
    write_flux_lora(tiny_model("flux"), root / "kohya-flux.safetensors", layout="kohya", seed=5)
    write_flux_lora(tiny_model("flux"), root / "comfy-flux.safetensors", layout="comfyui", seed=6)
    write_wan_lora(tiny_model("wan"), root / "comfy-wan.safetensors", seed=7)
    return root


def test_layout_and_family_are_read_from_the_keys(layout_files):
    found = {i.id: i for i in LoraLibrary([(layout_files, "loras")]).scan()}
    assert {k: (v.format, v.base) for k, v in found.items()} == {
        "peft-sd15": ("diffusers", "sd1"),
        "kohya-sd15": ("kohya", "sd1"),
        "comfy-sd15": ("comfyui", "sd1"),
        "kohya-sdxl": ("kohya", "sdxl"),
        "kohya-flux": ("kohya", "flux"),
        "comfy-flux": ("comfyui", "flux"),
        "comfy-wan": ("comfyui", "wan"),
    }
    assert found["comfy-wan"].model_types == ["wan", "wan-i2v"]
    # A FLUX.1 LoRA fits FLUX.1, Chroma (FLUX.1-derived) and FLUX.1's Kontext and Fill, nothing else.
    assert found["kohya-flux"].model_types == ["flux", "chroma", "flux-kontext", "flux-fill"]


def test_comfyui_names_become_kohya_names_with_diffusers_blocks(layout_files, tiny_model):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(tiny_model("sd15"))
    state = lora_formats.read(layout_files / "comfy-sd15.safetensors")
    assert any(k.startswith("diffusion_model.input_blocks.1.1.") for k in state)
    converted = lora_formats.kohya_names(state, pipe)
    assert converted and all(k.startswith("lora_unet_") for k in converted)
    assert any(k.startswith("lora_unet_down_blocks_0_attentions_0_") for k in converted)
    assert any(k.startswith("lora_unet_up_blocks_1_attentions_2_") for k in converted)
    assert len(converted) == len(state)
    pipe.load_lora_weights(converted, adapter_name="comfy")
    wrapped = {n for n, m in pipe.unet.named_modules() if hasattr(m, "lora_A") and "comfy" in m.lora_A}
    assert "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q" in wrapped
    assert "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v" in wrapped


def test_a_lora_whose_keys_match_nothing_is_refused_not_ignored(layout_files, tiny_model):
    """An SD 1.5 LoRA loaded into FLUX: no key lands, so the job must fail instead of rendering unchanged."""
    from diffusers import FluxPipeline

    pipe = FluxPipeline.from_pretrained(tiny_model("flux"))
    info = LoraLibrary([(layout_files, "loras")]).get("peft-sd15")
    with pytest.raises(InvalidInputError, match="None of the LoRA's keys match the FLUX model"):
        lora_formats.load(pipe, info.path, "x", families.family("flux"))
    # The job-level wrapper reports it naming the LoRA and leaves the pipeline without adapters.
    with pytest.raises(Exception, match="peft-sd15"), AppliedLoras(pipe, [(info, 1.0)], "tiny-flux"):
        pass
    assert not any(pipe.get_list_adapters().values())


def test_converter_names_resolve_to_ours_or_diffusers():
    assert lora_formats.converter("kohya_names") is lora_formats.kohya_names
    qwen = lora_formats.converter("_convert_non_diffusers_qwen_lora_to_diffusers")
    assert callable(qwen)
    with pytest.raises(ValueError, match="unknown LoRA converter"):
        lora_formats.converter("nope")


def test_a_family_can_tell_its_loras_apart_by_shape(layout_files):
    """FLUX.1, FLUX.2 and Chroma LoRAs share key names: a family module gives a detector over the shapes."""
    from hollywool.models.families import ImageFamily

    def wide(shapes: dict[str, list[int]], _metadata: dict[str, str]) -> str | None:
        qkv = shapes.get("lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight")
        return "wide" if qkv and qkv[0] == 96 else None

    family = ImageFamily(
        type="test-wide", label="Wide", pipeline="FluxPipeline", size_multiple=16, default_size=64,
        lora_bases={"wide": "Wide"}, detect_lora=wide,
    )  # fmt: skip
    families.register(family)
    try:
        found = {i.id: i for i in LoraLibrary([(layout_files, "loras")]).scan()}
        assert found["kohya-flux"].base == "wide" and found["kohya-flux"].model_types == ["test-wide"]
        assert found["comfy-flux"].base == "flux"  # its keys are not the ones the detector reads
    finally:
        families.REGISTRY.unregister("test-wide")
