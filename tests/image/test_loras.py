"""LoRAs: discovery, weight changing the output, kohya files, incompatible bases refused."""

from __future__ import annotations

from tests.image.conftest import mean_abs_diff, pixels, run


def test_loras_are_found_identified_and_filtered(image_client):
    loras = {lr["id"]: lr for lr in image_client.get("/api/loras").json()["loras"]}
    assert set(loras) == {"detail-sd15", "kohya-sd15", "style-sdxl"}  # the broken file is skipped
    assert loras["detail-sd15"]["base"] == "sd1" and loras["detail-sd15"]["format"] == "diffusers"
    assert loras["kohya-sd15"]["base"] == "sd1" and loras["kohya-sd15"]["format"] == "kohya"
    assert loras["style-sdxl"]["base"] == "sdxl"
    sd = {lr["id"] for lr in image_client.get("/api/loras", params={"model_type": "sd"}).json()["loras"]}
    assert sd == {"detail-sd15", "kohya-sd15"}
    assert image_client.post("/api/loras/scan").json()["count"] == 3


def test_lora_weight_moves_the_output_in_proportion(image_client):
    client = image_client
    base = pixels(client, run(client, seed=11))
    half = pixels(client, run(client, seed=11, loras=[{"lora_id": "detail-sd15", "weight": 0.5}]))
    full = pixels(client, run(client, seed=11, loras=[{"lora_id": "detail-sd15", "weight": 1.0}]))
    zero = pixels(client, run(client, seed=11, loras=[{"lora_id": "detail-sd15", "weight": 0.0}]))
    assert 0 < mean_abs_diff(base, half) < mean_abs_diff(base, full)
    assert mean_abs_diff(base, zero) < 0.5
    # The LoRA is removed after its job: the next plain job matches the first one exactly.
    assert pixels(client, run(client, seed=11)) == base


def test_kohya_lora_and_two_loras_in_one_job(image_client):
    client = image_client
    base = pixels(client, run(client, seed=12))
    kohya = pixels(client, run(client, seed=12, loras=[{"lora_id": "kohya-sd15", "weight": 1.0}]))
    both = run(
        client, seed=12, loras=[{"lora_id": "kohya-sd15", "weight": 1.0}, {"lora_id": "detail-sd15", "weight": 0.8}]
    )
    assert mean_abs_diff(base, kohya) > 0.5
    assert pixels(client, both) not in (base, kohya)
    png = client.get(both["images"][0]["url"]).content
    read = client.post("/api/images/metadata", files={"file": ("x.png", png, "image/png")}).json()["params"]
    assert read["loras"] == [{"lora_id": "kohya-sd15", "weight": 1.0}, {"lora_id": "detail-sd15", "weight": 0.8}]
    assert b"<lora:kohya-sd15:1> <lora:detail-sd15:0.8>" in png


def test_incompatible_or_unknown_lora_is_refused_with_a_clear_message(image_client):
    body = {"prompt": "x", "model": "tiny-sd", "width": 64, "height": 64}
    r = image_client.post("/api/jobs", json={**body, "loras": [{"lora_id": "style-sdxl", "weight": 1}]})
    assert r.status_code == 422
    assert r.json()["field"] == "loras.0.lora_id"
    assert "made for SDXL models" in r.json()["detail"] and "tiny-sd" in r.json()["detail"]
    r = image_client.post("/api/jobs", json={**body, "model": "tiny-sdxl", "loras": [{"lora_id": "kohya-sd15"}]})
    assert r.status_code == 422 and "SD 1.x" in r.json()["detail"]
    r = image_client.post("/api/jobs", json={**body, "loras": [{"lora_id": "nope"}]})
    assert r.status_code == 422 and "detail-sd15" in r.json()["detail"]
    r = image_client.post("/api/jobs", json={**body, "loras": [{"lora_id": "detail-sd15", "weight": 1.6}]})
    assert r.status_code == 422 and r.json()["field"] == "loras.0.weight"


def test_sdxl_lora_runs_on_sdxl(image_client):
    base = pixels(image_client, run(image_client, model="tiny-sdxl", seed=4))
    styled = pixels(image_client, run(image_client, model="tiny-sdxl", seed=4, loras=[{"lora_id": "style-sdxl"}]))
    assert mean_abs_diff(base, styled) > 0.5
