"""Automatic1111's API (/sdapi/v1), driven by the `webuiapi` client from PyPI against the real studio on a socket
with tiny models: txt2img with a fixed seed twice gives the same pixels, img2img and inpaint (unmasked pixels
kept), LoRA tags, the model switched with options, progress with the live preview during a job, interrupt
cancelling it in the queue, png-info, extra-single-image through the upscale job, A1111's 422, and the studio's
token as the basic-auth password. The jobs are the studio's own: they show in its queue."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import threading

import httpx
import numpy as np
import pytest
import webuiapi
from PIL import Image

from hollywool.testkit.loras import write_kohya_lora
from hollywool.testkit.single_file import write_sd15_single_file
from hollywool.testkit.upscalers import write_realesrgan
from tests.kit.studio import ServerProcess, tiny_entry, wait_for, write_user_config

pytestmark = pytest.mark.process
TOKEN = "s3cret-a1111-token"


def _start(root, tiny_model, env=None) -> ServerProcess:
    sd = tiny_model("sd15")
    models = {"tiny-sd": tiny_entry(sd, "sd", name="Tiny SD"), "tiny-sd-b": tiny_entry(sd, "sd", name="Tiny SD B")}
    # A1111-style single-file checkpoints: these get hashes
    for name in ("tiny-file", "tiny-file-edited", "tiny-file-used"):
        ckpt = write_sd15_single_file(sd, root / "checkpoints" / f"{name}.safetensors")
        models[name] = tiny_entry(ckpt, "sd", name=name, config=str(sd))
    write_user_config(root / "data", models)
    write_kohya_lora(sd, root / "loras" / "kohya-sd15.safetensors", seed=2)
    write_realesrgan(root / "data" / "upscalers" / "tiny-x2.pth", scale=2)
    env = {"HOLLYWOOL_LORA_DIR": str(root / "loras"), **(env or {})}
    return ServerProcess(root, env=env).start(timeout=90)


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_model):
    server = _start(tmp_path_factory.mktemp("a1111"), tiny_model)
    # The default model A1111's routes use unless told (the single files would otherwise sort first).
    httpx.put(f"{server.url}/api/settings", json={"default_model": "tiny-sd"}, timeout=10).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def api(studio) -> webuiapi.WebUIApi:
    return webuiapi.WebUIApi(host="127.0.0.1", port=studio.port, sampler="Euler a", steps=2)


def _jobs(studio) -> list[dict]:
    return httpx.get(f"{studio.url}/api/jobs", params={"limit": 100}, timeout=10).json()["items"]


def _pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.int16)


def _stored_hash(studio, path) -> str | None:
    with sqlite3.connect(studio.root / "data" / "hollywool.db") as db:
        row = db.execute("SELECT sha256 FROM file_hashes WHERE path = ?", (str(path.resolve()),)).fetchone()
    return row[0] if row else None


def test_a_checkpoint_is_hashed_in_the_background_when_a_job_first_loads_it(studio):
    # First in this module: no sd-models listing has queued the file yet.
    path = studio.root / "checkpoints" / "tiny-file-used.safetensors"
    assert _stored_hash(studio, path) is None
    body = {"prompt": "load me", "model": "tiny-file-used", "width": 64, "height": 64, "steps": 1}
    job_id = httpx.post(f"{studio.url}/api/jobs", json=body, timeout=30).json()["job_id"]
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert wait_for(lambda: _stored_hash(studio, path), timeout=60, what="the hash") == sha256
    assert wait_for(lambda: _job_if_finished(studio, job_id), timeout=60, what="the job")["status"] == "completed"


def test_txt2img_with_a_fixed_seed_gives_the_same_pixels_and_a1111s_info(api, studio):
    args = {"prompt": "a lighthouse, a1111", "negative_prompt": "fog", "seed": 1234, "width": 64, "height": 64}
    first = api.txt2img(**args, cfg_scale=6.5, batch_size=2)
    again = api.txt2img(**args, cfg_scale=6.5, batch_size=2)
    assert len(first.images) == 2 and first.images[0].size == (64, 64)
    assert _pixels(first.images[0]).tolist() == _pixels(again.images[0]).tolist()
    assert first.images[0].tobytes() != first.images[1].tobytes()
    info = first.info
    assert info["seed"] == 1234 and info["all_seeds"] == [1234, 1235]
    assert info["prompt"] == "a lighthouse, a1111" and info["negative_prompt"] == "fog"
    assert (info["width"], info["height"], info["steps"], info["cfg_scale"]) == (64, 64, 2, 6.5)
    assert info["sampler_name"] == "Euler a" and info["sd_model_name"] == "tiny-sd"
    # The PNGs carry A1111's parameters text; the answer echoes the request.
    assert "Seed: 1234" in first.images[0].info["parameters"] and "Sampler: Euler a" in info["infotexts"][0]
    assert first.parameters["prompt"] == "a lighthouse, a1111" and first.parameters["batch_size"] == 2
    job = next(j for j in _jobs(studio) if j["id"] == info["job_ids"][0])
    assert job["status"] == "completed" and job["params"]["scheduler"] == "euler_a"


def test_lora_tags_apply_the_lora_and_leave_the_prompt(api, studio):
    plain = api.txt2img(prompt="roofs", seed=7, width=64, height=64)
    tagged = api.txt2img(prompt="roofs <lora:kohya-sd15:0.8>", seed=7, width=64, height=64)
    job = next(j for j in _jobs(studio) if j["id"] == tagged.info["job_ids"][0])
    assert job["params"]["prompt"] == "roofs"
    assert job["params"]["loras"] == [{"lora_id": "kohya-sd15", "weight": 0.8}]
    assert np.abs(_pixels(plain.image) - _pixels(tagged.image)).mean() > 1
    assert "kohya-sd15" in [lo["name"] for lo in api.get_loras()]


def test_img2img_and_inpaint_keep_the_unmasked_pixels(api, studio):
    rng = np.random.default_rng(3)
    source = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    res = api.img2img(images=[source], prompt="bluer", seed=5, denoising_strength=0.6, width=64, height=64)
    assert res.image.size == (64, 64) and res.info["denoising_strength"] == 0.6
    job = next(j for j in _jobs(studio) if j["id"] == res.info["job_ids"][0])
    assert job["params"]["strength"] == 0.6 and len(job["params"]["reference_images"]) == 1

    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))  # white: change
    painted = api.img2img(
        images=[source], mask_image=mask, prompt="a red apple", seed=5, denoising_strength=1.0, width=64, height=64,
        inpaint_full_res=False, mask_blur=0,
    )  # fmt: skip
    out, src = _pixels(painted.image), _pixels(source)
    inside = np.zeros((64, 64), dtype=bool)
    inside[16:48, 16:48] = True
    assert (out[~inside] == src[~inside]).all()
    assert np.abs(out[inside] - src[inside]).mean() > 10
    job = next(j for j in _jobs(studio) if j["id"] == painted.info["job_ids"][0])
    assert job["params"]["mode"] == "inpaint" and job["params"]["mask_blur"] == 0
    # Masked content (inpainting_fill): "latent nothing" starts the masked area from grey, not from the source's
    # blurred surroundings (the default, "fill"): another result inside, the same pixels outside.
    grey = api.img2img(
        images=[source], mask_image=mask, prompt="a red apple", seed=5, denoising_strength=0.5, width=64, height=64,
        inpaint_full_res=False, mask_blur=0, inpainting_fill=3,
    )  # fmt: skip
    filled = api.img2img(
        images=[source], mask_image=mask, prompt="a red apple", seed=5, denoising_strength=0.5, width=64, height=64,
        inpaint_full_res=False, mask_blur=0, inpainting_fill=0,
    )  # fmt: skip
    a, b = _pixels(grey.image), _pixels(filled.image)
    assert (a[~inside] == b[~inside]).all() and np.abs(a[inside] - b[inside]).mean() > 0.3  # tiny SD: weak but exact
    # inpainting_mask_invert: the black area is what changes.
    inverted = api.img2img(
        images=[source], mask_image=Image.eval(mask, lambda v: 255 - v), inpainting_mask_invert=1, prompt="apple",
        seed=5, denoising_strength=1.0, width=64, height=64, inpaint_full_res=False, mask_blur=0,
    )  # fmt: skip
    out = _pixels(inverted.image)
    assert (out[~inside] == src[~inside]).all() and np.abs(out[inside] - src[inside]).mean() > 10


def test_options_switch_the_model_the_routes_use(api, studio):
    titles = api.util_get_model_names()
    assert {"tiny-sd", "tiny-sd-b"} <= set(titles)
    model = next(m for m in api.get_sd_models() if m["title"] == "tiny-sd-b")
    assert set(model) >= {"title", "model_name", "hash", "sha256", "filename"}
    api.util_set_model("tiny-sd-b")
    try:
        assert api.get_options()["sd_model_checkpoint"] == "tiny-sd-b"
        # Kept in the studio's settings store.
        assert httpx.get(f"{studio.url}/api/settings", timeout=10).json()["sdapi_model"] == "tiny-sd-b"
        res = api.txt2img(prompt="switched", seed=1, width=64, height=64)
        assert res.info["sd_model_name"] == "tiny-sd-b"
        job = next(j for j in _jobs(studio) if j["id"] == res.info["job_ids"][0])
        assert job["params"]["model"] == "tiny-sd-b"
        # override_settings picks the model for one request only.
        once = api.txt2img(prompt="once", seed=1, width=64, height=64,
                           override_settings={"sd_model_checkpoint": "tiny-sd"})  # fmt: skip
        assert once.info["sd_model_name"] == "tiny-sd"
        assert api.get_options()["sd_model_checkpoint"] == "tiny-sd-b"
    finally:
        api.set_options({"sd_model_checkpoint": "tiny-sd"})


def _sd_model(api, name: str) -> dict:
    return next(m for m in api.get_sd_models() if m["model_name"] == name)


def _hashed(api, name: str, sha256: str) -> dict:
    return wait_for(lambda: (m := _sd_model(api, name))["sha256"] == sha256 and m, timeout=60, what=f"{name} hashed")


def test_a_single_file_checkpoint_gets_its_sha256_and_its_title_switches_the_model(api, studio):
    path = studio.root / "checkpoints" / "tiny-file.safetensors"
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    model = _hashed(api, "tiny-file", sha256)  # listing queues the file; it is hashed in the background
    assert model["hash"] == sha256[:10] and model["title"] == f"tiny-file [{sha256[:10]}]"
    assert model["filename"] == str(path)
    folder = _sd_model(api, "tiny-sd")
    assert folder["hash"] is None and folder["sha256"] is None and folder["title"] == "tiny-sd"
    # Kept in the studio's SQLite database, by resolved path with the size and mtime it was read at.
    assert _stored_hash(studio, path) == sha256

    api.util_set_model(model["title"])  # webuiapi sends the title, `name [hash]`
    try:
        options = api.get_options()
        assert options["sd_model_checkpoint"] == model["title"] and options["sd_checkpoint_hash"] == sha256
        res = api.txt2img(prompt="from a file", seed=1, width=64, height=64)
        assert res.info["sd_model_name"] == "tiny-file" and res.info["sd_model_hash"] == sha256[:10]
        api.set_options({"sd_model_checkpoint": "tiny-sd"})
        api.set_options({"sd_model_checkpoint": sha256[:10]})  # the hash alone names it too
        assert api.get_options()["sd_model_checkpoint"] == model["title"]
    finally:
        api.set_options({"sd_model_checkpoint": "tiny-sd"})


def test_an_edited_checkpoint_is_hashed_again(api, studio):
    from safetensors.torch import load_file, save_file

    path = studio.root / "checkpoints" / "tiny-file-edited.safetensors"
    before = _hashed(api, "tiny-file-edited", hashlib.sha256(path.read_bytes()).hexdigest())["sha256"]
    save_file(load_file(path), str(path), metadata={"edited": "yes"})
    after = hashlib.sha256(path.read_bytes()).hexdigest()
    assert after != before
    assert _hashed(api, "tiny-file-edited", after)["title"] == f"tiny-file-edited [{after[:10]}]"


def test_hires_fix_fields_become_the_jobs_second_pass(api, studio):
    res = api.txt2img(
        prompt="hires", seed=3, width=64, height=64, enable_hr=True, hr_scale=2, hr_upscaler="Latent",
        denoising_strength=0.5, hr_second_pass_steps=2,
    )  # fmt: skip
    assert res.image.size == (128, 128) and res.info["denoising_strength"] == 0.5
    job = next(j for j in _jobs(studio) if j["id"] == res.info["job_ids"][0])
    assert job["params"]["hires"] == {**job["params"]["hires"], "scale": 2, "upscaler": "latent", "strength": 0.5}
    assert job["params"]["hires"]["steps"] == 2
    assert "Hires upscale: 2" in res.image.info["parameters"]


def _long_run(api, answer: dict, **args) -> threading.Thread:
    def run() -> None:
        answer["res"] = api.txt2img(width=64, height=64, steps=200, **args)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _progress_with_preview(api) -> dict:
    def seen() -> dict | None:
        p = api.get_progress()
        return p if p["progress"] > 0 and p["current_image"] else None

    return wait_for(seen, timeout=60, what="progress with a preview")


def test_progress_during_a_job_and_interrupt_cancels_it(api, studio):
    api.txt2img(prompt="warm", seed=1, width=64, height=64)  # the model is loaded before timing anything
    answer: dict = {}
    thread = _long_run(api, answer, prompt="a long one", seed=2)
    try:
        seen = _progress_with_preview(api)
        assert 0 < seen["progress"] < 1 and seen["state"]["job_count"] >= 1
        assert seen["state"]["sampling_steps"] == 200 and seen["eta_relative"] >= 0
        assert Image.open(io.BytesIO(base64.b64decode(seen["current_image"]))).format == "PNG"
        api.interrupt()
    finally:
        thread.join(60)
    assert not thread.is_alive()
    job = next(j for j in _jobs(studio) if j["params"]["prompt"] == "a long one")
    assert job["status"] == "cancelled" and job["step"] < 200
    assert answer["res"].images == []
    assert api.get_progress()["state"]["job_count"] == 0


def test_progress_and_interrupt_see_a_job_from_the_studios_own_api(api, studio):
    api.txt2img(prompt="warm", seed=1, width=64, height=64)
    body = {"model": "tiny-sd", "width": 64, "height": 64, "steps": 200, "seed": 4}
    first = httpx.post(f"{studio.url}/api/jobs", json={**body, "prompt": "from the web ui"}, timeout=30)
    second = httpx.post(f"{studio.url}/api/jobs", json={**body, "prompt": "queued behind"}, timeout=30)
    ids = [first.json()["job_id"], second.json()["job_id"]]
    try:
        seen = _progress_with_preview(api)
        assert seen["current_task"] == ids[0] and seen["state"]["sampling_steps"] == 200
        assert seen["state"]["job_count"] == 2  # the running job and the queued image job
        assert Image.open(io.BytesIO(base64.b64decode(seen["current_image"]))).format == "PNG"
        api.interrupt()
        job = wait_for(lambda: _job_if_finished(studio, ids[0]), timeout=60, what="the interrupted job")
        assert job["status"] == "cancelled" and job["step"] < 200
        # For a job that is not an /sdapi request, skip has no next image to go on to: it ends the job.
        wait_for(lambda: api.get_progress()["current_task"] == ids[1], timeout=60, what="the second job")
        api.skip()
        assert wait_for(lambda: _job_if_finished(studio, ids[1]), timeout=60, what="skipped")["status"] == "cancelled"
    finally:
        for job_id in ids:
            httpx.post(f"{studio.url}/api/jobs/{job_id}/cancel", timeout=10)
    assert api.get_progress()["state"]["job_count"] == 0


def _job_if_finished(studio, job_id: str) -> dict | None:
    job = httpx.get(f"{studio.url}/api/jobs/{job_id}", timeout=10).json()
    return job if job["status"] in ("completed", "failed", "cancelled") else None


def test_skip_drops_the_iteration_in_progress_and_goes_on(api, studio):
    answer: dict = {}
    thread = _long_run(api, answer, prompt="skip one", seed=20, n_iter=2)
    try:
        seen = _progress_with_preview(api)
        assert seen["state"]["job_count"] == 2 and seen["state"]["job_no"] == 0
        api.skip()
    finally:
        thread.join(120)
    assert not thread.is_alive()
    res = answer["res"]
    assert len(res.images) == 1 and res.info["all_seeds"] == [21]
    first, second = (next(j for j in _jobs(studio) if j["id"] == i) for i in res.info["job_ids"])
    assert (first["status"], second["status"]) == ("cancelled", "completed")


def test_png_info_reads_the_studios_images(api):
    res = api.txt2img(prompt="read me back", negative_prompt="blur", seed=99, width=64, height=64)
    read = api.png_info(res.image)
    assert read.info.startswith("read me back\nNegative prompt: blur")
    assert read.parameters["Seed"] == 99 and read.parameters["Prompt"] == "read me back"
    assert (read.parameters["Size-1"], read.parameters["Size-2"]) == (64, 64)
    assert "hollywool" in read.json["items"]


def test_png_info_reads_a_comfyui_image_in_a1111s_words(api):
    graph = {
        "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 12, "cfg": 4.5, "sampler_name": "euler",
              "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a comfy cat"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "dogs"}},
    }  # fmt: skip
    img = Image.new("RGB", (8, 8))
    img.info["prompt"] = json.dumps(graph)
    read = api.png_info(img)
    assert read.info.startswith("a comfy cat\nNegative prompt: dogs\nSteps: 12")
    assert read.parameters["Seed"] == 42 and read.parameters["Source"] == "comfyui"


def test_extra_single_image_upscales_through_the_upscale_job(api, studio):
    assert "tiny-x2" in [u["name"] for u in api.get_upscalers()]
    res = api.extra_single_image(Image.new("RGB", (20, 12), (10, 120, 240)), upscaler_1="tiny-x2", upscaling_resize=2)
    assert res.image.size == (40, 24)
    assert any(j["kind"] == "upscale" and j["status"] == "completed" for j in _jobs(studio))
    plain = api.extra_single_image(Image.new("RGB", (20, 12)), upscaler_1="Lanczos", upscaling_resize=3)
    assert plain.image.size == (60, 36)


def test_lists_and_memory_answer_in_a1111s_shape(api):
    assert "Euler a" in api.util_get_sampler_names() and "automatic" in api.util_get_scheduler_names()
    assert api.get_memory()["ram"]["total"] > 0
    assert isinstance(api.get_sd_vae(), list)
    assert api.refresh_checkpoints() is None  # A1111 answers null


def test_bad_values_get_a1111s_422(studio):
    r = httpx.post(f"{studio.url}/sdapi/v1/txt2img", json={"prompt": "x", "steps": "many"}, timeout=30)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "steps"]
    r = httpx.post(f"{studio.url}/sdapi/v1/txt2img", json={"prompt": "x", "width": 65, "height": 64}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "width"]
    r = httpx.post(f"{studio.url}/sdapi/v1/options", json={"sd_model_checkpoint": "nope"}, timeout=30)
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    # Fields A1111 scripts send and the studio has no use for are ignored.
    r = httpx.post(
        f"{studio.url}/sdapi/v1/txt2img",
        json={"prompt": "x", "width": 64, "height": 64, "steps": 1, "restore_faces": True, "alwayson_scripts": {}},
        timeout=60,
    )
    assert r.status_code == 200 and len(r.json()["images"]) == 1


def test_the_studios_token_is_the_basic_auth_password(tmp_path, tiny_model):
    server = _start(tmp_path, tiny_model, env={"HOLLYWOOL_TOKEN": TOKEN})
    try:
        wrong = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, username="me", password="wrong")
        with pytest.raises(RuntimeError) as refused:
            wrong.txt2img(prompt="x", width=64, height=64, steps=1)
        assert refused.value.args[0] == 401
        right = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, username="me", password=TOKEN, steps=1)
        assert right.txt2img(prompt="with a key", width=64, height=64).image.size == (64, 64)
        bearer = httpx.get(f"{server.url}/sdapi/v1/sd-models", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert bearer.status_code == 200 and "tiny-sd" in [m["title"] for m in bearer.json()]
    finally:
        server.stop()
