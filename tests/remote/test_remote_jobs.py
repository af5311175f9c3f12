"""Remote jobs against fake fal.ai, KREA and Higgsfield servers, through the studio's API."""

from __future__ import annotations

import time

import pytest

from hollywool.errors import InvalidInputError
from hollywool.jobs.events import JobProgress
from tests.fakes.fal_catalog import FalModel, image_input_schema
from tests.remote.fixtures import wait_job, wait_until

SCHNELL = "fal:fal-ai/flux/schnell"


def _submit(client, model=SCHNELL, **fields):
    body = {"model": model, "prompt": "a lighthouse at dusk", "width": 512, "height": 512, **fields}
    job = client.app.state.studio.jobs.submit("remote", body)
    return job.id


def test_fal_discovery_pages_through_the_catalogue_with_schemas_and_prices(remote_client, fal):
    for n in range(130):  # more than one page of 100 in one category
        fal.add_model(
            FalModel(
                f"fal-ai/extra-{n:03d}",
                f"Extra {n}",
                "text-to-image",
                image_input_schema("ExtraInput", 20, 4),
                0.01,
                "image",
            )
        )
    found = remote_client.post("/api/providers/fal/discover").json()
    assert found["count"] == len(fal.catalog)
    pages = [r for r in fal.requests_to("/v1/models", "GET") if r.path == "/v1/models"]
    assert any("cursor=" in r.query for r in pages), "the second page was asked for with the cursor"
    videos = remote_client.get("/api/providers/fal/models", params={"category": "text-to-video"}).json()
    assert [m["id"] for m in videos] == ["fal:fal-ai/kling-video/v2/master/text-to-video"]
    assert videos[0]["price"] == {"unit_price": 0.28, "unit": "second", "currency": "USD"}
    assert {"prompt", "duration", "aspect_ratio"} <= {p["name"] for p in videos[0]["params"]}
    search = remote_client.get("/api/providers/fal/models", params={"q": "schnell"}).json()
    assert [m["id"] for m in search] == [SCHNELL]
    steps = next(p for p in search[0]["params"] if p["name"] == "num_inference_steps")
    assert steps["maximum"] == 12 and steps["default"] == 4
    record = remote_client.get("/api/providers/fal").json()
    assert record["model_count"] == len(fal.catalog) and record["discovered_at"]


def test_krea_discovery_from_its_openapi_and_higgsfield_catalogue(remote_client):
    models = remote_client.post("/api/providers/krea/discover").json()["models"]
    by_id = {m["id"]: m for m in models}
    assert {"krea:bfl/flux-1-dev", "krea:google/imagen-4", "krea:kling/kling-2.1"} <= set(by_id)
    assert by_id["krea:kling/kling-2.1"]["category"] == "text-to-video"
    assert "guidance_scale_flux" in {p["name"] for p in by_id["krea:bfl/flux-1-dev"]["params"]}
    higgs = remote_client.post("/api/providers/higgsfield/discover").json()["models"]
    assert "higgsfield:higgsfield-ai/soul/standard" in {m["id"] for m in higgs}


def test_fal_text_to_image_job_from_queue_position_to_an_asset_with_its_cost(remote_client, fal):
    remote_client.post("/api/providers/fal/discover")
    fal.queue_polls, fal.progress_polls = 3, 2
    seen: list[JobProgress] = []
    studio = remote_client.app.state.studio
    studio.bus.add_listener(lambda e: seen.append(e) if isinstance(e, JobProgress) else None)
    job_id = _submit(remote_client, seed=7, num_images=2, provider_params={"output_format": "png"})
    job = wait_job(remote_client, job_id)
    assert job["status"] == "completed", job["error"]
    mine = [e for e in seen if e.job_id == job_id]
    assert any(e.stage == "in_queue" and "Position" in (e.message or "") for e in mine)
    assert any(e.stage == "generating" for e in mine)
    assert [e.stage for e in mine].index("in_queue") < [e.stage for e in mine].index("generating")
    # one submission, with the studio's fields mapped onto the model's own names
    assert len(fal.submissions) == 1
    endpoint, body = fal.submissions[0]
    assert endpoint == "fal-ai/flux/schnell"
    assert body == {
        "prompt": "a lighthouse at dusk",
        "seed": 7,
        "num_images": 2,
        "output_format": "png",
        "image_size": {"width": 512, "height": 512},
    }
    request_id = job["result"]["provider_request_id"]
    assert request_id in fal.jobs and len(job["images"]) == 2
    asset = remote_client.get(f"/api/assets/{job['images'][0]['id']}").json()
    assert asset["model"] == SCHNELL and asset["seed"] == 7
    assert asset["params"]["provider_request_id"] == request_id and asset["params"]["provider"] == "fal"
    assert remote_client.get(asset["url"]).status_code == 200
    # 0.003 USD per megapixel, 512x512, two images; estimated from the published price
    expected = round(0.003 * 512 * 512 / 1e6 * 2, 6)
    assert job["result"]["cost_usd"] == expected and job["result"]["cost_estimated"] is True
    costs = remote_client.get("/api/costs").json()
    assert costs["total_usd"] == expected
    assert costs["by_provider"][0]["provider"] == "fal"
    assert costs["by_model"][0]["model"] == "fal-ai/flux/schnell"
    assert costs["by_day"][0]["day"] == costs["today"]


def test_cancel_stops_the_provider_request_and_voids_its_cost(remote_client, fal):
    fal.queue_polls = 100_000
    job_id = _submit(remote_client)
    wait_until(lambda: remote_client.get(f"/api/jobs/{job_id}").json()["stage"] == "in_queue", what="in queue")
    assert remote_client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    job = wait_job(remote_client, job_id)
    assert job["status"] == "cancelled"
    assert len(fal.requests_to("/fal-ai/flux/requests/", "PUT")) == 1
    assert remote_client.get("/api/costs").json()["total_usd"] == 0


def test_missing_and_wrong_keys_fail_at_once_saying_what_to_do(remote_client, fal):
    remote_client.put("/api/providers/fal", json={"api_key": None})
    started = time.monotonic()
    job = wait_job(remote_client, _submit(remote_client), timeout=5)
    assert job["status"] == "failed"
    assert "fal.ai: no API key is set" in job["error"] and "FAL_KEY" in job["error"]
    assert fal.submissions == []
    remote_client.put("/api/providers/fal", json={"api_key": "fal-wrong-id:fal-wrong-secret"})
    job = wait_job(remote_client, _submit(remote_client), timeout=5)
    assert job["status"] == "failed" and "fal.ai: the API key was rejected" in job["error"]
    assert time.monotonic() - started < 5
    check = remote_client.post("/api/providers/fal/test").json()
    assert check["ok"] is False and "rejected" in check["message"]
    remote_client.put("/api/providers/fal", json={"api_key": fal.api_key})
    assert remote_client.post("/api/providers/fal/test").json()["ok"] is True
    assert remote_client.get("/api/costs").json()["total_usd"] == 0


def test_a_429_storm_is_ridden_out_then_reported_clearly(remote_client, fal):
    fal.fail_next(3, 429, retry_after=0.05, path_prefix="/fal-ai/flux/schnell")
    job = wait_job(remote_client, _submit(remote_client))
    assert job["status"] == "completed", job["error"]
    assert len(fal.submissions) == 1  # the refused tries never reached the queue
    # longer than the retries (4): a clear error, nothing submitted, nothing charged
    fal.fail_next(50, 429, retry_after=0, path_prefix="/fal-ai/flux/schnell")
    job = wait_job(remote_client, _submit(remote_client))
    assert job["status"] == "failed"
    assert "fal.ai: rate limited (HTTP 429) after 5 tries" in job["error"]
    fal.faults.clear()
    # 5xx while polling is retried too
    fal.queue_polls = 2
    job_id = _submit(remote_client)
    fal.fail_next(2, 503, path_prefix="/fal-ai/flux/requests")
    assert wait_job(remote_client, job_id)["status"] == "completed"


def test_provider_4xx_is_passed_on_naming_the_field(remote_client, fal):
    # Not discovered: the studio cannot check the schema, so the provider's own 422 comes back.
    fal.validate_on_submit = True
    job = wait_job(remote_client, _submit(remote_client, steps=40))
    assert job["status"] == "failed"
    assert "num_inference_steps" in job["error"] and "less than or equal to 12" in job["error"]
    # Discovered: the same mistake is refused at submit time, naming the field.
    remote_client.post("/api/providers/fal/discover")
    with pytest.raises(InvalidInputError) as caught:
        remote_client.app.state.studio.jobs.submit("remote", {"model": SCHNELL, "prompt": "x", "steps": 40})
    assert caught.value.field == "num_inference_steps" and "at most 12" in caught.value.message


def test_krea_job_and_a_failed_generation_keeps_its_request_id(remote_client, krea):
    remote_client.post("/api/providers/krea/discover")
    job = wait_job(remote_client, _submit(remote_client, model="krea:bfl/flux-1-dev", steps=10, guidance_scale=3.5))
    assert job["status"] == "completed", job["error"]
    path, body = krea.submissions[0]
    assert path == "/generate/image/bfl/flux-1-dev"
    assert body == {
        "prompt": "a lighthouse at dusk",
        "steps": 10,
        "guidance_scale_flux": 3.5,
        "width": 512,
        "height": 512,
    }
    assert len(job["images"]) == 1
    krea.fail_next_job("GPU fell over")
    job = wait_job(remote_client, _submit(remote_client, model="krea:bfl/flux-1-dev"))
    assert job["status"] == "failed"
    assert "KREA: GPU fell over" in job["error"] and krea.submissions and "request id" in job["error"]
    krea.out_of_credits = True
    job = wait_job(remote_client, _submit(remote_client, model="krea:bfl/flux-1-dev"))
    assert "out of credits" in job["error"]


def test_higgsfield_job(remote_client, higgsfield):
    job = wait_job(
        remote_client, _submit(remote_client, model="higgsfield:higgsfield-ai/soul/standard", width=1024, height=768)
    )
    assert job["status"] == "completed", job["error"]
    model_id, body = higgsfield.submissions[0]
    assert model_id == "higgsfield-ai/soul/standard" and body["aspect_ratio"] == "4:3"


def test_a_job_over_the_daily_budget_waits_for_confirmation(remote_client, fal):
    remote_client.post("/api/providers/fal/discover")
    remote_client.put("/api/settings", json={"daily_budget_usd": 0.0001})
    job_id = _submit(remote_client)
    job = wait_until(
        lambda: (j := remote_client.get(f"/api/jobs/{job_id}").json())["stage"] == "awaiting_confirmation" and j,
        what="awaiting confirmation",
    )
    assert "daily budget" in job["message"]
    time.sleep(0.2)
    assert fal.submissions == []  # nothing is spent while it waits
    assert remote_client.post(f"/api/jobs/{job_id}/confirm").status_code == 200
    assert wait_job(remote_client, job_id)["status"] == "completed"
    assert remote_client.post(f"/api/jobs/{job_id}/confirm").status_code == 409
    assert remote_client.get("/api/costs").json()["daily_budget_usd"] == 0.0001


def test_remote_models_in_api_models_and_post_api_jobs(remote_client, fal):
    remote_client.post("/api/providers/fal/discover")
    models = remote_client.get("/api/models").json()["models"]
    schnell = next(m for m in models if m["id"] == SCHNELL)
    assert schnell["provider"] == "fal" and schnell["category"] == "text-to-image"
    assert schnell["price"]["unit_price"] == 0.003 and schnell["provider_configured"] is True
    videos = remote_client.get("/api/models", params={"kind": "video"}).json()["models"]
    assert "fal:fal-ai/kling-video/v2/master/text-to-video" in {m["id"] for m in videos}
    assert SCHNELL not in {m["id"] for m in videos}
    r = remote_client.post(
        "/api/jobs",
        json={
            "model": SCHNELL,
            "prompt": "a kite",
            "width": 512,
            "height": 512,
            "steps": 3,
            "provider_params": {"enable_safety_checker": False},
        },
    )
    assert r.status_code == 201, r.text
    job = wait_job(remote_client, r.json()["job_id"])
    assert job["status"] == "completed" and job["kind"] == "remote" and job["lane"] == "net:fal"
    assert fal.submissions[-1][1] == {
        "prompt": "a kite",
        "num_inference_steps": 3,
        "num_images": 1,
        "enable_safety_checker": False,
        "image_size": {"width": 512, "height": 512},
    }
    r = remote_client.post("/api/jobs", json={"model": SCHNELL, "prompt": "x", "provider_params": {"nope": 1}})
    assert r.status_code == 422 and r.json()["field"] == "provider_params.nope"


def test_remote_video_model_through_the_video_route(remote_client, fal):
    remote_client.post("/api/providers/fal/discover")
    kling = "fal:fal-ai/kling-video/v2/master/text-to-video"
    r = remote_client.post(
        "/api/video/jobs", json={"model": kling, "prompt": "waves at night", "duration": 5, "provider_params": {}}
    )
    assert r.status_code == 201, r.text
    job = wait_job(remote_client, r.json()["job_id"])
    assert job["status"] == "completed" and job["kind"] == "remote" and len(job["videos"]) == 1
    assert fal.submissions[-1][0] == "fal-ai/kling-video/v2/master/text-to-video"
    assert fal.submissions[-1][1]["prompt"] == "waves at night"


def test_a_style_preset_reaches_the_provider_in_the_prompt(remote_client, fal):
    remote_client.post("/api/providers/fal/discover")
    cinematic = next(s for s in remote_client.get("/api/styles").json() if s["id"] == "cinematic")
    body = {"model": SCHNELL, "prompt": "a kite", "negative_prompt": "blurry", "style": "cinematic"}
    r = remote_client.post("/api/jobs", json={**body, "width": 512, "height": 512})
    assert r.status_code == 201, r.text
    job = wait_job(remote_client, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    sent = fal.submissions[-1][1]
    styled = cinematic["template"].replace("{prompt}", "a kite")
    assert sent["prompt"] == styled
    # The job and its asset keep the user's prompt and the style (re-used, it is styled once), and the text sent.
    assert {k: job["params"][k] for k in body} == body
    params = remote_client.get(f"/api/assets/{job['images'][0]['id']}/params").json()["params"]
    assert {k: params[k] for k in body} == body
    assert params["final_prompt"] == styled and params["final_negative_prompt"] == f"blurry, {cinematic['negative']}"
    r = remote_client.post("/api/jobs", json={**body, "style": "vaporwave-9000"})
    assert r.status_code == 422 and r.json()["field"] == "style"
