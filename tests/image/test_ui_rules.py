"""The rules the web UI reads from the API are the ones the engine applies (the UI keeps no copy)."""

from __future__ import annotations

from tests.image.conftest import run


def test_a_style_the_api_answers_is_the_one_the_engine_applies(image_client):
    cinematic = next(s for s in image_client.get("/api/styles").json() if s["id"] == "cinematic")
    job = run(image_client, prompt="a red fox", negative_prompt="blurry", style="cinematic", seed=3)
    params = image_client.get(f"/api/assets/{job['images'][0]['id']}/params").json()["params"]
    assert params["final_prompt"] == cinematic["template"].replace("{prompt}", "a red fox")
    assert params["final_negative_prompt"] == f"blurry, {cinematic['negative']}"


def test_model_aspect_sizes_are_what_an_aspect_ratio_job_gets(image_client):
    models = {m["id"]: m for m in image_client.get("/api/models").json()["models"]}
    presets = [a["id"] for a in image_client.get("/api/aspect-ratios").json()]
    for model_id in ("tiny-flux", "tiny-sd"):
        model = models[model_id]
        assert list(model["aspect_sizes"]) == presets
        assert (model["min_size"], model["max_size"]) == (64, 4096)
        for ratio in ("16:9", "2:3"):
            body = {"prompt": "x", "model": model_id, "aspect_ratio": ratio, "steps": 1}
            r = image_client.post("/api/jobs", json=body)
            job = image_client.get(f"/api/jobs/{r.json()['job_id']}").json()
            image_client.post(f"/api/jobs/{job['id']}/cancel")
            size = model["aspect_sizes"][ratio]
            assert (size["width"], size["height"]) == (job["params"]["width"], job["params"]["height"])
            assert size["width"] % model["size_multiple"] == 0 and size["height"] % model["size_multiple"] == 0
    # The 64 px floor and 4096 px ceiling are the request's own limits.
    too_big = image_client.post("/api/jobs", json={"prompt": "x", "model": "tiny-sd", "width": 4104, "height": 64})
    assert too_big.status_code == 422 and too_big.json()["field"] == "width"
    # Video models have no image size rules in this list (GET /api/video/models has theirs).
    assert all("aspect_sizes" not in m for m in models.values() if m.get("is_video") and m["type"] != "remote")
