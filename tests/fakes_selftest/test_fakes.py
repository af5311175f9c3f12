"""Checks that each fake answers its service's protocol (these test the fakes, not the product)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct

import anthropic
import httpx
import openai
import pytest
import websockets

GRAPH = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["1", 1]}},
    "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
    "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 48, "batch_size": 1}},
    "5": {
        "class_type": "KSampler",
        "inputs": {
            "model": ["1", 0],
            "seed": 7,
            "steps": 3,
            "cfg": 7.0,
            "sampler_name": "euler",
            "scheduler": "normal",
            "positive": ["2", 0],
            "negative": ["3", 0],
            "latent_image": ["4", 0],
            "denoise": 1.0,
        },
    },
    "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
    "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "hw/test"}},
}


def graph(**changes) -> dict:
    g = json.loads(json.dumps(GRAPH))
    for path, value in changes.items():
        node, name = path.split("__")
        g[node]["inputs"][name] = value
    return g


async def run_until_idle(ws, prompt_id: str) -> list:
    frames = []
    while True:
        frame = await asyncio.wait_for(ws.recv(), 5)
        frames.append(frame if isinstance(frame, bytes) else json.loads(frame))
        last = frames[-1]
        if (
            isinstance(last, dict)
            and last["type"] == "executing"
            and last["data"]["node"] is None
            and last["data"].get("prompt_id") == prompt_id
        ):
            return frames


# ---- ComfyUI -------------------------------------------------------------------------------------


async def test_comfy_runs_a_prompt_with_ws_events_and_history(comfy):
    async with websockets.connect(comfy.ws_url + "/ws?clientId=me") as ws:
        first = json.loads(await ws.recv())
        assert first == {
            "type": "status",
            "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "me"},
        }
        async with httpx.AsyncClient(base_url=comfy.url) as http:
            answer = (await http.post("/prompt", json={"prompt": graph(), "client_id": "me"})).json()
            frames = await run_until_idle(ws, answer["prompt_id"])
            kinds = [f["type"] if isinstance(f, dict) else "binary" for f in frames]
            assert kinds.count("progress") == 3 and kinds.count("binary") == 3
            assert kinds.index("execution_start") < kinds.index("executed") < kinds.index("execution_success")
            preview = next(f for f in frames if isinstance(f, bytes))
            assert struct.unpack(">II", preview[:8]) == (1, 1) and preview[8:10] == b"\xff\xd8"
            history = (await http.get(f"/api/history/{answer['prompt_id']}")).json()[answer["prompt_id"]]
            assert history["status"]["status_str"] == "success"
            image = history["outputs"]["7"]["images"][0]
            assert image == {"filename": "test_00001_.png", "subfolder": "hw", "type": "output"}
            view = await http.get("/view", params=image)
            assert view.headers["content-type"] == "image/png" and view.content.startswith(b"\x89PNG")
            # the identical graph again is served from cache, with the same file
            again = (await http.post("/prompt", json={"prompt": graph(), "client_id": "me"})).json()
            frames = await run_until_idle(ws, again["prompt_id"])
            cached = next(f for f in frames if isinstance(f, dict) and f["type"] == "execution_cached")
            assert cached["data"]["nodes"] == ["1", "2", "3", "4", "5", "6", "7"]
            assert comfy.submissions == 2


async def test_comfy_validation_errors(comfy):
    async with httpx.AsyncClient(base_url=comfy.url) as http:
        r = await http.post("/prompt", json={"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}})
        assert (
            r.status_code == 400
            and r.json()["error"]["message"] == "Cannot execute because node NoSuchNode does not exist."
        )
        r = await http.post("/prompt", json={"prompt": graph(**{"1__ckpt_name": "x.safetensors", "4__width": 0})})
        errors = r.json()["node_errors"]
        assert errors["1"]["errors"][0]["details"] == "ckpt_name: 'x.safetensors' not in ['sd15.safetensors']"
        assert errors["4"]["errors"][0]["message"] == "Value 0 smaller than min of 16"
        assert errors["4"]["dependent_outputs"] == ["7"]
        r = await http.post("/prompt", json={"prompt": {"1": {"class_type": "EmptyImage", "inputs": {}}}})
        assert r.json()["error"]["type"] == "prompt_no_outputs"
        r = await http.post("/prompt", content=b"{nope")
        assert r.status_code == 500
        r = await http.post("/prompt", json={"prompt": graph(**{"6__samples": ["99", 0]})})
        assert r.json()["node_errors"]["6"]["errors"][0]["details"] == "'99'"


async def test_comfy_interrupt_error_queue_and_restart(comfy):
    comfy.step_delay = 0.05
    async with (
        websockets.connect(comfy.ws_url + "/ws?clientId=me") as ws,
        httpx.AsyncClient(base_url=comfy.url) as http,
    ):
        await ws.recv()
        running = (await http.post("/prompt", json={"prompt": graph(**{"5__steps": 50}), "client_id": "me"})).json()
        pending = (await http.post("/prompt", json={"prompt": graph(**{"5__seed": 9}), "client_id": "me"})).json()
        queue = (await http.get("/queue")).json()
        assert [item[1] for item in queue["queue_pending"]] == [pending["prompt_id"]]
        await http.post("/queue", json={"delete": [pending["prompt_id"]]})
        await http.post("/interrupt", json={"prompt_id": running["prompt_id"]})
        frames = await run_until_idle(ws, running["prompt_id"])
        assert any(isinstance(f, dict) and f["type"] == "execution_interrupted" for f in frames)
        assert (await http.get(f"/history/{pending['prompt_id']}")).json() == {}
        comfy.step_delay = 0
        comfy.fail_node_class = "VAEDecode"
        failing = (await http.post("/prompt", json={"prompt": graph(**{"5__seed": 10}), "client_id": "me"})).json()
        frames = await run_until_idle(ws, failing["prompt_id"])
        error = next(f for f in frames if isinstance(f, dict) and f["type"] == "execution_error")
        assert error["data"]["node_type"] == "VAEDecode"
    comfy.fail_node_class = None
    comfy.pause()
    queued = httpx.post(comfy.url + "/prompt", json={"prompt": graph(**{"5__seed": 11})}).json()
    comfy.restart()
    assert httpx.get(comfy.url + "/prompt").json() == {"exec_info": {"queue_remaining": 1}}
    comfy.resume()
    for _ in range(100):
        history = httpx.get(f"{comfy.url}/history/{queued['prompt_id']}").json()
        if history:
            break
        await asyncio.sleep(0.02)
    assert history[queued["prompt_id"]]["status"]["completed"] is True


def test_comfy_upload_dedup_and_object_info(comfy):
    files = {"image": ("in.png", b"one", "image/png")}
    assert httpx.post(comfy.url + "/upload/image", files=files).json() == {
        "name": "in.png",
        "subfolder": "",
        "type": "input",
    }
    assert httpx.post(comfy.url + "/upload/image", files=files).json()["name"] == "in.png"
    other = {"image": ("in.png", b"two", "image/png")}
    assert httpx.post(comfy.url + "/upload/image", files=other).json()["name"] == "in (1).png"
    info = httpx.get(comfy.url + "/object_info").json()
    assert info["LoadImage"]["input"]["required"]["image"] == [
        ["in (1).png", "in.png"],
        {"image_upload": True},
    ]
    assert "PrimitiveNode" not in info and httpx.get(comfy.url + "/object_info/Nope").json() == {}
    assert httpx.get(comfy.url + "/models/checkpoints").json() == ["sd15.safetensors"]


# ---- Civitai -------------------------------------------------------------------------------------


def test_civitai_search_and_lookup(civitai):
    for i in range(3):
        civitai.add_model(f"Fox LoRA {i}", "LORA", "SDXL 1.0", trained_words=["foxy"], downloads=i)
    civitai.add_model("Cat model", "Checkpoint", "SD 1.5")
    page = httpx.get(
        civitai.url + "/api/v1/models", params={"types": "LORA", "limit": 2, "sort": "Most Downloaded"}
    ).json()
    assert [m["name"] for m in page["items"]] == ["Fox LoRA 2", "Fox LoRA 1"]
    rest = httpx.get(page["metadata"]["nextPage"]).json()
    assert [m["name"] for m in rest["items"]] == ["Fox LoRA 0"] and "nextCursor" not in rest["metadata"]
    bad = httpx.get(civitai.url + "/api/v1/models", params={"types": "Nope"})
    assert bad.status_code == 400
    version = page["items"][0]["modelVersions"][0]
    sha = version["files"][0]["hashes"]["SHA256"]
    assert httpx.get(f"{civitai.url}/api/v1/model-versions/by-hash/{sha[:10]}").json()["id"] == version["id"]
    assert httpx.get(f"{civitai.url}/api/v1/model-versions/by-hash/{'0' * 64}").status_code == 404
    assert httpx.get(f"{civitai.url}/api/v1/models/1").status_code == 404


def test_civitai_download_redirect_range_gating_and_faults(civitai):
    data = bytes(range(256)) * 400
    model = civitai.add_model("Gated", files={"gated_v1.safetensors": data}, gated=True)
    url = model["modelVersions"][0]["downloadUrl"]
    denied = httpx.get(url, follow_redirects=True)
    assert denied.status_code == 401 and "logged in" in denied.json()["message"]
    auth = {"Authorization": f"Bearer {civitai.api_key}"}
    r = httpx.get(url, headers=auth, follow_redirects=True)
    assert r.content == data and r.headers["content-disposition"] == 'attachment; filename="gated_v1.safetensors"'
    signed = httpx.get(url, headers=auth).headers["location"]
    part = httpx.get(signed, headers={"Range": "bytes=1000-"})
    assert part.status_code == 206 and part.content == data[1000:]
    assert part.headers["content-range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    civitai.drop_next_download_after(5000)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(signed)
    civitai.corrupt_next_download()
    assert (
        hashlib.sha256(httpx.get(signed).content).hexdigest().upper()
        != model["modelVersions"][0]["files"][0]["hashes"]["SHA256"]
    )
    civitai.url_ttl = -1
    expired = httpx.get(url, headers=auth, follow_redirects=True)
    assert expired.status_code == 403
    civitai.fail_next(1, 429, retry_after=2)
    limited = httpx.get(url, headers=auth)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"


# ---- fal -----------------------------------------------------------------------------------------


def test_fal_queue_flow(fal):
    headers = {"Authorization": f"Key {fal.api_key}"}
    assert httpx.post(fal.url + "/fal-ai/flux/schnell", json={"prompt": "x"}).status_code == 401
    sub = httpx.post(
        fal.url + "/fal-ai/flux/schnell", json={"prompt": "a fox", "num_images": 2}, headers=headers
    ).json()
    assert sub["status"] == "IN_QUEUE" and "/fal-ai/flux/requests/" in sub["status_url"]
    states = []
    for _ in range(5):
        r = httpx.get(sub["status_url"], params={"logs": 1}, headers=headers)
        states.append((r.status_code, r.json()["status"]))
        if r.status_code == 200:
            break
    assert states == [(202, "IN_QUEUE"), (202, "IN_PROGRESS"), (200, "COMPLETED")]
    result = httpx.get(sub["response_url"], headers=headers).json()
    assert len(result["images"]) == 2 and result["images"][0]["width"] == 1024
    assert httpx.get(result["images"][0]["url"]).content.startswith(b"\x89PNG")
    assert httpx.put(sub["cancel_url"], headers=headers).json() == {"status": "ALREADY_COMPLETED"}
    fal.queue_polls = fal.progress_polls = 0
    bad = httpx.post(fal.url + "/fal-ai/flux/schnell", json={"num_images": 9}, headers=headers).json()
    assert httpx.get(bad["status_url"], headers=headers).json()["status"] == "COMPLETED"
    err = httpx.get(bad["response_url"], headers=headers)
    assert err.status_code == 422 and {e["loc"][-1] for e in err.json()["detail"]} == {"prompt", "num_images"}
    assert len(fal.submissions) == 2


def test_fal_platform(fal):
    headers = {"Authorization": f"Key {fal.api_key}"}
    first = httpx.get(fal.url + "/v1/models", params={"limit": 2}).json()
    assert first["has_more"] and len(first["models"]) == 2
    second = httpx.get(fal.url + "/v1/models", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert not second["has_more"]
    one = httpx.get(
        fal.url + "/v1/models", params={"endpoint_id": "fal-ai/flux/schnell", "expand": "openapi-3.0"}
    ).json()["models"][0]
    schema = one["openapi"]["components"]["schemas"]
    assert any(s.get("required") == ["prompt"] for s in schema.values())
    prices = httpx.get(
        fal.url + "/v1/models/pricing", params={"endpoint_id": "fal-ai/flux/schnell"}, headers=headers
    ).json()["prices"]
    assert prices[0]["unit"] == "megapixels"


# ---- KREA and Higgsfield -------------------------------------------------------------------------


def test_krea(krea):
    spec = httpx.get(krea.url + "/openapi.json").json()
    assert "/generate/image/bfl/flux-1-dev" in spec["paths"]
    auth = {"Authorization": f"Bearer {krea.token}"}
    path = krea.url + "/generate/image/bfl/flux-1-dev"
    assert httpx.post(path, json={"prompt": "x", "nope": 1}, headers=auth).status_code == 400
    job = httpx.post(path, json={"prompt": "x", "steps": 4}, headers=auth).json()
    assert job["status"] == "queued" and job["result"] is None
    seen = [httpx.get(f"{krea.url}/jobs/{job['job_id']}", headers=auth).json() for _ in range(4)]
    assert [s["status"] for s in seen] == ["backlogged", "queued", "processing", "completed"]
    assert httpx.get(seen[-1]["result"]["urls"][0]).content.startswith(b"\x89PNG")
    other = httpx.post(path, json={"prompt": "y"}, headers=auth).json()
    assert httpx.delete(f"{krea.url}/jobs/{other['job_id']}", headers=auth).json()["status"] == "cancelled"
    krea.out_of_credits = True
    assert httpx.post(path, json={"prompt": "x"}, headers=auth).status_code == 402


def test_higgsfield(higgsfield):
    auth = {"Authorization": f"Key {higgsfield.key}"}
    up = httpx.post(
        higgsfield.url + "/files/generate-upload-url", json={"content_type": "image/png"}, headers=auth
    ).json()
    assert httpx.put(up["upload_url"], content=b"png!", headers=up["upload_headers"]).status_code == 200
    assert httpx.get(up["public_url"]).content == b"png!"
    sub = httpx.post(higgsfield.url + "/higgsfield-ai/soul/standard", json={"prompt": "x"}, headers=auth).json()
    states = [httpx.get(sub["status_url"], headers=auth).json() for _ in range(3)]
    assert [s["status"] for s in states] == ["queued", "in_progress", "completed"]
    assert states[-1]["images"][0]["url"].startswith(higgsfield.url)
    queued = httpx.post(higgsfield.url + "/higgsfield-ai/soul/standard", json={"prompt": "y"}, headers=auth).json()
    assert httpx.post(queued["cancel_url"], headers=auth).status_code == 202
    assert httpx.post(sub["cancel_url"], headers=auth).status_code == 400
    assert httpx.post(higgsfield.url + "/higgsfield-ai/soul/standard", json={}, headers=auth).status_code == 422
    assert httpx.post(higgsfield.url + "/higgsfield-ai/soul/standard", json={"prompt": "x"}).status_code == 401


# ---- LLMs ----------------------------------------------------------------------------------------


def test_anthropic_with_official_sdk(claude):
    client = anthropic.Anthropic(api_key=claude.api_key, base_url=claude.url, max_retries=0)
    msg = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=200,
        messages=[{"role": "user", "content": 'Give me 4 variations of "a fox in the snow"'}],
    )
    assert msg.content[0].text.splitlines()[3].startswith("4. a fox in the snow")
    headers, _ = claude.messages[-1]
    assert headers["anthropic-version"] == "2026-10-21" and headers["authorization"] == f"Bearer {claude.api_key}"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(
            model="m",
            max_tokens=10,
            extra_body={"temperature": 0.5},
            messages=[{"role": "user", "content": "x"}],
        )
    assert [m.id for m in client.models.list()][0].startswith("claude")
    legacy = httpx.post(
        claude.url + "/v1/messages",
        headers={"x-api-key": claude.api_key, "anthropic-version": "2023-06-01"},
        json={
            "model": "m",
            "max_tokens": 9,
            "temperature": 1,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert legacy.status_code == 200
    claude.fail_next(1, 529)
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model="m", max_tokens=9, messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 529
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(api_key="wrong", base_url=claude.url).models.list()


def test_openai_compat_with_official_sdk(local_llm):
    client = openai.OpenAI(api_key="local-key", base_url=local_llm.url + "/v1", max_retries=0)
    local_llm.responder = lambda body: "fixed reply"
    reply = client.chat.completions.create(model="llama", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "fixed reply"
    assert [m.id for m in client.models.list()] == local_llm.model_ids
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="bad", base_url=local_llm.url + "/v1").models.list()
