"""Bulk batches: ten prompts on a tiny local model and on a fake remote model, failures, retry, export."""

from __future__ import annotations

import csv
import io
import zipfile

from hollywool.settings import ServiceUrls
from tests.remote.fixtures import wait_until

PROMPTS = [f"a tiny test scene number {n}" for n in range(10)]


def _wait_batch(client, job_id, done, timeout=120):
    return wait_until(
        lambda: (v := client.get(f"/api/bulk/jobs/{job_id}").json())["status"] in done and v,
        timeout=timeout,
        what=f"batch {done}",
    )


def _check_zip(content: bytes, count: int) -> list[dict]:
    zf = zipfile.ZipFile(io.BytesIO(content))
    images = [n for n in zf.namelist() if n.startswith("images/")]
    assert len(images) == count and all(zf.read(n)[:4] == b"\x89PNG" for n in images)
    rows = list(csv.DictReader(io.StringIO(zf.read("prompts.csv").decode())))
    assert [r["prompt"] for r in rows] == PROMPTS
    assert all(r["seed"] and r["file"] in images for r in rows)
    return rows


def test_ten_prompts_on_a_tiny_local_model_exported_as_a_zip(register_models, make_client, fast_remote):
    register_models({"tiny-sd": "sd15"})
    client = make_client()
    session = client.post("/api/bulk-sessions", json={"name": "tiny batch"}).json()
    r = client.post(
        "/api/bulk/jobs",
        json={
            "prompts": PROMPTS,
            "model": "tiny-sd",
            "width": 64,
            "height": 64,
            "steps": 2,
            "base_prompt": "tiny scenes",
            "session_id": session["id"],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued" and r.json()["message"] == "queued 10 prompts"
    job_id = r.json()["job_id"]
    view = _wait_batch(client, job_id, ("completed", "failed"))
    assert view["status"] == "completed", [i["error"] for i in view["items"]]
    assert (view["total"], view["completed"], view["failed"], view["progress"]) == (10, 10, 0, 100.0)
    assert view["cost_usd"] == 0 and view["kind"] == "image" and view["base_prompt"] == "tiny scenes"
    assert [i["index"] for i in view["items"]] == list(range(10))
    assert [i["prompt"] for i in view["items"]] == PROMPTS
    assert all(i["asset_id"] and i["image_url"] and i["seed"] is not None for i in view["items"])
    # the children are ordinary image jobs in the one queue, under their parent
    children = client.get("/api/jobs", params={"parent_id": job_id, "include_children": True}).json()
    assert children["total"] == 10 and {c["kind"] for c in children["items"]} == {"image"}
    parent = wait_until(lambda: (j := client.get(f"/api/jobs/{job_id}").json())["status"] != "running" and j)
    assert parent["kind"] == "bulk" and parent["status"] == "completed"
    listed = client.get("/api/bulk/jobs", params={"session_id": session["id"]}).json()
    assert [b["job_id"] for b in listed["items"]] == [job_id]
    export = client.get(f"/api/bulk/jobs/{job_id}/export")
    assert export.headers["content-type"] == "application/zip"
    rows = _check_zip(export.content, 10)
    assert {r["model"] for r in rows} == {"tiny-sd"} and {r["steps"] for r in rows} == {"2"}


def test_ten_prompts_on_a_remote_model_one_fails_and_is_retried(make_client, fast_remote, fal):
    client = make_client(services=ServiceUrls(fal=fal.url))
    client.put("/api/providers/fal", json={"api_key": fal.api_key})
    client.post("/api/providers/fal/discover")
    fal.next_result_error = (
        422,
        {"detail": [{"loc": ["body", "prompt"], "msg": "prompt was flagged", "type": "content_policy_violation"}]},
    )
    r = client.post(
        "/api/bulk/jobs",
        json={"prompts": PROMPTS, "fal_model": "fal-ai/flux/schnell", "width": 512, "height": 512, "steps": 4},
    )
    job_id = r.json()["job_id"]
    view = _wait_batch(client, job_id, ("failed", "completed"))
    assert (view["status"], view["completed"], view["failed"]) == ("failed", 9, 1)
    assert view["model"] == "fal:fal-ai/flux/schnell" and view["kind"] == "remote"
    failed = next(i for i in view["items"] if i["status"] == "failed")
    assert "prompt: prompt was flagged" in failed["error"] and "request id" in failed["error"]
    per_image = round(0.003 * 512 * 512 / 1e6, 6)
    assert view["cost_usd"] == round(9 * per_image, 6)  # the failed request is not charged
    wait_until(lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "failed", what="the parent to fail")
    retried = client.post(f"/api/bulk/jobs/{job_id}/retry").json()
    assert retried["failed"] == 0
    view = _wait_batch(client, job_id, ("completed",))
    assert (view["completed"], view["failed"], view["progress"]) == (10, 0, 100.0)
    assert view["cost_usd"] == round(10 * per_image, 6)
    assert len(fal.submissions) == 11
    wait_until(lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "completed", what="the parent")
    assert client.post(f"/api/bulk/jobs/{job_id}/retry").status_code == 409
    rows = _check_zip(client.get(f"/api/bulk/jobs/{job_id}/export").content, 10)
    assert {r["model"] for r in rows} == {"fal:fal-ai/flux/schnell"}
    assert all(float(r["cost_usd"]) == per_image for r in rows)
    costs = client.get("/api/costs").json()
    assert costs["total_usd"] == round(10 * per_image, 6)


def test_cancelling_a_batch_stops_the_rest(make_client, fast_remote, fal):
    client = make_client(services=ServiceUrls(fal=fal.url))
    client.put("/api/providers/fal", json={"api_key": fal.api_key})
    fal.queue_polls = 100_000
    job_id = client.post(
        "/api/bulk/jobs", json={"prompts": PROMPTS, "model": "fal:fal-ai/flux/schnell", "width": 256, "height": 256}
    ).json()["job_id"]
    wait_until(lambda: len(fal.submissions) >= 8, what="the first children to be submitted")
    view = client.post(f"/api/bulk/jobs/{job_id}/cancel").json()
    view = _wait_batch(client, job_id, ("cancelled",))
    assert view["cancelled"] == 10 and view["completed"] == 0
    assert len(fal.submissions) == 8  # lane concurrency 8: the two queued children never ran
    assert client.get("/api/costs").json()["total_usd"] == 0


def test_bad_bulk_requests_are_refused_whole(make_client, fast_remote, fal):
    client = make_client(services=ServiceUrls(fal=fal.url))
    assert client.post("/api/bulk/jobs", json={"prompts": [], "model": "fal:x/y"}).status_code == 422
    assert client.post("/api/bulk/jobs", json={"prompts": ["a", " "], "model": "fal:x/y"}).status_code == 422
    assert client.post("/api/bulk/jobs", json={"prompts": ["a"]}).status_code == 422
    r = client.post("/api/bulk/jobs", json={"prompts": ["a"], "model": "nope-model"})
    assert r.status_code in (404, 422) and r.json()["detail"]
    r = client.post("/api/bulk/jobs", json={"prompts": ["a"], "model": "fal:x/y", "provider_params": {"a": 1}})
    assert r.status_code == 201  # undiscovered fal model: passed through for fal to check
    r = client.post("/api/bulk/jobs", json={"prompts": ["a"], "model": "higgsfield:no/such"})
    assert r.status_code == 422 and r.json()["field"] == "model"
    assert client.get("/api/jobs", params={"kind": "bulk"}).json()["total"] == 1
    assert client.get("/api/bulk/jobs/nope").status_code == 404
