"""What a workflow import refuses, and how: too big (413), too many nodes, too deeply nested,
NaN/Infinity, malformed parts (422 naming the field) - never a 500, and nothing stored."""

from __future__ import annotations

import copy
import io
import json

import pytest
from PIL import Image, PngImagePlugin

from hollywool.engines.comfyui.limits import MAX_NODES

DEEP = 100_000


def post_raw(client, body: bytes | str):
    return client.post("/api/comfyui/workflows", content=body, headers={"content-type": "application/json"})


def png_with(**texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def assert_refused(r, status: int = 422, field: str | None = "workflow_json", words: str = "") -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    if field is not None:
        assert body["field"] == field, body
    assert words in body["detail"], body["detail"]
    return body


def assert_nothing_stored(client) -> None:
    assert client.get("/api/comfyui/workflows").json() == []


def test_json_nested_100000_deep_is_refused_in_every_way_it_can_arrive(studio):
    deep = "[" * DEEP + "]" * DEEP
    # the JSON body itself (the parse used to raise RecursionError: a 500)
    assert_refused(post_raw(studio, '{"name": "x", "workflow_json": ' + deep + "}"), field="body", words="nested")
    # workflow_json sent as a string
    assert_refused(post_raw(studio, json.dumps({"workflow_json": deep})), words="nested")
    # a JSON file, and a PNG made by ComfyUI carrying it
    r = studio.post("/api/comfyui/workflows", files={"file": ("deep.json", deep.encode(), "application/json")})
    assert_refused(r, field="file", words="nested")
    r = studio.post("/api/comfyui/workflows", files={"file": ("deep.png", png_with(prompt=deep), "image/png")})
    assert_refused(r, field="file", words="nested")
    # deep enough to pass the JSON parser, too deep for the code that walks and stores workflows
    graph = {"1": {"class_type": "SaveImage", "inputs": {"x": json.loads("[" * 900 + "]" * 900)}}}
    assert_refused(post_raw(studio, json.dumps({"workflow_json": graph})), words="nested")
    assert_nothing_stored(studio)


def test_nan_and_infinity_are_refused_naming_the_node_and_input(studio, txt2img_api, txt2img_editor):
    api = copy.deepcopy(txt2img_api)
    api["3"]["inputs"]["cfg"] = float("nan")
    body = json.dumps({"name": "nan", "workflow_json": api})  # json.dumps writes NaN, as some tools do
    assert_refused(post_raw(studio, body), words="node 3 input 'cfg' is nan")
    editor = copy.deepcopy(txt2img_editor)
    sampler = next(n for n in editor["nodes"] if n["id"] == 3)
    sampler["widgets_values"][3] = float("inf")
    assert_refused(post_raw(studio, json.dumps({"workflow_json": editor})), words="node 3 (KSampler) widget value 3")
    assert_refused(post_raw(studio, '{"workflow_json": {"1": {"class_type": "SaveImage", "inputs": {"v": 1e400}}}}'))
    png = png_with(prompt=json.dumps(api))
    r = studio.post("/api/comfyui/workflows", files={"file": ("nan.png", png, "image/png")})
    assert_refused(r, field="file", words="node 3 input 'cfg'")
    assert_nothing_stored(studio)


def test_a_stored_workflow_cannot_hold_nan_and_exports_never_fail(studio, txt2img_api, txt2img_editor):
    from hollywool.errors import InvalidInputError

    repo = studio.app.state.studio.comfyui.workflows
    bad = copy.deepcopy(txt2img_api)
    bad["3"]["inputs"]["denoise"] = float("-inf")
    with pytest.raises(InvalidInputError):
        repo.create(name="x", source_format="api", api_graph=bad, parameters=[])
    saved = studio.post("/api/comfyui/workflows", json={"name": "ok", "workflow_json": txt2img_editor}).json()
    with pytest.raises(InvalidInputError):
        repo.update(saved["id"], {"api_graph": bad})
    for fmt in ("api", "editor"):
        r = studio.get(f"/api/comfyui/workflows/{saved['id']}/export", params={"format": fmt})
        assert r.status_code == 200 and json.loads(r.content)
    assert studio.get(f"/api/comfyui/workflows/{saved['id']}").json()["workflow_json"] == txt2img_api


def test_bodies_over_20_mb_are_refused_with_413(studio):
    padding = "x" * (21 * 1024 * 1024)
    body = json.dumps({"name": "big", "workflow_json": {"1": {"class_type": "SaveImage", "inputs": {"p": padding}}}})
    assert_refused(post_raw(studio, body), status=413, field=None, words="20 MB")
    r = studio.post("/api/comfyui/workflows", files={"file": ("big.json", body.encode(), "application/json")})
    assert_refused(r, status=413, field=None, words="20 MB")
    assert_nothing_stored(studio)


def test_more_than_the_node_limit_is_refused(studio, object_info):
    graph = {str(i): {"class_type": "ImageInvert", "inputs": {}} for i in range(MAX_NODES + 1)}
    assert_refused(post_raw(studio, json.dumps({"workflow_json": graph})), words=f"at most {MAX_NODES}")
    # subgraphs multiply: 300 instances of a 300-node subgraph are 90,000 nodes once expanded
    leaf = {"id": "leaf", "nodes": [{"id": i, "type": "ImageInvert", "mode": 0} for i in range(300)], "links": []}
    middle = {"id": "middle", "nodes": [{"id": i, "type": "leaf", "mode": 0} for i in range(300)], "links": []}
    editor = {
        "nodes": [{"id": 1, "type": "middle", "mode": 0}],
        "links": [],
        "definitions": {"subgraphs": [leaf, middle]},
    }
    assert_refused(post_raw(studio, json.dumps({"workflow_json": editor})), words=f"more than {MAX_NODES}")
    assert_nothing_stored(studio)


@pytest.mark.parametrize(
    "workflow",
    [
        {"nodes": [{"id": 1, "type": "SaveImage", "inputs": "x", "widgets_values": ["a"]}], "links": []},
        {"nodes": [{"id": 1, "type": "SaveImage", "widgets_values": ["a"]}], "links": [], "definitions": [1]},
        {"nodes": [{"id": 1, "type": "SaveImage", "inputs": [7], "widgets_values": ["a"]}], "links": []},
        {"nodes": [{"id": 1, "type": "SaveImage", "widgets_values": ["a"]}], "links": [{"id": [1]}]},
    ],
)
def test_malformed_editor_workflows_are_refused_not_crashed_on(studio, workflow):
    assert_refused(post_raw(studio, json.dumps({"workflow_json": workflow})), words="not a graph")


def test_odd_meta_in_an_api_graph_is_ignored(studio, txt2img_api):
    graph = copy.deepcopy(txt2img_api)
    graph["3"]["_meta"] = ["not", "an", "object"]
    graph["4"]["_meta"] = {"title": 42}
    r = post_raw(studio, json.dumps({"workflow_json": graph}))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("path", ["/api/comfyui/workflows", "/api/comfyui/jobs"])
def test_offsets_and_limits_beyond_64_bits_are_refused(studio, path):
    r = studio.get(path, params={"offset": "4888537507301783519131965849600"})
    assert r.status_code == 422 and r.json()["field"] == "offset"
    assert studio.get(path, params={"limit": str(2**70)}).status_code == 422
