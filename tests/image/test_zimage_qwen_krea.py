"""Z-Image, Qwen-Image, Qwen-Image-Edit and Krea 2 through the API with tiny models: what each family can start
from, previews of their latent layouts, cached prompt embeddings that match diffusers, and LoRAs."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from tests.image.conftest import image_of, mean_abs_diff, pixels, png_base64, run, submit

MODELS = {
    "tiny-zimage": "zimage",
    "tiny-qwen": "qwen_image",
    "tiny-qwen-edit": "qwen_image_edit",
    "tiny-qwen21": "qwen_image_21",
    "tiny-krea2": "krea2",
}
ATTENTION = ["to_q", "to_k", "to_v", "to_out.0"]
# LoRA id -> (tiny model, target modules, seed, spread of the random LoRA weights); the targets are what trainers
# usually pick. The tiny Qwen-Image VAE's random decoder damps what the transformer changes, so those LoRAs are
# drawn wider to show in the pixels.
LORAS = {
    "style-zimage": ("zimage", ATTENTION, 5, 0.2),
    "style-qwen": ("qwen_image", [*ATTENTION, "img_mlp.net.2", "txt_mlp.net.2"], 6, 0.5),
    "style-krea2": ("krea2", [*ATTENTION, "to_gate"], 7, 0.5),
    "style-qwen21": ("qwen_image_21", [*ATTENTION, "img_mlp.proj", "img_mlp.out"], 8, 0.5),
}
RED = png_base64(Image.new("RGB", (100, 60), (200, 30, 30)))
BLUE = png_base64(Image.new("RGB", (48, 80), (20, 40, 220)))


@pytest.fixture(scope="session")
def zqk_loras(tmp_path_factory, tiny_model):
    from hollywool.testkit.transformer_loras import write_transformer_lora

    root = tmp_path_factory.mktemp("loras-zqk")
    for lora_id, (family, targets, seed, std) in LORAS.items():
        write_transformer_lora(tiny_model(family), root / lora_id, targets, seed=seed, std=std)
    return root


@pytest.fixture
def client(register_models, make_client, zqk_loras, tmp_path):
    register_models(MODELS)
    return make_client(lora_dirs=(zqk_loras,), civitai_dir=tmp_path / "civitai")


def _refused(client, **body) -> str:
    resp = client.post("/api/jobs", json={"prompt": "x", "width": 64, "height": 64, "steps": 2, **body})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "reference_images"
    return resp.json()["detail"]


# -- what each family starts from --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["tiny-zimage", "tiny-qwen"])
def test_text_to_image_and_image_to_image(client, model):
    t2i = run(client, model=model, seed=7, negative_prompt="blurry", guidance_scale=3.0)
    assert image_of(client, t2i["images"][0]).size == (64, 64)
    i2i = run(client, model=model, seed=7, reference_images=[{"image_asset_id": t2i["images"][0]["id"]}], strength=0.5)
    assert image_of(client, i2i["images"][0]).size == (64, 64)
    assert pixels(client, i2i) != pixels(client, t2i)
    red = run(client, model=model, seed=7, width=96, height=64, reference_images=[{"image_base64": RED}])
    assert image_of(client, red["images"][0]).size == (96, 64)


def test_krea2_makes_images_from_text_only(client):
    job = run(client, model="tiny-krea2", seed=3, negative_prompt="blurry", guidance_scale=2.0)
    assert image_of(client, job["images"][0]).size == (64, 64)
    detail = _refused(client, model="tiny-krea2", reference_images=[{"image_base64": RED}])
    assert "Krea 2 models cannot start from an image" in detail


def test_qwen_image_21_makes_images_from_text_and_from_reference_images(client):
    t2i = run(client, model="tiny-qwen21", seed=5, negative_prompt="blurry")
    assert image_of(client, t2i["images"][0]).size == (64, 64)
    pipe = client.app.state.studio.models.cache.peek("tiny-qwen21").pipe
    grids: list[int] = []
    pipe.text_encoder.register_forward_hook(
        lambda _m, _a, kwargs, _o: grids.append(len(kwargs.get("image_grid_thw", []))), with_kwargs=True
    )
    refs = [{"image_base64": RED}, {"image_base64": BLUE}]
    edited = run(client, model="tiny-qwen21", seed=5, width=96, height=64, reference_images=refs, guidance_scale=3.0)
    assert image_of(client, edited["images"][0]).size == (96, 64)
    assert grids == [2, 2]  # both references, read with the prompt and (guidance 3 runs CFG) with the negative " "


def test_qwen_image_edit_takes_one_to_three_reference_images(client):
    one = run(client, model="tiny-qwen-edit", seed=4, reference_images=[{"image_base64": RED}])
    assert image_of(client, one["images"][0]).size == (64, 64)
    # Every reference reaches both of the model's inputs: the vision encoder (what to change) and the VAE (how it
    # looks). A tiny random transformer barely lets a second reference show in the pixels, so this is watched there.
    pipe = client.app.state.studio.models.cache.peek("tiny-qwen-edit").pipe
    seen: dict[str, list[int]] = {"vision": [], "vae": []}
    pipe.text_encoder.register_forward_hook(
        lambda _m, _a, kwargs, _o: seen["vision"].append(len(kwargs["image_grid_thw"])), with_kwargs=True
    )
    pipe.vae.encoder.register_forward_hook(lambda _m, args, _o: seen["vae"].append(args[0].shape[0]))
    run(client, model="tiny-qwen-edit", seed=4, reference_images=[{"image_base64": RED}, {"image_base64": BLUE}])
    # Both images with the prompt and with the negative prompt (" " by default: guidance 4 runs CFG); the VAE
    # encodes each at its own size.
    assert seen == {"vision": [2, 2], "vae": [1, 1]}
    assert "edit images: give at least one reference image" in _refused(client, model="tiny-qwen-edit")
    four = [{"image_base64": RED}] * 4
    assert "at most 3 reference image(s); 4 were given" in _refused(
        client, model="tiny-qwen-edit", reference_images=four
    )


def test_the_families_say_what_they_do(client):
    described = {f["id"]: f for f in client.get("/api/models/families").json()}
    assert described["zimage"]["tasks"] == {
        "text-to-image": "ZImagePipeline",
        "inpaint": "ZImageInpaintPipeline",
        "control": "ZImageControlNetPipeline",
        "image-to-image": "ZImageImg2ImgPipeline",
    }
    assert described["qwen-image"]["tasks"] == {
        "text-to-image": "QwenImagePipeline",
        "inpaint": "QwenImageInpaintPipeline",
        "control": "QwenImageControlNetPipeline",
        "image-to-image": "QwenImageImg2ImgPipeline",
    }
    assert described["qwen-image-edit"]["tasks"] == {
        "inpaint": "QwenImageEditInpaintPipeline",
        "edit": "QwenImageEditPlusPipeline",
    }
    assert described["krea2"]["tasks"] == {"text-to-image": "Krea2Pipeline"}
    assert described["qwen-image-2.1"]["tasks"] == {
        "text-to-image": "QwenImage21Pipeline",
        "edit": "QwenImage21Pipeline",
    }
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert (models["tiny-krea2"]["max_reference_images"], models["tiny-krea2"]["requires_reference_image"]) == (
        0,
        False,
    )
    assert (models["tiny-qwen-edit"]["max_reference_images"], models["tiny-qwen-edit"]["requires_reference_image"]) == (
        3,
        True,
    )
    assert models["tiny-zimage"]["max_reference_images"] == 5 and models["tiny-qwen"]["supports_negative_prompt"]


def test_the_catalogue_ships_the_public_models_with_their_recommended_settings(client):
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    shipped = {
        "zimage-turbo": ("Tongyi-MAI/Z-Image-Turbo", "zimage", 8, 0.0),
        "zimage-base": ("Tongyi-MAI/Z-Image", "zimage", 50, 3.0),
        "qwen-image-2512": ("Qwen/Qwen-Image-2512", "qwen-image", 50, 4.0),
        "qwen-image-edit-2511": ("Qwen/Qwen-Image-Edit-2511", "qwen-image-edit", 40, 4.0),
        "qwen-image-2.1": ("Qwen/Qwen-Image-2.1", "qwen-image-2.1", 40, 1.0),
        "krea2-turbo": ("krea/Krea-2-Turbo", "krea2", 8, 0.0),
        "krea2-raw": ("krea/Krea-2-Raw", "krea2", 52, 3.5),
    }
    for model_id, expected in shipped.items():
        m = models[model_id]
        assert (m["path"], m["type"], m["default_steps"], m["default_guidance"]) == expected
        assert m["source"] == "hub" and m["size_gb"] > 10 and m["memory_gb"] > 10
    assert models["qwen-image-edit-2511"]["requires_reference_image"] is True
    assert {models[i]["gated"] for i in ("krea2-turbo", "krea2-raw")} == {True}
    assert "apache-2.0" in models["zimage-turbo"]["tags"] and "apache-2.0" in models["qwen-image-2512"]["tags"]


# -- previews ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_previews_arrive_for_every_latent_layout(client, model):
    refs = [{"image_base64": RED}] if model == "tiny-qwen-edit" else []
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        job_id = submit(client, model=model, steps=3, seed=1, reference_images=refs)
        previews = []
        while True:
            event = ws.receive_json()
            if event.get("job_id") != job_id:
                continue
            if event["type"] == "job.preview":
                previews.append(event)
            elif event["type"] in ("job.completed", "job.failed"):
                assert event["type"] == "job.completed", event["job"]["error"]
                break
    assert [p["step"] for p in previews] == [1, 3]  # every second step and the last
    header, data = previews[0]["image"].split(",", 1)
    assert header == "data:image/jpeg;base64" and base64.b64decode(data)[:2] == b"\xff\xd8"


# -- prompt embeddings -------------------------------------------------------------------------------------

DIRECT = {  # tiny model -> (pipeline class, the pipeline's guidance argument)
    "zimage": ("ZImagePipeline", "guidance_scale"),
    "qwen_image": ("QwenImagePipeline", "true_cfg_scale"),
    "krea2": ("Krea2Pipeline", "guidance_scale"),
}


def _direct(folder, cls: str, guidance_param: str, seed: int) -> np.ndarray:
    """The same generation through diffusers alone, the prompt encoded by the pipeline itself."""
    import diffusers
    import torch

    pipe = getattr(diffusers, cls).from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    out = pipe(
        prompt="a lighthouse at dusk",
        negative_prompt="blurry",
        width=64,
        height=64,
        num_inference_steps=2,
        generator=torch.Generator("cpu").manual_seed(seed),
        **{guidance_param: 3.0},
    )
    return np.asarray(out.images[0].convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(
    "model,family", [("tiny-zimage", "zimage"), ("tiny-qwen", "qwen_image"), ("tiny-krea2", "krea2")]
)
def test_repeated_prompts_reuse_embeddings_that_match_diffusers(client, tiny_model, model, family):
    body = {"model": model, "prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "guidance_scale": 3.0}
    run(client, **body, seed=1)
    cached = client.app.state.studio.models.cache.peek(model)
    calls = [0]
    cached.pipe.text_encoder.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    again = run(client, **body, seed=2)
    assert calls[0] == 0 and cached.variants["prompts"].hits == 1
    made = np.asarray(image_of(client, again["images"][0]).convert("RGB"), dtype=np.int16)
    assert np.abs(made - _direct(tiny_model(family), *DIRECT[family], seed=2)).max() <= 1


# -- LoRAs -------------------------------------------------------------------------------------------------


def test_loras_are_identified_by_family(client):
    loras = {lr["id"]: lr for lr in client.get("/api/loras").json()["loras"]}
    assert {i: lr["base"] for i, lr in loras.items()} == {
        "style-zimage": "zimage",
        "style-qwen": "qwen-image",
        "style-krea2": "krea2",
        "style-qwen21": "qwen-image-2.1",
    }
    assert loras["style-qwen"]["model_types"] == ["qwen-image", "qwen-image-edit"]
    body = {"prompt": "x", "model": "tiny-krea2", "width": 64, "height": 64, "loras": [{"lora_id": "style-zimage"}]}
    resp = client.post("/api/jobs", json=body)
    assert resp.status_code == 422 and "made for Z-Image models" in resp.json()["detail"]


@pytest.mark.parametrize(
    "model,lora",
    [
        ("tiny-zimage", "style-zimage"),
        ("tiny-qwen", "style-qwen"),
        ("tiny-krea2", "style-krea2"),
        ("tiny-qwen-edit", "style-qwen"),
        ("tiny-qwen21", "style-qwen21"),
    ],
)
def test_a_lora_changes_the_image(client, model, lora):
    refs = [{"image_base64": RED}] if model == "tiny-qwen-edit" else []
    base = pixels(client, run(client, model=model, seed=9, reference_images=refs))
    styled = pixels(client, run(client, model=model, seed=9, reference_images=refs, loras=[{"lora_id": lora}]))
    assert mean_abs_diff(base, styled) > 0.5
    # The LoRA is removed after its job.
    assert pixels(client, run(client, model=model, seed=9, reference_images=refs)) == base
