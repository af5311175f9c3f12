"""The parameter finder, pins, value checks and the pre-run check against /object_info."""

from __future__ import annotations

import copy

import pytest

from hollywool.engines.comfyui.parameters import Pin, find_parameters
from hollywool.engines.comfyui.validation import GraphProblems, apply_values, check_graph


def _by_key(params):
    return {p.key: p for p in params}


def test_txt2img_parameters_tell_positive_from_negative_by_the_sampler_links(txt2img_api, object_info):
    params = find_parameters(txt2img_api, object_info)
    by_key = _by_key(params)
    # Node 7 is titled "Negative" but feeds the sampler's positive input.
    assert by_key["7.text"].role == "positive" and by_key["7.text"].display_name == "Positive prompt"
    assert by_key["6.text"].role == "negative" and by_key["6.text"].display_name == "Negative prompt"
    assert [p.key for p in params[:2]] == ["7.text", "6.text"]
    assert by_key["7.text"].constraints["multiline"] is True

    seed = by_key["3.seed"]
    assert (seed.category, seed.input_type, seed.current_value) == ("seed", "INT", 156680208700286)
    assert seed.constraints["max"] == 18446744073709551615
    slider = {"min": 1, "max": 150, "step": 1}
    assert by_key["3.steps"].constraints == {"min": 1, "max": 10000, "default": 20, "slider": slider}
    assert by_key["3.cfg"].input_type == "FLOAT" and by_key["3.cfg"].constraints["step"] == 0.1
    assert "dpmpp_2m" in by_key["3.sampler_name"].constraints["choices"]
    assert "karras" in by_key["3.scheduler"].constraints["choices"]
    assert by_key["3.denoise"].constraints["max"] == 1.0
    ckpt = by_key["4.ckpt_name"]
    assert ckpt.category == "model" and ckpt.display_name == "Checkpoint" and ckpt.input_type == "COMBO"
    assert "sd_xl_base_1.0.safetensors" in ckpt.constraints["choices"]
    labels = [by_key[f"5.{n}"].display_name for n in ("width", "height", "batch_size")]
    assert labels == ["Width", "Height", "Batch size"]
    assert by_key["5.width"].constraints["step"] == 8
    # Wiring and output names are not parameters.
    assert "9.filename_prefix" not in by_key and "3.model" not in by_key
    first = params[0].model_dump()
    for field in ("node_id", "node_class", "input_name", "input_type", "current_value", "constraints",
                  "display_name", "category"):  # fmt: skip
        assert field in first


def test_sliders_cover_the_usual_range_inside_the_servers_limits(txt2img_api, object_info):
    by_key = _by_key(find_parameters(txt2img_api, object_info))
    assert by_key["3.cfg"].constraints["slider"] == {"min": 0, "max": 30, "step": 0.5}  # ComfyUI allows 0..100
    assert by_key["5.width"].constraints["slider"] == {"min": 64, "max": 4096, "step": 8}  # ComfyUI: 16..16384
    assert by_key["3.denoise"].constraints["slider"] == {"min": 0, "max": 1.0, "step": 0.01}
    assert "slider" not in by_key["3.seed"].constraints  # a seed is typed, never slid
    info = copy.deepcopy(object_info)
    info["KSampler"]["input"]["required"]["steps"][1]["max"] = 50  # a server with a lower limit wins
    assert _by_key(find_parameters(txt2img_api, info))["3.steps"].constraints["slider"]["max"] == 50


def test_parameters_without_the_server_are_typed_from_values(txt2img_api):
    by_key = _by_key(find_parameters(txt2img_api, None))
    assert by_key["7.text"].role == "positive" and by_key["6.text"].role == "negative"
    assert by_key["3.cfg"].input_type == "FLOAT"  # 8 in the file, a float input by name
    assert by_key["3.sampler_name"].constraints == {}


def test_a_shared_encoder_through_conditioning_zero_out_stays_positive(txt2img_api, object_info):
    graph = copy.deepcopy(txt2img_api)
    del graph["6"]
    graph["10"] = {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["7", 0]}}
    graph["3"]["inputs"]["negative"] = ["10", 0]
    by_key = _by_key(find_parameters(graph, object_info))
    assert by_key["7.text"].role == "positive"
    assert not [p for p in by_key.values() if p.role == "negative"]


def test_lora_strengths_image_inputs_and_pins(txt2img_api, object_info):
    graph = copy.deepcopy(txt2img_api)
    graph["10"] = {
        "class_type": "LoraLoader",
        "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "detail.safetensors",
                   "strength_model": 0.8, "strength_clip": 1.0},
    }  # fmt: skip
    graph["3"]["inputs"]["model"] = ["10", 0]
    graph["11"] = {"class_type": "LoadImage", "inputs": {"image": "example.png"}}
    pins = [Pin(node_id="9", input_name="filename_prefix", label="File name"), Pin(node_id="3", input_name="steps")]
    by_key = _by_key(find_parameters(graph, object_info, pins))
    assert by_key["10.lora_name"].category == "lora" and by_key["10.strength_model"].display_name == "LoRA strength"
    assert by_key["11.image"].input_type == "IMAGE" and by_key["11.image"].category == "image"
    pinned = by_key["9.filename_prefix"]
    assert pinned.pinned and pinned.category == "pinned" and pinned.display_name == "File name"
    assert by_key["3.steps"].pinned and by_key["3.steps"].category == "sampling"


def test_values_are_written_into_a_copy(txt2img_api, object_info):
    params = find_parameters(txt2img_api, object_info)
    graph = apply_values(txt2img_api, params, {"7.text": "a fox", "3.seed": 5, "3.cfg": 4, "5.width": 640}, object_info)
    assert graph["7"]["inputs"]["text"] == "a fox" and graph["3"]["inputs"]["seed"] == 5
    assert graph["5"]["inputs"]["width"] == 640 and txt2img_api["5"]["inputs"]["width"] == 512


@pytest.mark.parametrize("with_server", [True, False])
def test_wrong_typed_and_out_of_range_values_are_refused_naming_each_parameter(txt2img_api, object_info, with_server):
    info = object_info if with_server else None
    params = find_parameters(txt2img_api, info)
    bad = {"3.steps": "many", "3.cfg": 500.0, "7.text": 12, "3.seed": -1, "99.text": "x", "3.model": "y"}
    with pytest.raises(GraphProblems) as err:
        apply_values(txt2img_api, params, bad, info)
    messages = [p["message"] for p in err.value.detail]
    assert err.value.status_code == 422
    assert any("'3.steps'" in m and "expected an integer" in m for m in messages)
    assert any("'3.cfg'" in m and "maximum 100" in m for m in messages) == with_server
    assert any("'7.text'" in m and "expected text" in m for m in messages)
    assert any("'99.text'" in m and "no node 99" in m for m in messages)
    assert any("'3.model'" in m and "no editable input" in m for m in messages)
    if with_server:
        assert any("'3.seed'" in m and "minimum 0" in m for m in messages)
        with pytest.raises(GraphProblems) as err:
            apply_values(txt2img_api, params, {"3.sampler_name": "warp_drive"}, info)
        assert "'3.sampler_name'" in err.value.message and "not one of" in err.value.message


def test_missing_nodes_and_models_are_all_reported_at_once(txt2img_api, object_info):
    graph = copy.deepcopy(txt2img_api)
    graph["4"]["inputs"]["ckpt_name"] = "dreamshaper_8.safetensors"
    graph["12"] = {"class_type": "IPAdapterAdvanced", "inputs": {"model": ["4", 0]}}
    graph["13"] = {"class_type": "UltimateSDUpscale", "inputs": {"image": ["8", 0]}}
    graph["14"] = {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1],
                   "lora_name": "gone.safetensors", "strength_model": 1.0, "strength_clip": 1.0}}  # fmt: skip
    graph["5"]["inputs"]["width"] = 8
    problems = check_graph(graph, object_info)
    kinds = {(p.type, p.node_id) for p in problems}
    assert ("missing_node", "12") in kinds and ("missing_node", "13") in kinds
    assert ("missing_model", "4") in kinds and ("missing_model", "14") in kinds
    assert ("out_of_range", "5") in kinds
    text = GraphProblems(problems).message
    assert "missing custom nodes: IPAdapterAdvanced, UltimateSDUpscale" in text
    assert "missing models: dreamshaper_8.safetensors, gone.safetensors" in text
    assert check_graph(txt2img_api, object_info) == []
