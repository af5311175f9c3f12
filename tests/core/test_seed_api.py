"""The seed's API, walked route by route (../shared/notes/seed-api.md, section 1).

A client written for the seed must keep working: every route answers, and every field the seed
named is present in the answer (HollyWool may add fields, never drop or rename one). Values may be
richer (timestamps, statuses), names may not change.
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.kit.studio import wait_job

HEALTH = {"status", "gpu_available", "current_model", "hostname"}
MODEL_INFO = {
    "id",
    "name",
    "type",
    "default_steps",
    "default_guidance",
    "category",
    "description",
    "tags",
    "size_gb",
    "requires_approval",
    "approval_url",
    "is_cached",
    "hf_path",
}
MODEL_DETAIL = MODEL_INFO | {"path", "cached_size_mb", "estimated_size_gb", "actual_size_gb", "last_accessed"}
CACHE_STATUS = {"total_size_gb", "num_models", "num_datasets", "cache_dir"}
HF_DOWNLOAD = {"id", "model_id", "model_name", "model_path", "status", "progress", "total_size_mb", "speed_mbps"}
HF_DOWNLOAD |= {"error", "created_at", "started_at", "completed_at"}
JOB_ACCEPTED = {"job_id", "status", "message"}
IMAGE_RESULT = {"id", "filename", "url", "seed"}
IMAGE_JOB = {
    "id",
    "session_id",
    "status",
    "progress",
    "current_image",
    "total_images",
    "eta_seconds",
    "error",
    "download_progress",
    "download_total_mb",
    "download_speed_mbps",
    "load_progress",
    "prompt",
    "model",
    "width",
    "height",
    "steps",
    "num_images",
    "source_image_urls",
    "strength",
    "batch_id",
    "images",
    "created_at",
    "started_at",
    "completed_at",
}
VIDEO_JOB = {"id", "session_id", "status", "progress", "current_frame", "total_frames", "eta_seconds", "error"}
VIDEO_JOB |= {"prompt", "model", "width", "height", "steps", "num_frames", "fps", "video"}
VIDEO_JOB |= {"created_at", "started_at", "completed_at"}
UPSCALE_JOB = {"id", "session_id", "status", "progress", "current_frame", "total_frames", "eta_seconds", "error"}
UPSCALE_JOB |= {"source_video_id", "model", "scale_factor", "target_width", "target_height", "video"}
LORA_INFO = {"id", "name", "path", "source", "compatible_types", "default_weight", "description", "is_downloaded"}
SYSTEM_STATUS = {"memory_total_gb", "memory_available_gb", "memory_used_gb", "memory_percent", "gpu_utilization"}
SYSTEM_STATUS |= {"cpu_percent", "cpu_name", "cpu_cores", "cpu_threads", "is_available", "rejection_reason"}
ASSET = {"id", "filename", "url", "prompt", "negative_prompt", "model", "width", "height", "steps", "guidance_scale"}
ASSET |= {"seed", "batch_id", "created_at"}
APP_SETTINGS = {"theme", "default_model", "default_video_model", "auto_save_history", "max_log_entries"}
APP_SETTINGS |= {"favorite_models", "civitai_api_key"}
REQUEST_LOG = {"id", "timestamp", "type", "prompt", "negative_prompt", "model", "parameters", "status"}
REQUEST_LOG |= {"duration_ms", "error", "result_id", "source_image_urls"}
SYSTEM_INFO = {"app_name", "version", "hostname", "os_name", "platform", "device_type", "compute_mode"}
SYSTEM_INFO |= {"cuda_available", "torch_cuda_enabled", "gpu_name", "gpu_memory_gb", "gpu_warning", "python_version"}
SYSTEM_INFO |= {"torch_version"}
PROVIDER = {"provider", "is_configured", "is_enabled", "api_url", "has_api_key"}
BULK_JOB = {"id", "session_id", "status", "progress", "total", "completed", "failed", "items", "base_prompt"}
BULK_JOB |= {"fal_model", "width", "height", "steps", "created_at", "started_at", "completed_at", "error"}
COMFY_STATUS = {"available", "server_url", "queue_running", "queue_pending", "error"}


def has(answer: object, keys: set[str], where: str) -> None:
    assert isinstance(answer, dict), f"{where}: expected an object, got {type(answer).__name__}: {answer!r:.200}"
    missing = keys - answer.keys()
    assert not missing, f"{where}: the seed's fields {sorted(missing)} are missing (has {sorted(answer)})"


def each(items: object, keys: set[str], where: str) -> None:
    assert isinstance(items, list), f"{where}: expected a list, got {type(items).__name__}"
    for i, item in enumerate(items):
        has(item, keys, f"{where}[{i}]")


def png_b64(color=(200, 40, 40)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def seed_client(register_models, make_client, monkeypatch):
    from tests.kit.studio import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    for var in ("HOLLYWOOL_COMFYUI_URL", "HOLLYWOOL_CIVITAI_URL", "HOLLYWOOL_KREA_URL", "HOLLYWOOL_FAL_URL"):
        monkeypatch.setenv(var, closed)
    register_models({"tiny-sd": "sd15"})
    return make_client()


def test_root_and_system_routes(seed_client):
    c = seed_client
    root = c.get("/", headers={"Accept": "application/json"})
    assert root.status_code == 200
    has(root.json(), {"name", "version", "description"}, "GET /")
    has(c.get("/api/health").json(), HEALTH, "GET /api/health")
    has(c.get("/api/system/status").json(), SYSTEM_STATUS, "GET /api/system/status")
    can = c.get("/api/system/can-generate/tiny-sd")
    assert can.status_code == 200
    has(can.json(), {"can_generate", "status", "recommended_models"}, "GET /api/system/can-generate/{id}")
    has(c.get("/api/settings/system").json(), SYSTEM_INFO, "GET /api/settings/system")


def test_model_routes(seed_client):
    c = seed_client
    models = c.get("/api/models").json()
    has(models, {"models", "current_model"}, "GET /api/models")
    each(models["models"], MODEL_INFO, "GET /api/models .models")
    assert "tiny-sd" in {m["id"] for m in models["models"]}
    detailed = c.get("/api/models/detailed").json()
    has(detailed, {"models"}, "GET /api/models/detailed")
    each(detailed["models"], MODEL_DETAIL, "GET /api/models/detailed .models")
    has(c.get("/api/models/cache-status").json(), CACHE_STATUS, "GET /api/models/cache-status")
    downloads = c.get("/api/models/downloads").json()
    each(downloads, HF_DOWNLOAD, "GET /api/models/downloads")
    assert c.delete("/api/models/no-such-model/cache").status_code == 404
    assert c.post("/api/models/no-such-model/download").status_code == 404
    cache = c.delete("/api/models/tiny-sd/cache")
    assert cache.status_code in (200, 400, 422), cache.text
    has(cache.json(), {"success", "freed_mb", "model_id", "error"} if cache.status_code == 200 else {"detail"}, "cache")
    pulled = c.post("/api/models/sd-turbo/download")  # a hub model: the job then fails offline
    assert pulled.status_code in (200, 201), pulled.text
    has(pulled.json(), {"status", "model_id"}, "POST /api/models/{id}/download")
    assert pulled.json()["status"] in ("already_cached", "downloading")
    assert c.post("/api/generate-title", json={"prompt": "a red fox, in snow"}).json()["title"]
    loras = c.get("/api/loras").json()
    has(loras, {"loras", "local_lora_dir"}, "GET /api/loras")
    each(loras["loras"], LORA_INFO, "GET /api/loras .loras")
    has(c.post("/api/loras/scan").json(), {"count", "loras"}, "POST /api/loras/scan")
    upscalers = c.get("/api/upscale/models").json()
    has(upscalers, {"models"}, "GET /api/upscale/models")
    each(upscalers["models"], {"id", "name", "scale", "description"}, "GET /api/upscale/models .models")


def test_image_job_routes(seed_client):
    c = seed_client
    body = {"prompt": "a lighthouse", "model": "tiny-sd", "width": 256, "height": 256, "steps": 2, "num_images": 1}
    accepted = c.post("/api/jobs", json=body)
    assert accepted.status_code in (200, 201), accepted.text
    has(accepted.json(), JOB_ACCEPTED, "POST /api/jobs")
    job_id = accepted.json()["job_id"]
    wait_job(c, job_id, statuses=("completed",))
    job = c.get(f"/api/jobs/{job_id}").json()
    has(job, IMAGE_JOB, "GET /api/jobs/{id}")
    each(job["images"], IMAGE_RESULT, "GET /api/jobs/{id} .images")
    assert job["prompt"] == "a lighthouse" and job["model"] == "tiny-sd" and job["num_images"] == 1
    assert job["progress"] == 100
    listed = c.get("/api/jobs").json()
    has(listed, {"jobs"}, "GET /api/jobs")
    each(listed["jobs"], IMAGE_JOB, "GET /api/jobs .jobs")
    assert c.get("/api/jobs", params={"active_only": True}).json()["jobs"] == []
    assert c.get("/api/jobs/nope").status_code == 404

    uploaded = c.post("/api/jobs", json={**body, "reference_images": [{"image_base64": png_b64()}], "strength": 0.5})
    assert uploaded.status_code in (200, 201), uploaded.text
    source = job["images"][0]
    ref = {**body, "reference_images": [{"image_asset_id": source["id"]}], "strength": 0.5}
    i2i = c.post("/api/jobs", json=ref)
    assert i2i.status_code in (200, 201), i2i.text
    i2i_job = wait_job(c, i2i.json()["job_id"], statuses=("completed",))
    assert i2i_job["source_image_urls"] == [source["url"]]
    assert i2i_job["strength"] == 0.5
    wait_job(c, uploaded.json()["job_id"], statuses=("completed",))

    sync = c.post("/api/generate", json=body)
    assert sync.status_code == 200, sync.text
    keys = {"batch_id", "prompt", "model", "width", "height", "steps", "guidance_scale", "images", "created_at"}
    has(sync.json(), keys, "POST /api/generate")
    each(sync.json()["images"], IMAGE_RESULT, "POST /api/generate .images")

    assets = c.get("/api/assets", params={"limit": 200, "offset": 0}).json()
    has(assets, {"assets", "total"}, "GET /api/assets")
    each(assets["assets"], ASSET, "GET /api/assets .assets")
    asset_id = assets["assets"][0]["id"]
    has(c.get(f"/api/assets/{asset_id}").json(), ASSET, "GET /api/assets/{id}")
    deleted = c.delete(f"/api/assets/{asset_id}").json()
    assert deleted["status"] == "deleted" and deleted["id"] == asset_id
    video_assets = c.get("/api/video-assets").json()
    has(video_assets, {"assets", "total"}, "GET /api/video-assets")
    assert c.get("/api/video-assets/nope").status_code == 404


def test_video_i2v_upscale_job_lists(seed_client):
    c = seed_client
    for path in ("/api/video/jobs", "/api/i2v/jobs", "/api/upscale/jobs"):
        listed = c.get(path, params={"active_only": True}).json()
        has(listed, {"jobs"}, f"GET {path}")
        assert c.get(f"{path}/nope").status_code == 404
    missing = c.post("/api/upscale/jobs", json={"video_asset_id": "nope"})
    assert missing.status_code in (404, 422) and "nope" in missing.json()["detail"]
    no_image = c.post("/api/i2v/jobs", json={"prompt": "x", "model": "tiny-sd"})
    assert 400 <= no_image.status_code < 500


def test_sessions_files_round_trip(seed_client):
    c = seed_client
    for path, extra in (("/api/sessions", {"batchIds": []}), ("/api/video-sessions", {}), ("/api/bulk-sessions", {})):
        if path == "/api/bulk-sessions":
            extra = {"bulkJobIds": []}
        data = c.get(path).json()
        has(data, {"sessions", "currentSessionId"}, f"GET {path}")
        sid = "s" + path.rsplit("/", 1)[-1].replace("-", "")
        session = {"id": sid, "name": "Seed session", "createdAt": 1700000000000, **extra}
        older = {"id": sid + "old", "name": "Older", "createdAt": 1600000000000, **extra}
        written = c.post(path, json={"sessions": [older, session], "currentSessionId": sid})
        assert written.status_code == 200, written.text
        again = c.get(path).json()
        assert again["currentSessionId"] == sid
        names = {s["id"]: s["name"] for s in again["sessions"]}
        assert names.get(sid) == "Seed session" and names.get(sid + "old") == "Older"
        stored = next(s for s in again["sessions"] if s["id"] == sid)
        has(stored, {"id", "name", "createdAt", *extra}, path)
        assert stored["createdAt"] == 1700000000000
    clash = c.post("/api/video-sessions", json={"sessions": [{"id": "ssessions", "name": "x"}]})
    assert clash.status_code == 422 and clash.json()["field"] == "sessions.0.id"


def test_settings_and_logs(seed_client):
    c = seed_client
    current = c.get("/api/settings").json()
    has(current, APP_SETTINGS, "GET /api/settings")
    assert not current["civitai_api_key"], "a key is never sent back"
    keyed = c.post("/api/settings", json={**current, "civitai_api_key": "ck-seed-secret"})
    assert keyed.status_code == 200 and "ck-seed-secret" not in keyed.text
    assert keyed.json()["has_civitai_api_key"] is True and keyed.json()["civitai_api_key"] is None
    updated = c.post("/api/settings", json={**current, "theme": "light", "max_log_entries": 500})
    assert updated.status_code == 200, updated.text
    has(updated.json(), APP_SETTINGS, "POST /api/settings")
    assert c.get("/api/settings").json()["theme"] == "light"
    c.post("/api/generate-title", json={"prompt": "logged"})
    logs = c.get("/api/settings/logs", params={"page": 1, "page_size": 50}).json()
    has(logs, {"logs", "total", "page", "page_size"}, "GET /api/settings/logs")
    each(logs["logs"], REQUEST_LOG, "GET /api/settings/logs .logs")
    one = logs["logs"][0]["id"]
    has(c.get(f"/api/settings/logs/{one}").json(), REQUEST_LOG, "GET /api/settings/logs/{id}")
    removed = c.delete(f"/api/settings/logs/{one}").json()
    assert removed["status"] == "deleted" and str(removed["id"]) == str(one)
    assert c.delete("/api/settings/logs").json()["status"] == "cleared"


def test_provider_routes(seed_client):
    c = seed_client
    providers = c.get("/api/providers").json()
    has(providers, {"providers"}, "GET /api/providers")
    each(providers["providers"], PROVIDER, "GET /api/providers .providers")
    ids = [p["provider"] for p in providers["providers"]]
    assert {"krea", "higgsfield", "fal", "anthropic"} <= set(ids)
    has(c.get("/api/providers/fal").json(), PROVIDER, "GET /api/providers/{id}")
    assert c.get("/api/providers/nope").status_code == 404
    put = c.put("/api/providers/krea", json={"is_enabled": True})
    has(put.json(), PROVIDER, "PUT /api/providers/{id}")
    test = c.post("/api/providers/krea/test")
    assert test.status_code == 200, test.text
    has(test.json(), {"success", "message", "error"}, "POST /api/providers/{id}/test")
    discover = c.post("/api/providers/fal/discover")  # fal is pointed at a closed port
    assert discover.status_code == 503 and "fal.ai could not be reached" in discover.json()["detail"]
    has(c.delete("/api/providers/krea").json(), PROVIDER, "DELETE /api/providers/{id}")


def test_civitai_routes_without_civitai(seed_client):
    c = seed_client
    browse = c.get("/api/civitai/models")
    assert browse.status_code in (502, 503, 504), browse.text
    assert c.get("/api/civitai/downloads").json() == []
    assert c.get("/api/civitai/downloaded-versions").json() == []
    assert c.get("/api/civitai/downloads/nope").status_code == 404


def test_bulk_and_comfyui_routes(seed_client):
    c = seed_client
    body = {"prompts": ["a red barn", "a blue barn"], "model": "tiny-sd", "width": 128, "height": 128, "steps": 1}
    accepted = c.post("/api/bulk/jobs", json=body)
    assert accepted.status_code in (200, 201), accepted.text
    has(accepted.json(), JOB_ACCEPTED, "POST /api/bulk/jobs")
    batch_id = accepted.json()["job_id"]
    wait_job(c, batch_id, statuses=("completed",), path="/api/bulk/jobs")
    batch = c.get(f"/api/bulk/jobs/{batch_id}").json()
    has(batch, BULK_JOB, "GET /api/bulk/jobs/{id}")
    each(batch["items"], {"index", "prompt", "status", "image_url", "asset_id", "error", "seed"}, "bulk items")
    assert batch["completed"] == 2 and all(i["image_url"] for i in batch["items"])
    listed = c.get("/api/bulk/jobs").json()
    has(listed, {"jobs"}, "GET /api/bulk/jobs")
    each(listed["jobs"], BULK_JOB - {"items"}, "GET /api/bulk/jobs .jobs")
    assert c.delete(f"/api/bulk/jobs/{batch_id}").json() == {"status": "deleted", "job_id": batch_id}
    assert c.get("/api/bulk/jobs/nope").status_code == 404
    remote = c.post("/api/bulk/jobs", json={"prompts": ["x"], "fal_model": "fal-ai/flux/schnell"})
    assert remote.status_code < 500, remote.text  # the seed's body is understood (fal has no key here)
    variations = c.post("/api/bulk/variations", json={"base_prompt": "a barn", "count": 3, "claude_model": "c"})
    assert variations.status_code < 500 or "Anthropic" in variations.json()["detail"], variations.text
    status = c.get("/api/comfyui/status").json()
    has(status, COMFY_STATUS, "GET /api/comfyui/status")
    assert status["available"] is False and status["error"]
    workflow = {"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}}
    imported = c.post("/api/comfyui/workflows", json={"name": "seed wf", "workflow_json": workflow})
    assert imported.status_code in (200, 201), imported.text
    has(imported.json(), {"id", "name", "parameters", "message"}, "POST /api/comfyui/workflows")
    wf_id = imported.json()["id"]
    each(c.get("/api/comfyui/workflows").json(), {"id", "name", "parameter_count", "created_at"}, "GET workflows")
    has(c.get(f"/api/comfyui/workflows/{wf_id}").json(), {"id", "name", "workflow_json", "parameters"}, "GET wf")
    renamed = c.put(f"/api/comfyui/workflows/{wf_id}", json={"name": "renamed", "workflow_json": workflow})
    assert renamed.status_code == 200 and renamed.json()["name"] == "renamed"
    has(c.get("/api/comfyui/jobs").json(), {"jobs"}, "GET /api/comfyui/jobs")
    assert c.get("/api/comfyui/object-info").status_code == 503
    assert "message" in c.delete(f"/api/comfyui/workflows/{wf_id}").json()
