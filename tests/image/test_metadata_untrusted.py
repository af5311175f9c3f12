"""Embedded PNG metadata is untrusted input: odd but possible chunks are read field by field, and
what cannot be read is listed in `params.unreadable`, never a 500 or a dropped connection."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, PngImagePlugin

from hollywool.engines.image.metadata import read_params
from hollywool.media.png_meta import read_text_chunks


def _png(chunks: dict[str, str], compressed: tuple[str, ...] = ()) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value, zip=key in compressed)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from hollywool.app import create_app
    from hollywool.settings import Settings

    root = tmp_path_factory.mktemp("meta")
    app = create_app(Settings.from_env(data_dir=root / "data", outputs_dir=root / "out"))
    with TestClient(app, base_url="http://localhost") as client:
        yield client


@pytest.fixture
def read(client):
    def post(chunks: dict[str, str], compressed: tuple[str, ...] = ()) -> dict:
        resp = client.post("/api/images/metadata", files={"file": ("in.png", _png(chunks, compressed), "image/png")})
        assert resp.status_code == 200, resp.text
        params = resp.json()["params"]
        assert isinstance(params["unreadable"], list)
        return params

    return post


def _graph(sampler_inputs: dict | None = None, **extra_nodes) -> str:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 42,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
                **(sampler_inputs or {}),
            },
        },
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry"}},
        **extra_nodes,
    }
    return json.dumps(graph)


def _mentions(params: dict, *words: str) -> bool:
    return any(all(w in line for w in words) for line in params["unreadable"])


A1111_SETTINGS = "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x768, Model: base"


def test_an_a1111_lora_weight_of_nan_is_unreadable_and_the_rest_is_read(read):
    params = read({"parameters": f"a castle <lora:detail:nan> <lora:ink:0.5>\n{A1111_SETTINGS}"})
    assert params["source"] == "a1111" and params["steps"] == 20 and params["seed"] == 5
    assert params["loras"] == [{"lora_id": "ink", "weight": 0.5}]
    assert _mentions(params, "a1111", "loras", "detail")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ("Steps: 20, CFG scale: nan, Seed: 5", "guidance_scale"),
        ("Steps: 20, CFG scale: inf, Seed: 5", "guidance_scale"),
        ("Steps: 20, Seed: 99999999999999999999999999999999", "seed"),
        (f"Steps: {'9' * 5000}, Seed: 5", "steps"),
        ("Steps: 20, Seed: 5, Size: 10x99999999", "height"),
        ("Steps: 20, Seed: -3", "seed"),
        ("Steps: 20, Seed: 5, Denoising strength: nan", "strength"),
    ],
)
def test_odd_a1111_numbers_are_unreadable_fields(read, settings, field):
    params = read({"parameters": f"a castle\n{settings}"})
    assert params["source"] == "a1111" and params["prompt"] == "a castle"
    assert field not in params and _mentions(params, field)
    assert params["steps" if field != "steps" else "seed"] in (20, 5)


def test_a_comfyui_lora_with_a_string_weight(read):
    lora = {"class_type": "LoraLoader", "inputs": {"lora_name": "ink.safetensors", "strength_model": "strong"}}
    ok = {"class_type": "LoraLoader", "inputs": {"lora_name": "a/b/detail.safetensors", "strength_model": 0.7}}
    params = read({"prompt": _graph(**{"10": lora, "11": ok})})
    assert params["source"] == "comfyui" and params["prompt"] == "a lighthouse" and params["seed"] == 42
    assert params["loras"] == [{"lora_id": "detail", "weight": 0.7}]
    assert _mentions(params, "comfyui", "loras", "ink")


@pytest.mark.parametrize("height", [768.5, "tall", True, [1, 2], 10**30])
def test_a_comfyui_latent_with_a_non_integer_height(read, height):
    graph = json.loads(_graph())
    graph["5"]["inputs"]["height"] = height
    params = read({"prompt": json.dumps(graph)})
    assert params["source"] == "comfyui" and params["width"] == 1024 and "height" not in params
    assert _mentions(params, "height")


def test_a_comfyui_node_with_an_integer_class_type_or_odd_inputs(read):
    graph = json.loads(_graph())
    graph["8"] = {"class_type": 12, "inputs": {"text": 3}}
    graph["9"] = {"class_type": "LoraLoader", "inputs": [1, 2, 3]}
    graph["12"] = {"class_type": ["KSampler"], "inputs": "x"}
    graph["6"]["inputs"]["clip"] = {"nested": True}
    params = read({"prompt": json.dumps(graph)})
    assert params["source"] == "comfyui" and params["prompt"] == "a lighthouse" and params["steps"] == 20


def test_a_comfyui_prompt_that_is_a_list_of_numbers(read):
    graph = json.loads(_graph())
    graph["6"]["inputs"]["text"] = [1, 2, 3]  # a link to node "1", which does not exist
    params = read({"prompt": json.dumps(graph)})
    assert params["source"] == "comfyui" and "prompt" not in params and params["steps"] == 20
    # The whole chunk a list of numbers: not a ComfyUI graph; the A1111 text beside it is read.
    params = read({"prompt": "[1, 2, 3.5, 1e400]", "parameters": f"a castle\n{A1111_SETTINGS}"})
    assert params["source"] == "a1111" and params["prompt"] == "a castle"


def test_huge_numbers_in_comfyui_json(read):
    graph = json.loads(_graph({"seed": 10**40, "cfg": 1e400, "steps": 2**70}))
    text = json.dumps(graph).replace("Infinity", "1e400")
    params = read({"prompt": text})
    assert params["source"] == "comfyui" and params["prompt"] == "a lighthouse"
    for field in ("seed", "guidance_scale", "steps"):
        assert field not in params and _mentions(params, field)
    # An integer with more digits than Python parses from JSON: the chunk is unreadable as a whole.
    params = read({"prompt": '{"3": {"class_type": "KSampler", "inputs": {"seed": ' + "7" * 5000 + "}}}"})
    assert params["source"] is None and _mentions(params, "comfyui")


@pytest.mark.parametrize("chunk", ["hollywool", "prompt", "invokeai_metadata", "sd-metadata"])
def test_deeply_nested_json_is_unreadable(read, chunk):
    deep = "[" * 200_000 + "]" * 200_000
    params = read({chunk: deep, "parameters": f"a castle\n{A1111_SETTINGS}"})
    assert params["source"] == "a1111" and params["prompt"] == "a castle"
    deep_dict = '{"a":' * 100_000 + "1" + "}" * 100_000
    params = read({chunk: deep_dict})
    assert params["source"] in (None, "comfyui", "hollywool", "invokeai")


@pytest.mark.parametrize(
    ("chunk", "source"),
    [("hollywool", "hollywool"), ("invokeai_metadata", "invokeai"), ("sd-metadata", "invokeai")],
)
@pytest.mark.parametrize("value", ["[1, 2]", "42", '"text"', "null", "{not json"])
def test_non_dict_or_broken_json_in_any_chunk(read, chunk, source, value):
    """The chunk is reported; the A1111 text beside it is read instead."""
    params = read({chunk: value, "parameters": f"a castle\n{A1111_SETTINGS}"})
    assert params["source"] == "a1111" and params["prompt"] == "a castle" and _mentions(params, source, chunk)


def test_odd_hollywool_fields(read):
    recorded = {"prompt": 5, "seed": 2**64, "steps": "many", "loras": {"a": 1}, "width": 512, "style": ["x"]}
    params = read({"hollywool": json.dumps(recorded)})
    assert params["source"] == "hollywool" and params["width"] == 512
    for field in ("prompt", "seed", "steps", "loras", "style"):
        assert field not in params and _mentions(params, "hollywool", field)


def test_odd_invokeai_fields(read):
    meta = {
        "positive_prompt": "a fox",
        "seed": "12",
        "steps": True,
        "cfg_scale": "nan",
        "width": -5,
        "scheduler": 7,
        "model": ["x"],
        "loras": [5, {"model": "nope"}, {"model": {"name": "pixel"}, "weight": "heavy"}, {"lora": {"key": "ok"}}],
    }
    params = read({"invokeai_metadata": json.dumps(meta)})
    assert params["source"] == "invokeai" and params["prompt"] == "a fox" and params["seed"] == 12
    assert params["loras"] == [{"lora_id": "ok", "weight": 1.0}]
    for field in ("steps", "guidance_scale", "width", "loras"):
        assert _mentions(params, field), (field, params["unreadable"])


def test_a_text_chunk_too_large_once_decompressed(client):
    png = _png({"parameters": f"a castle\n{A1111_SETTINGS}", "workflow": "x" * 20_000_000}, ("workflow",))
    chunks = read_text_chunks(png)  # 20 kB on disk, 20 MB once inflated: not inflated past the limit
    assert chunks["parameters"].startswith("a castle") and "workflow" not in chunks
    params = read_params(chunks)
    assert params["source"] == "a1111" and _mentions(params, "workflow", "MB")
    # Through the API the image decoder refuses such a PNG as a whole: a 422, never a 500.
    resp = client.post("/api/images/metadata", files={"file": ("in.png", png, "image/png")})
    assert resp.status_code in (200, 422), resp.text


def test_the_reader_itself_never_raises_on_any_chunk_values():
    """read_params straight from odd chunk values (the ComfyUI job reads outputs the same way)."""
    odd = ["", "{}", "[]", "nan", "{" * 5000, '{"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0]}}}']
    for key in ("hollywool", "prompt", "parameters", "invokeai_metadata", "sd-metadata"):
        for value in odd:
            params = read_params({key: value})
            json.dumps(params, allow_nan=False)  # what the API answers must be valid JSON
    chunks = read_text_chunks(_png({"parameters": "Steps: 2"}))
    assert read_params(chunks)["steps"] == 2


def test_a_comfyui_png_with_a_workflow_over_a_megabyte_is_read(read):
    """Pillow refuses text chunks over 1 MB by default; big ComfyUI graphs are larger and legitimate."""
    notes = {str(i): {"class_type": "Note", "inputs": {"text": "n" * 1000}} for i in range(100, 1300)}
    params = read({"prompt": _graph(**notes)}, compressed=("prompt",))
    assert params["source"] == "comfyui" and params["prompt"] == "a lighthouse" and params["steps"] == 20


def test_an_unreadable_upload_is_a_sentence_without_exception_names(client):
    resp = client.post("/api/images/metadata", files={"file": ("in.png", b"\x89PNG\r\n\x1a\n broken", "image/png")})
    assert resp.status_code == 422 and resp.json()["field"] == "file"
    detail = resp.json()["detail"]
    assert "not a readable image" in detail and "Error" not in detail and "choose another" in detail
