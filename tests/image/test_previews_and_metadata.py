"""Live previews over the websocket, reproducibility, and PNG metadata written and read back."""

from __future__ import annotations

import io
import json

from PIL import Image, PngImagePlugin

from tests.image.conftest import pixels, run, submit


def test_previews_arrive_over_the_websocket(image_client):
    client = image_client
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        job_id = submit(client, steps=4, seed=1)
        previews, progress = [], []
        while True:
            event = ws.receive_json()
            if event.get("job_id") != job_id:
                continue
            if event["type"] == "job.preview":
                previews.append(event)
            elif event["type"] == "job.progress":
                progress.append(event)
            elif event["type"] in ("job.completed", "job.failed"):
                assert event["type"] == "job.completed", event["job"]["error"]
                break
    assert len(previews) >= 2
    assert previews[0]["image"].startswith("data:image/jpeg;base64,")
    assert [p["step"] for p in previews] == sorted(p["step"] for p in previews)
    assert progress[-1]["progress"] == 100


def test_same_seed_and_parameters_give_the_same_image(image_client):
    client = image_client
    for model in ("tiny-sd", "tiny-flux"):
        first = run(client, model=model, seed=1234, num_images=2)
        again = run(client, model=model, seed=1234, num_images=2)
        other = run(client, model=model, seed=1235)
        assert pixels(client, first, 0) == pixels(client, again, 0)
        assert pixels(client, first, 1) == pixels(client, again, 1) == pixels(client, other, 0)  # seed 1235
        assert pixels(client, first, 0) != pixels(client, other, 0)


def test_metadata_is_written_and_read_back(image_client):
    client = image_client
    job = run(client, seed=77, negative_prompt="blurry", scheduler="dpmpp_2m_karras", guidance_scale=6.5)
    image = job["images"][0]
    png = client.get(image["url"]).content
    text = Image.open(io.BytesIO(png)).text
    assert text["parameters"].startswith("a red fox in snow\nNegative prompt: blurry\nSteps: 2, Sampler: DPM++ 2M")
    assert "Schedule type: Karras, CFG scale: 6.5, Seed: 77, Size: 64x64, Model: tiny-sd" in text["parameters"]
    recorded = json.loads(text["hollywool"])
    assert recorded["seed"] == 77 and recorded["scheduler"] == "dpmpp_2m_karras"
    form = client.get(f"/api/assets/{image['id']}/params").json()["form"]
    assert form["seed"] == 77 and form["steps"] == 2 and form["guidance_scale"] == 6.5 and form["model"] == "tiny-sd"
    # Re-running from the recorded form gives the same pixels.
    again = run(client, **{k: v for k, v in form.items() if v is not None})
    assert pixels(client, again) == pixels(client, job)
    # Uploading the PNG reads the HollyWool chunk; without it, the A1111 text is read.
    read = client.post("/api/images/metadata", files={"file": ("x.png", png, "image/png")}).json()
    assert read["params"]["source"] == "hollywool" and read["params"]["seed"] == 77
    a1111_only = _png({"parameters": text["parameters"]})
    read = client.post("/api/images/metadata", files={"file": ("x.png", a1111_only, "image/png")}).json()["params"]
    assert read["source"] == "a1111"
    assert (read["prompt"], read["negative_prompt"], read["seed"], read["scheduler"]) == (
        "a red fox in snow",
        "blurry",
        77,
        "dpmpp_2m_karras",
    )


def _png(chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def test_reading_a1111_comfyui_and_invokeai_pngs(image_client):
    client = image_client

    def read(chunks: dict[str, str]) -> dict:
        resp = client.post("/api/images/metadata", files={"file": ("in.png", _png(chunks), "image/png")})
        assert resp.status_code == 200, resp.text
        return resp.json()["params"]

    a1111 = read(
        {
            "parameters": "masterpiece, a castle on a hill, <lora:add_detail:0.6>\n"
            "Negative prompt: lowres, bad anatomy\n"
            "Steps: 28, Sampler: Euler a, CFG scale: 6.5, Seed: 3141592, Size: 832x1216, Model hash: 1a2b3c, "
            'Model: juggernautXL_v9, Denoising strength: 0.45, Lora hashes: "add_detail: 7c6ab0", Version: v1.9.4'
        }
    )
    assert a1111 == {
        "source": "a1111",
        "prompt": "masterpiece, a castle on a hill, <lora:add_detail:0.6>",
        "negative_prompt": "lowres, bad anatomy",
        "steps": 28,
        "guidance_scale": 6.5,
        "seed": 3141592,
        "width": 832,
        "height": 1216,
        "scheduler": "euler_a",
        "model": "juggernautXL_v9",
        "strength": 0.45,
        "loras": [{"lora_id": "add_detail", "weight": 0.6}],
        "unreadable": [],
        # what the form has no field for is listed, not dropped
        "unmapped": ["Model hash: 1a2b3c", "Lora hashes: add_detail: 7c6ab0", "Version: v1.9.4"],
    }
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 42,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "dpmpp_2m",
                "scheduler": "karras",
                "denoise": 1.0,
                "model": ["10", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse in a storm", "clip": ["10", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["10", 1]}},
        "10": {
            "class_type": "LoraLoader",
            "inputs": {"lora_name": "styles/ink.safetensors", "strength_model": 0.8, "model": ["4", 0]},
        },
    }
    comfy = read({"prompt": json.dumps(graph), "workflow": "{}"})
    assert comfy["source"] == "comfyui"
    assert (comfy["prompt"], comfy["negative_prompt"], comfy["seed"], comfy["steps"]) == (
        "a lighthouse in a storm",
        "text, watermark",
        42,
        20,
    )
    assert (comfy["width"], comfy["height"], comfy["scheduler"], comfy["guidance_scale"]) == (
        1024,
        768,
        "dpmpp_2m_karras",
        7.0,
    )
    assert comfy["model"] == "sd_xl_base_1.0.safetensors" and comfy["loras"] == [{"lora_id": "ink", "weight": 0.8}]
    invoke = read(
        {
            "invokeai_metadata": json.dumps(
                {
                    "positive_prompt": "a fox in a forest",
                    "negative_prompt": "blurry",
                    "width": 768,
                    "height": 512,
                    "seed": 99,
                    "steps": 30,
                    "cfg_scale": 5.5,
                    "scheduler": "euler",
                    "model": {"name": "stable-diffusion-xl-base-1-0", "base": "sdxl"},
                    "loras": [{"model": {"name": "pixel-art"}, "weight": 0.75}],
                }
            )
        }
    )
    assert invoke == {
        "source": "invokeai",
        "prompt": "a fox in a forest",
        "negative_prompt": "blurry",
        "seed": 99,
        "steps": 30,
        "guidance_scale": 5.5,
        "width": 768,
        "height": 512,
        "scheduler": "euler",
        "model": "stable-diffusion-xl-base-1-0",
        "loras": [{"lora_id": "pixel-art", "weight": 0.75}],
        "unreadable": [],
        "unmapped": [],
    }
    assert read({})["source"] is None
    bad = client.post("/api/images/metadata", files={"file": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 422


def test_progress_counts_the_steps_asked_for_even_when_the_scheduler_makes_more_calls(image_client):
    client = image_client
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        job_id = submit(client, steps=5, seed=1, scheduler="pndm")  # PNDM: 6 model calls for 5 steps
        progress = []
        while True:
            event = ws.receive_json()
            if event.get("job_id") != job_id:
                continue
            if event["type"] == "job.progress" and event["total_steps"]:  # (0, 0) while loading
                progress.append((event["step"], event["total_steps"]))
            elif event["type"] in ("job.completed", "job.failed"):
                assert event["type"] == "job.completed", event["job"]["error"]
                break
    assert {total for _, total in progress} == {5}, progress
    steps = [step for step, _ in progress]
    assert steps == sorted(steps) and steps[-1] == 5 and max(steps) <= 5, progress
    done = client.get(f"/api/jobs/{job_id}").json()
    assert (done["step"], done["total_steps"]) == (5, 5)
