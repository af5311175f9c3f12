"""Bad input and faults: 422 with the nearest valid values, 409 before queueing, cancel and retry."""

from __future__ import annotations

import base64

import pytest

from tests.video.conftest import png_b64, tiny_body, wait_job


@pytest.fixture
def client(register_models, make_client):
    register_models({"tiny-cog": "cogvideox", "tiny-ltx": "ltx2", "tiny-cog-i2v": "cogvideox_i2v"})
    return make_client()


def _no_jobs(client) -> bool:
    return client.get("/api/jobs", params={"include_children": True}).json()["total"] == 0


@pytest.mark.parametrize(
    ("model", "change", "field", "hint"),
    [
        ("tiny-cog", {"num_frames": 10}, "num_frames", "4k+1, at most 9); try 9"),
        ("tiny-ltx", {"num_frames": 8}, "num_frames", "2k+1"),  # the tiny VAE halves time; real LTX-2 is 8k+1
        ("tiny-cog", {"width": 24}, "width", "try 16 or 32"),
        ("tiny-cog", {"width": 2000, "height": 16}, "width", "maximum of 1360; try 1360"),
        ("tiny-ltx", {"height": 48}, "height", "try 32 or 64"),
    ],
)
def test_invalid_frames_or_size_is_422_with_nearest_values(client, model, change, field, hint):
    family = "cogvideox" if model == "tiny-cog" else "ltx2"
    r = client.post("/api/video/jobs", json=tiny_body(family, model, **change))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and hint in r.json()["detail"]
    assert _no_jobs(client)


def test_nearest_frames_names_both_neighbours(client):
    r = client.post("/api/video/jobs", json=tiny_body("cogvideox", "tiny-cog", num_frames=3))
    assert "try 1 or 5" in r.json()["detail"] or "try 5" in r.json()["detail"]


def test_fixed_size_model_names_its_only_size(client):
    body = tiny_body(
        "cogvideox_i2v", "tiny-cog-i2v", width=32, height=32, reference_images=[{"image_base64": png_b64()}]
    )
    r = client.post("/api/i2v/jobs", json=body)
    assert r.status_code == 422 and "only 16x16" in r.json()["detail"]


def test_reference_that_is_not_an_image_is_422(client):
    text = base64.b64encode(b"definitely not a picture").decode()
    body = tiny_body("cogvideox_i2v", "tiny-cog-i2v", reference_images=[{"image_base64": text}])
    r = client.post("/api/i2v/jobs", json=body)
    assert r.status_code == 422 and r.json()["field"] == "reference_images.0"
    assert "not a readable image" in r.json()["detail"]
    r = client.post("/api/i2v/jobs", json={**body, "reference_images": [{"image_asset_id": "nope"}]})
    assert r.status_code == 422 and "no image asset" in r.json()["detail"]
    r = client.post("/api/i2v/jobs", json={**body, "reference_images": [{"image_base64": png_b64()}] * 6})
    assert r.status_code == 422  # at most five references
    assert _no_jobs(client)


def test_text_model_is_not_an_image_to_video_model(client):
    r = client.post(
        "/api/i2v/jobs", json=tiny_body("cogvideox", "tiny-cog", reference_images=[{"image_base64": png_b64()}])
    )
    assert r.status_code == 404 and "tiny-cog-i2v" in r.json()["detail"]  # the valid ids are listed
    r = client.post("/api/video/jobs", json=tiny_body("cogvideox_i2v", "tiny-cog-i2v"))
    assert r.status_code == 404


def test_job_that_cannot_fit_is_409_before_queueing(register_models, make_client):
    register_models({"huge": "cogvideox"}, memory_gb=100_000)
    client = make_client()
    r = client.post("/api/video/jobs", json=tiny_body("cogvideox", "huge"))
    assert r.status_code == 409, r.text
    errors = r.json()["errors"]
    assert errors["needed_gb"] > errors["free_gb"]
    assert "GB" in r.json()["detail"] and "free" in r.json()["detail"]
    assert _no_jobs(client)


def test_duration_is_snapped_to_a_valid_frame_count_and_defaults_are_resolved(client):
    body = tiny_body("cogvideox", "tiny-cog", num_frames=None, duration=0.7, fps=8)
    del body["num_frames"]
    r = client.post("/api/video/jobs", json=body)
    assert r.status_code == 201, r.text
    job = client.get(f"/api/video/jobs/{r.json()['job_id']}").json()
    assert job["params"]["num_frames"] == 5 and job["params"]["duration"] is None  # 0.7 s x 8 fps = 5.6 -> 5
    assert any("frames" in n for n in job["params"]["notes"])
    wait_job(client, "video", job["id"])


def test_cancel_and_retry_through_the_video_routes(client):
    r = client.post("/api/video/jobs", json=tiny_body("cogvideox", "tiny-cog", steps=200))
    job_id = r.json()["job_id"]
    from tests.kit.studio import wait_for

    wait_for(lambda: client.get(f"/api/video/jobs/{job_id}").json()["stage"] == "sampling", what="sampling")
    assert client.post(f"/api/video/jobs/{job_id}/cancel").status_code == 200
    job = wait_job(client, "video", job_id)
    assert job["status"] == "cancelled" and job["step"] < 200
    listed = client.get("/api/video/jobs").json()
    assert [j["id"] for j in listed["items"]] == [job_id]
    assert client.get(f"/api/i2v/jobs/{job_id}").status_code == 404  # each route sees its own kind
    assert client.post(f"/api/video/jobs/{job_id}/retry").json()["status"] == "queued"
    client.post(f"/api/video/jobs/{job_id}/cancel")


def test_video_models_answer_the_frame_rule_as_data(client):
    """The UI snaps a frame count from `frames` (step, max); they are the rule the engine enforces."""
    models = {m["id"]: m for m in client.get("/api/video/models").json()}
    for model_id, family, step in (("tiny-cog", "cogvideox", 4), ("tiny-ltx", "ltx2", 2)):
        frames = models[model_id]["frames"]
        assert frames["step"] == step and frames["form"] == f"{step}k+1"
        r = client.post("/api/video/jobs", json=tiny_body(family, model_id, num_frames=frames["max"] + step))
        assert r.status_code == 422 and r.json()["field"] == "num_frames"
        # Off the step: refused, and the nearest valid counts are step * k + 1.
        r = client.post("/api/video/jobs", json=tiny_body(family, model_id, num_frames=step + 2))
        assert r.status_code == 422 and f"try {step + 1}" in r.json()["detail"]
    assert _no_jobs(client)
