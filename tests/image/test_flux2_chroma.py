"""FLUX.2 [dev], FLUX.2 [klein] and Chroma through the API with tiny models: text-to-image, reference
images / image-to-image, negative prompts, LoRAs and live previews."""

from __future__ import annotations

import base64
import io

import pytest
import torch
from PIL import Image

from tests.image.conftest import image_of, mean_abs_diff, pixels, png_base64, run, submit

MODELS = {"tiny-flux2": "flux2", "tiny-klein": "flux2_klein", "tiny-chroma": "chroma"}


@pytest.fixture(scope="session")
def transformer_loras(tmp_path_factory, tiny_model):
    """A LoRA folder with one diffusers-format transformer LoRA per family."""
    from hollywool.testkit.tiny_flux2 import write_transformer_lora

    root = tmp_path_factory.mktemp("flux2-loras")
    for name, family in (("style-flux2", "flux2"), ("style-klein", "flux2_klein"), ("style-chroma", "chroma")):
        write_transformer_lora(tiny_model(family), root / name, seed=5)
    return root


@pytest.fixture
def flux2_client(register_models, make_client, transformer_loras, tmp_path):
    register_models(MODELS)
    return make_client(lora_dirs=(transformer_loras,), civitai_dir=tmp_path / "civitai")


@pytest.mark.parametrize("model", list(MODELS))
def test_text_to_image_then_from_reference_images(flux2_client, model):
    client = flux2_client
    t2i = run(client, model=model, seed=7)
    assert image_of(client, t2i["images"][0]).size == (64, 64)
    ref = {"image_asset_id": t2i["images"][0]["id"]}
    i2i = run(client, model=model, seed=7, reference_images=[ref], strength=0.6)
    assert image_of(client, i2i["images"][0]).size == (64, 64)
    assert pixels(client, i2i) != pixels(client, t2i)
    # A small, non-square upload at a non-square size (FLUX.2 scales references under 64 px up).
    upload = png_base64(Image.new("RGB", (100, 48), (200, 30, 30)))
    wide = run(client, model=model, seed=7, width=96, height=64, reference_images=[{"image_base64": upload}])
    assert image_of(client, wide["images"][0]).size == (96, 64)
    assert pixels(client, wide) != pixels(client, run(client, model=model, seed=7, width=96, height=64))


@pytest.mark.parametrize("model", ["tiny-flux2", "tiny-klein"])
def test_flux2_edits_from_several_references_without_a_strength(flux2_client, model):
    client = flux2_client
    red = {"image_base64": png_base64(Image.new("RGB", (64, 64), (220, 20, 20)))}
    blue = {"image_base64": png_base64(Image.new("RGB", (80, 64), (20, 20, 220)))}
    one = run(client, model=model, seed=3, reference_images=[red])
    two = run(client, model=model, seed=3, reference_images=[red, blue])
    assert len(two["images"]) == 1 and pixels(client, one) != pixels(client, two)  # both references are used
    resp = client.post("/api/jobs", json={"prompt": "x", "model": model, "width": 64, "height": 64, "steps": 1,
                                          "reference_images": [red], "strength": 0.3})  # fmt: skip
    assert resp.status_code == 201 and "without a strength" in resp.json()["message"]
    families = {f["id"]: f for f in client.get("/api/models/families").json()}
    assert families["flux2"]["tasks"]["edit"] == "Flux2Pipeline"
    assert families["flux2-klein"]["tasks"]["edit"] == "Flux2KleinPipeline"
    assert families["chroma"]["tasks"]["image-to-image"] == "ChromaImg2ImgPipeline"


def test_chroma_uses_the_negative_prompt_and_flux2_says_it_has_none(flux2_client):
    client = flux2_client
    plain = run(client, model="tiny-chroma", seed=4)
    negative = run(client, model="tiny-chroma", seed=4, negative_prompt="blurry, low quality")
    assert mean_abs_diff(pixels(client, plain), pixels(client, negative)) > 0
    # The cached embeddings give the same image as the first encoding.
    assert pixels(client, run(client, model="tiny-chroma", seed=4, negative_prompt="blurry, low quality")) == pixels(
        client, negative
    )
    resp = client.post("/api/jobs", json={"prompt": "x", "model": "tiny-flux2", "width": 64, "height": 64,
                                          "steps": 1, "negative_prompt": "blur"})  # fmt: skip
    assert "FLUX.2 models take no negative prompt" in resp.json()["message"]


@pytest.mark.parametrize(("model", "lora"), [("tiny-flux2", "style-flux2"), ("tiny-klein", "style-klein"),
                                             ("tiny-chroma", "style-chroma")])  # fmt: skip
def test_a_lora_changes_the_image_and_goes_away_after_its_job(flux2_client, model, lora):
    client = flux2_client
    base = pixels(client, run(client, model=model, seed=11))
    half = pixels(client, run(client, model=model, seed=11, loras=[{"lora_id": lora, "weight": 0.5}]))
    full = pixels(client, run(client, model=model, seed=11, loras=[{"lora_id": lora, "weight": 1.0}]))
    assert mean_abs_diff(base, full) > 0.5 and 0 < mean_abs_diff(base, half) < mean_abs_diff(base, full)
    assert pixels(client, run(client, model=model, seed=11)) == base


def test_loras_are_told_apart_by_family(flux2_client):
    client = flux2_client
    loras = {lr["id"]: lr for lr in client.get("/api/loras").json()["loras"]}
    assert loras["style-flux2"]["base"] == loras["style-klein"]["base"] == "flux2"
    assert loras["style-chroma"]["base"] == "flux"  # FLUX.1 layout: Chroma takes it
    body = {"prompt": "x", "model": "tiny-chroma", "width": 64, "height": 64}
    refused = client.post("/api/jobs", json={**body, "loras": [{"lora_id": "style-klein"}]})
    assert refused.status_code == 422 and "made for FLUX.2 models" in refused.json()["detail"]
    refused = client.post("/api/jobs", json={**body, "model": "tiny-klein", "loras": [{"lora_id": "style-chroma"}]})
    assert refused.status_code == 422


@pytest.mark.parametrize("model", ["tiny-klein", "tiny-chroma"])
def test_previews_decode_to_images_of_the_generation_shape(flux2_client, model):
    client = flux2_client
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        job_id = submit(client, model=model, width=128, height=64, steps=4, seed=1)
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
    assert len(previews) >= 2
    image = Image.open(io.BytesIO(base64.b64decode(previews[-1]["image"].split(",", 1)[1])))
    assert image.width == 2 * image.height  # the latent grid put back in place, not a strip of tokens


def test_flux2_preview_puts_packed_patches_back_in_place(tiny_model):
    """Tokens [1, rows*cols, 128] made by the pipeline's own patchify and pack come back as the 32-channel grid."""
    from diffusers import DiffusionPipeline

    from hollywool.engines.image.previews import latents_to_preview
    from hollywool.models.families import family_of
    from hollywool.models.families.flux2 import unpack_flux2_latents

    pipe = DiffusionPipeline.from_pretrained(tiny_model("flux2_klein"))
    grid = torch.randn(1, 32, 8, 12, generator=torch.Generator().manual_seed(0))  # a 64x96 image's latents
    tokens = pipe._pack_latents(pipe._patchify_latents(grid))
    assert tokens.shape == (1, 4 * 6, 128)
    assert torch.equal(unpack_flux2_latents(pipe, tokens, 64, 96), grid)
    preview = latents_to_preview(family_of("flux2-klein"), pipe, tokens, 64, 96)
    assert preview is not None and preview.size == (12, 8)


def test_the_shipped_catalogue_lists_the_new_families_before_the_older_ones(flux2_client):
    listed = [m for m in flux2_client.get("/api/models").json()["models"] if not m["id"].startswith("tiny-")]
    ids = [m["id"] for m in listed]
    by_id = {m["id"]: m for m in listed}
    new = ["flux2-klein-4b", "flux2-klein-9b", "flux2-dev", "chroma1-hd"]
    assert [by_id[i]["type"] for i in new] == ["flux2-klein", "flux2-klein", "flux2", "chroma"]
    assert max(ids.index(i) for i in new) < min(ids.index(i) for i in ("sd-turbo", "flux-dev", "sd3-medium"))
    assert by_id["flux2-klein-4b"]["default_steps"] == 4 and not by_id["flux2-klein-4b"]["gated"]
    assert by_id["flux2-dev"]["gated"] and by_id["flux2-klein-9b"]["gated"]
