"""The A1111 request mapping on its own: LoRA tags, sampler names, hires fields, png-info of other dialects."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from hollywool.compat.a1111_info import png_info
from hollywool.compat.a1111_params import Txt2ImgRequest, hires_of, lora_tags, scheduler_of
from hollywool.models.loras import LoraInfo


def _lora(lora_id: str, name: str) -> LoraInfo:
    return LoraInfo(lora_id, name, f"/loras/{name}.safetensors", "sd1", "kohya", 1, "loras", ["sd"], [])


def test_lora_tags_name_loras_by_id_name_or_file_and_leave_the_prompt_clean():
    library = [_lora("detail-v2", "Detail Tweaker"), _lora("paper", "paper")]
    prompt, loras = lora_tags(
        "a cat <lora:Detail Tweaker:0.6>, <lora:paper>, <lora:missing:1> <lora:detail-v2:0.2> <lora:paper:9>", library
    )
    assert prompt == "a cat"
    # An unknown LoRA is dropped (as A1111 does), the first tag of a LoRA wins, weights are clamped.
    assert loras == [{"lora_id": "detail-v2", "weight": 0.6}, {"lora_id": "paper", "weight": 1.0}]
    assert lora_tags("<lora:paper:2.5>", library)[1] == [{"lora_id": "paper", "weight": 1.5}]
    assert lora_tags("<lora:paper:-1>", library)[1] == [{"lora_id": "paper", "weight": 0.0}]


def test_sampler_names_map_to_the_models_schedulers():
    offered = ["euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras"]
    assert scheduler_of(Txt2ImgRequest(sampler_name="Euler a"), offered) == "euler_a"
    karras = Txt2ImgRequest(sampler_name="DPM++ 2M", scheduler="Karras")
    assert scheduler_of(karras, offered) == "dpmpp_2m_karras"
    assert scheduler_of(Txt2ImgRequest(sampler_name="DPM++ 2M", scheduler="automatic"), offered) == "dpmpp_2m"
    assert scheduler_of(Txt2ImgRequest(sampler_index="Euler"), offered) == "euler"
    assert scheduler_of(Txt2ImgRequest(sampler_name="DPM++ 2M Karras"), offered) == "dpmpp_2m_karras"
    assert scheduler_of(Txt2ImgRequest(sampler_name="Euler a"), ["flow_euler"]) is None  # the model's default
    assert scheduler_of(Txt2ImgRequest(sampler_name="No such sampler"), offered) is None


def test_hires_fields_become_the_jobs_hires():
    assert hires_of(Txt2ImgRequest(), 64, 64, {}) is None
    body = Txt2ImgRequest(enable_hr=True, hr_resize_x=192, hr_resize_y=128, hr_upscaler="R-ESRGAN 4x+")
    assert hires_of(body, 64, 64, {"r-esrgan 4x+": "realesrgan-x4plus"}) == {
        "scale": 3.0,
        "upscaler": "realesrgan-x4plus",
        "strength": 0.7,
    }
    fix = hires_of(
        Txt2ImgRequest(enable_hr=True, hr_upscaler="Nearest", denoising_strength=0.3, hr_second_pass_steps=5),
        64,
        64,
        {},
    )
    assert fix == {"scale": 2.0, "upscaler": "lanczos", "strength": 0.3, "steps": 5}


def test_png_info_says_an_invokeai_image_in_a1111s_words():
    meta = {"positive_prompt": "a fox", "negative_prompt": "", "seed": 8, "steps": 20, "cfg_scale": 6,
            "width": 512, "height": 512, "scheduler": "euler", "model": {"name": "juggernaut"}}  # fmt: skip
    read = png_info({"invokeai_metadata": json.dumps(meta)})
    assert read["info"].startswith("a fox\nSteps: 20, Sampler: Euler, CFG scale: 6")
    assert read["parameters"]["Model"] == "juggernaut" and read["parameters"]["Source"] == "invokeai"
    assert read["items"] == {"invokeai_metadata": json.dumps(meta)}
    assert png_info({}) == {"info": "", "items": {}, "parameters": {}}


def test_masked_content_fills_only_the_masked_area_as_a1111_names_it():
    from hollywool.compat.a1111_params import masked_content

    rng = np.random.default_rng(1)
    source = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    left_red = np.asarray(source).copy()
    left_red[:, :32] = (200, 30, 30)  # the kept surroundings of the masked square: red on the left
    source = Image.fromarray(left_red)
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (24, 24, 40, 40))
    inside = np.zeros((64, 64), dtype=bool)
    inside[24:40, 24:40] = True
    src = np.asarray(source).astype(int)
    filled = {fill: np.asarray(masked_content(source, mask, fill, seed=3)).astype(int) for fill in range(4)}
    for out in filled.values():
        assert (out[~inside] == src[~inside]).all()  # unmasked pixels never change
    assert (filled[1] == src).all()  # original
    assert (filled[3][inside] == 128).all()  # latent nothing: flat grey
    assert np.abs(filled[2][inside] - src[inside]).mean() > 40  # latent noise: new noise, seeded
    assert (np.asarray(masked_content(source, mask, 2, seed=3)) == filled[2]).all()
    # fill: the surroundings' colours, redder on the red side than on the other.
    fill = filled[0]
    rough = lambda img: np.abs(np.diff(img[24:40, 24:40], axis=1)).mean()  # noqa: E731
    assert rough(fill) < rough(src) / 4  # smooth, not the noise that was there
    assert fill[24:40, 24:28, 0].mean() > fill[24:40, 36:40, 0].mean()
