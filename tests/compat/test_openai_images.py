"""OpenAI's Images API, driven by the official `openai` SDK against the real studio on a socket with tiny models:
models.list, images.generate in both response formats and three output formats, quality as steps, images.edit
with and without a mask (OpenAI's convention: transparent pixels change), OpenAI's errors, and the access token
as the API key. The jobs are the studio's own: they show in its queue and their images are assets."""

from __future__ import annotations

import base64
import io

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from tests.kit.studio import FAMILY_TYPES, ServerProcess, tiny_entry, write_user_config

pytestmark = pytest.mark.process
TOKEN = "s3cret-token-for-tests"


def _start(root, tiny_model, env=None) -> ServerProcess:
    models = {
        "tiny-sd": tiny_entry(tiny_model("sd15"), "sd", name="Tiny SD"),
        "tiny-qwen-edit": tiny_entry(tiny_model("qwen_image_edit"), FAMILY_TYPES["qwen_image_edit"]),
    }
    write_user_config(root / "data", models)
    return ServerProcess(root, env=env).start(timeout=90)


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    server = _start(tmp_path_factory.mktemp("openai"), tiny_model)
    yield server
    server.stop()


@pytest.fixture
def client(studio):
    # Without a token, on loopback, any key is accepted (what a local app sends when asked for one).
    return openai.OpenAI(base_url=f"{studio.url}/v1", api_key="anything", max_retries=0, timeout=120)


def _image(b64: str) -> Image.Image:
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    img.load()
    return img


def test_models_lists_the_studios_image_models(client):
    ids = [m.id for m in client.models.list()]
    assert {"tiny-sd", "tiny-qwen-edit"} <= set(ids)
    model = next(m for m in client.models.list() if m.id == "tiny-sd")
    assert model.object == "model" and model.owned_by == "hollywool"


def test_generate_answers_base64_pngs_with_their_parameters(client, studio):
    res = client.images.generate(model="tiny-sd", prompt="a lighthouse, openai", n=2, size="64x64")
    assert len(res.data) == 2 and res.created > 0 and res.size == "64x64"
    images = [_image(d.b64_json) for d in res.data]
    assert all(img.size == (64, 64) and img.format == "PNG" for img in images)
    assert "a lighthouse, openai" in images[0].text["parameters"]
    assert images[0].tobytes() != images[1].tobytes()
    # Ordinary studio jobs: in the queue, their images assets.
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 20}, timeout=10).json()["items"]
    assert any(j["params"]["prompt"] == "a lighthouse, openai" and j["status"] == "completed" for j in jobs)


def test_generate_answers_urls_and_other_formats(client):
    res = client.images.generate(model="tiny-sd", prompt="a url please", size="64x64", response_format="url")
    url = res.data[0].url
    assert url and url.startswith("http://127.0.0.1") and res.data[0].b64_json is None
    assert Image.open(io.BytesIO(httpx.get(url, timeout=10).content)).size == (64, 64)
    webp = client.images.generate(model="tiny-sd", prompt="webp", size="64x64", output_format="webp")
    assert base64.b64decode(webp.data[0].b64_json)[:4] == b"RIFF" and webp.output_format == "webp"
    jpeg = client.images.generate(model="tiny-sd", prompt="jpeg", size="64x64", output_format="jpeg")
    assert base64.b64decode(jpeg.data[0].b64_json)[:2] == b"\xff\xd8"


def test_quality_sets_the_steps_and_openai_names_mean_the_default_model(client, studio):
    for quality in ("low", "high"):
        client.images.generate(model="dall-e-3", prompt=f"quality {quality}", size="64x64", quality=quality)
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 50}, timeout=10).json()["items"]
    steps = {j["params"]["prompt"]: (j["params"]["model"], j["params"]["steps"]) for j in jobs}
    # tiny-sd's default is 2 steps: low halves it, high is one and a half times.
    assert steps["quality low"] == ("tiny-sd", 1) and steps["quality high"] == ("tiny-sd", 3)


def test_edit_without_a_mask_is_image_to_image_or_the_models_edit(client, studio):
    src = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(src, format="PNG")
    res = client.images.edit(
        model="tiny-sd", image=("red.png", src.getvalue(), "image/png"), prompt="bluer", size="64x64"
    )
    assert _image(res.data[0].b64_json).size == (64, 64)
    two = client.images.edit(
        model="tiny-qwen-edit",
        image=[("a.png", src.getvalue(), "image/png"), ("b.png", src.getvalue(), "image/png")],
        prompt="merge them",
        size="64x64",
    )
    assert len(two.data) == 1
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 50}, timeout=10).json()["items"]
    edit = next(j for j in jobs if j["params"]["prompt"] == "merge them")
    assert edit["params"]["mode"] == "edit" and len(edit["params"]["reference_images"]) == 2


def test_edit_with_a_mask_changes_only_its_transparent_pixels(client):
    rng = np.random.default_rng(1)
    source = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (16, 16, 48, 48))  # transparent: change this square
    buf, mbuf = io.BytesIO(), io.BytesIO()
    source.save(buf, format="PNG")
    mask.save(mbuf, format="PNG")
    res = client.images.edit(
        model="tiny-sd", image=("s.png", buf.getvalue(), "image/png"), mask=("m.png", mbuf.getvalue(), "image/png"),
        prompt="a red apple",
    )  # fmt: skip
    out = np.asarray(_image(res.data[0].b64_json).convert("RGB"), dtype=np.int16)
    src = np.asarray(source, dtype=np.int16)
    inside = np.zeros((64, 64), dtype=bool)
    inside[16:48, 16:48] = True
    assert out.shape == (64, 64, 3)
    assert (out[~inside] == src[~inside]).all()
    assert np.abs(out[inside] - src[inside]).mean() > 10


def test_errors_are_openais_error_object(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.images.generate(model="no-such-model", prompt="x")
    assert missing.value.status_code == 404 and missing.value.body["param"] == "model"
    assert missing.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as size:
        client.images.generate(model="tiny-sd", prompt="x", size="big")
    assert size.value.body["param"] == "size" and size.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as many:
        client.images.generate(model="tiny-sd", prompt="x", n=11)
    assert many.value.body["param"] == "n"
    with pytest.raises(openai.BadRequestError) as odd:
        client.images.generate(model="tiny-sd", prompt="x", size="65x64")
    assert odd.value.body["param"] == "width" and "multiple of 8" in odd.value.body["message"]
    src = io.BytesIO()
    Image.new("RGB", (64, 64)).save(src, format="PNG")
    opaque = io.BytesIO()
    Image.new("RGB", (64, 64)).save(opaque, format="PNG")
    with pytest.raises(openai.BadRequestError) as mask:
        client.images.edit(
            model="tiny-sd",
            image=("s.png", src.getvalue(), "image/png"),
            mask=("m.png", opaque.getvalue(), "image/png"),
            prompt="x",
        )
    assert mask.value.body["param"] == "mask" and "transparent" in mask.value.body["message"]


def test_the_studios_token_is_the_api_key(tmp_path, tiny_model):
    server = _start(tmp_path, tiny_model, env={"HOLLYWOOL_TOKEN": TOKEN})
    try:
        wrong = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.models.list()
        assert refused.value.body["code"] == "invalid_api_key"
        right = openai.OpenAI(base_url=f"{server.url}/v1", api_key=TOKEN, max_retries=0, timeout=120)
        assert "tiny-sd" in [m.id for m in right.models.list()]
        res = right.images.generate(model="tiny-sd", prompt="with a key", size="64x64", response_format="url")
        assert httpx.get(res.data[0].url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 200
        assert httpx.get(res.data[0].url, timeout=10).status_code == 401
    finally:
        server.stop()


def test_stream_sends_partial_images_from_the_previews_then_the_image(client, studio):
    stream = client.images.generate(model="tiny-sd", prompt="streamed", size="64x64", stream=True, partial_images=2)
    events = list(stream)
    partial = [e for e in events if e.type == "image_generation.partial_image"]
    completed = [e for e in events if e.type == "image_generation.completed"]
    assert [e.partial_image_index for e in partial] == [0, 1]
    assert all(_image(e.b64_json).size == (64, 64) for e in partial)
    assert len(completed) == 1 and events[-1] is completed[0]
    final = _image(completed[0].b64_json)
    assert final.size == (64, 64) and "streamed" in final.text["parameters"]
    assert completed[0].usage.total_tokens == 0 and completed[0].size == "64x64"
    jobs = httpx.get(f"{studio.url}/api/jobs", params={"limit": 50}, timeout=10).json()["items"]
    assert any(j["params"]["prompt"] == "streamed" and j["status"] == "completed" for j in jobs)


def test_stream_without_partial_images_and_for_edits(client):
    plain = list(client.images.generate(model="tiny-sd", prompt="one event", size="64x64", stream=True))
    assert [e.type for e in plain] == ["image_generation.completed"]
    src = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(src, format="PNG")
    edits = list(
        client.images.edit(
            model="tiny-sd", image=("red.png", src.getvalue(), "image/png"), prompt="bluer", size="64x64",
            stream=True, partial_images=1,
        )
    )  # fmt: skip
    assert [e.type for e in edits] == ["image_edit.partial_image", "image_edit.completed"]
    assert _image(edits[-1].b64_json).size == (64, 64)


def test_a_stream_the_studio_refuses_is_an_error_answer_not_a_broken_stream(client):
    # The size is checked when the job is submitted: before any event, so the SDK gets OpenAI's error.
    with pytest.raises(openai.BadRequestError) as odd:
        client.images.generate(model="tiny-sd", prompt="x", size="65x64", stream=True)
    assert odd.value.body["param"] == "width"
