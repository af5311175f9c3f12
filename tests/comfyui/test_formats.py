"""Editor format -> API format, format detection, structural checks and embedded workflows."""

from __future__ import annotations

import copy
import io
import json

import pytest
from PIL import Image, PngImagePlugin

from hollywool.engines.comfyui.png_workflow import read_embedded
from hollywool.engines.comfyui.workflow_formats import (
    WorkflowError,
    check_api_graph,
    detect_format,
    editor_to_api,
)
from tests.comfyui.conftest import load


def test_editor_workflow_converts_to_the_same_graph_as_its_api_twin(txt2img_editor, txt2img_api, object_info):
    assert detect_format(txt2img_editor) == "editor"
    assert detect_format(txt2img_api) == "api"
    assert editor_to_api(txt2img_editor, object_info) == txt2img_api


def test_schema_1_link_objects_convert_the_same(txt2img_editor, txt2img_api, object_info):
    keys = ("id", "origin_id", "origin_slot", "target_id", "target_slot", "type")
    links = [dict(zip(keys, link, strict=True)) for link in txt2img_editor["links"]]
    v1 = {**txt2img_editor, "version": 1, "links": links}
    assert editor_to_api(v1, object_info) == txt2img_api


def test_conversion_rules_primitive_reroute_bypass_mute_notes_and_extra_widget_values(object_info):
    # PrimitiveNode values replace stale widgets (width 512 -> 40, height 999 -> 24); the Reroute and the
    # bypassed ImageInvert collapse to a link to node 1; muted and Note nodes vanish and an input fed by a
    # muted node is deleted; control_after_generate and LoadImage's upload values are not sent.
    assert editor_to_api(load("rules_editor.json"), object_info) == load("rules_api.json")


def test_widget_values_follow_declared_order_not_slot_order(txt2img_editor, object_info):
    shuffled = copy.deepcopy(txt2img_editor)
    sampler = next(n for n in shuffled["nodes"] if n["id"] == 3)
    sampler["inputs"].reverse()  # slots are matched by name
    graph = editor_to_api(shuffled, object_info)
    assert graph["3"]["inputs"]["steps"] == 20 and graph["3"]["inputs"]["positive"] == ["7", 0]


def test_subgraph_nodes_get_prefixed_ids_and_links_cross_the_boundary(object_info):
    inner = {
        "id": "7d3b0c7e-1111-4222-8333-944455556666",
        "name": "invert twice",
        "inputs": [{"id": "a", "name": "image", "type": "IMAGE", "linkIds": [1]}],
        "outputs": [{"id": "b", "name": "IMAGE", "type": "IMAGE", "linkIds": [3]}],
        "nodes": [
            {"id": 1, "type": "ImageInvert", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}], "widgets_values": []},
            {"id": 2, "type": "ImageInvert", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 2}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3]}], "widgets_values": []},
        ],
        "links": [
            {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 1, "target_slot": 0, "type": "IMAGE"},
            {"id": 2, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "IMAGE"},
            {"id": 3, "origin_id": 2, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"},
        ],
        "inputNode": {"id": -10},
        "outputNode": {"id": -20},
    }  # fmt: skip
    workflow = {
        "version": 0.4,
        "nodes": [
            {"id": 1, "type": "EmptyImage", "mode": 0, "inputs": [], "outputs": [], "widgets_values": [8, 8, 1, 0]},
            {"id": 13, "type": inner["id"], "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 10}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [11]}], "widgets_values": []},
            {"id": 20, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 11}],
             "outputs": [], "widgets_values": ["sub"]},
        ],
        "links": [[10, 1, 0, 13, 0, "IMAGE"], [11, 13, 0, 20, 0, "IMAGE"]],
        "definitions": {"subgraphs": [inner]},
    }  # fmt: skip
    graph = editor_to_api(workflow, object_info)
    assert set(graph) == {"1", "13:1", "13:2", "20"}
    assert graph["13:1"]["inputs"] == {"image": ["1", 0]}
    assert graph["13:2"]["inputs"] == {"image": ["13:1", 0]}
    assert graph["20"]["inputs"] == {"filename_prefix": "sub", "images": ["13:2", 0]}


def test_unknown_node_types_and_bad_widget_counts_are_all_named(txt2img_editor, object_info):
    broken = copy.deepcopy(txt2img_editor)
    broken["nodes"][0]["type"] = "IPAdapterPlus"
    next(n for n in broken["nodes"] if n["id"] == 5)["widgets_values"] = [512]
    with pytest.raises(WorkflowError) as err:
        editor_to_api(broken, object_info)
    problems = err.value.problems
    assert any("node 4" in p and "IPAdapterPlus" in p and "not known to the server" in p for p in problems)
    assert any("node 5" in p and "1 widget values" in p for p in problems)
    assert err.value.status_code == 422


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([1, 2, 3], "expected a JSON object, got a list"),
        ("hello", "got a string"),
        ({}, "empty"),
        ({"name": "x", "size": 3}, "neither format"),
        ({"a": {"inputs": {}}}, "no node has a class_type"),
        ({"nodes": "x", "links": []}, "not a graph"),
    ],
)
def test_neither_format_or_not_a_graph_says_which(data, words):
    with pytest.raises(WorkflowError) as err:
        detect_format(data)
    assert words in err.value.message


def test_link_to_a_missing_node_names_the_node(txt2img_api, txt2img_editor, object_info):
    graph = copy.deepcopy(txt2img_api)
    graph["3"]["inputs"]["model"] = ["99", 0]
    with pytest.raises(WorkflowError) as err:
        check_api_graph(graph)
    assert "node 3 (KSampler)" in err.value.message and "node 99" in err.value.message

    editor = copy.deepcopy(txt2img_editor)
    editor["links"][0][1] = 77  # MODEL link now comes from node 77
    with pytest.raises(WorkflowError) as err:
        editor_to_api(editor, object_info)
    assert "node 3 input 'model'" in err.value.message and "node 77" in err.value.message


def test_a_cycle_is_refused_naming_its_nodes(txt2img_api):
    graph = copy.deepcopy(txt2img_api)
    graph["5"] = {"class_type": "LatentUpscale", "inputs": {"samples": ["3", 0]}}
    with pytest.raises(WorkflowError) as err:
        check_api_graph(graph)
    message = err.value.message
    assert "cycle" in message and "3 (KSampler)" in message and "5 (LatentUpscale)" in message


def test_numeric_node_ids_in_links_are_normalised(txt2img_api):
    graph = copy.deepcopy(txt2img_api)
    graph["8"]["inputs"]["samples"] = [3, 0]
    assert check_api_graph(graph)["8"]["inputs"]["samples"] == ["3", 0]


def _png_with(chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in chunks.items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def test_workflow_and_prompt_are_read_from_a_comfyui_png_and_webp(txt2img_api, txt2img_editor):
    png = _png_with({"prompt": json.dumps(txt2img_api), "workflow": json.dumps(txt2img_editor)})
    found = read_embedded(png)
    assert found.prompt == txt2img_api and found.workflow == txt2img_editor

    exif = Image.Exif()
    exif[0x0110] = "prompt:" + json.dumps(txt2img_api)
    exif[0x010F] = "workflow:" + json.dumps(txt2img_editor)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, format="WEBP", exif=exif)
    found = read_embedded(buf.getvalue())
    assert found.prompt == txt2img_api and found.workflow == txt2img_editor

    with pytest.raises(WorkflowError) as err:
        read_embedded(_png_with({"Software": "GIMP"}))
    assert "no embedded ComfyUI workflow" in err.value.message
