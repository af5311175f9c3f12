"""ComfyUI through the studio's API against a fake ComfyUI server: import, check, run, cancel, faults."""

from __future__ import annotations

import copy
import io
import json

import httpx
import pytest
from PIL import Image

from tests.comfyui.conftest import CHECKPOINT
from tests.kit.studio import free_port, wait_for
from tests.kit.studio import wait_job as kit_wait_job

FINISHED = ("completed", "failed", "cancelled")


def import_workflow(client, workflow: dict, name: str = "txt2img") -> dict:
    r = client.post("/api/comfyui/workflows", json={"name": name, "workflow_json": workflow})
    assert r.status_code == 201, r.text
    return r.json()


def small(api: dict, steps: int = 3) -> dict:
    g = copy.deepcopy(api)
    g["5"]["inputs"].update(width=64, height=64)
    g["3"]["inputs"]["steps"] = steps
    return g


def wait_job(client, job_id: str, statuses=FINISHED, timeout: float = 30) -> dict:
    return kit_wait_job(client, job_id, statuses, timeout, path="/api/comfyui/jobs")


def submit(client, workflow_id: str, parameters: dict | None = None, **extra) -> dict:
    r = client.post("/api/comfyui/jobs", json={"workflow_id": workflow_id, "parameters": parameters or {}, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_status_reports_version_devices_and_queue(studio, fake_comfy, studio_for):
    status = studio.get("/api/comfyui/status").json()
    assert status["reachable"] is True and status["version"] == "0.3.64"
    assert status["devices"][0]["type"] == "cuda" and status["queue_length"] == 0
    info = studio.get("/api/comfyui/object-info", params={"node_class": "KSampler"}).json()
    assert info["nodes"] == ["KSampler"] and info["total"] == 1 and "seed" in info["KSampler"]["input"]["required"]
    down = studio_for(f"http://127.0.0.1:{free_port()}").get("/api/comfyui/status").json()
    assert down["reachable"] is False and "unreachable" in down["error"]


def test_editor_import_converts_with_the_servers_catalogue_and_finds_parameters(studio, txt2img_editor, txt2img_api):
    saved = import_workflow(studio, txt2img_editor)
    assert saved["source_format"] == "editor" and saved["workflow_json"] == txt2img_api
    assert saved["editor_workflow"] == txt2img_editor and saved["problems"] == [] and saved["warnings"] == []
    params = {p["key"]: p for p in saved["parameters"]}
    assert params["7.text"]["role"] == "positive" and params["6.text"]["role"] == "negative"
    assert params["4.ckpt_name"]["constraints"]["choices"] == [CHECKPOINT]
    got = studio.get(f"/api/comfyui/workflows/{saved['id']}").json()
    assert [p["key"] for p in got["parameters"]] == [p["key"] for p in saved["parameters"]]
    listed = studio.get("/api/comfyui/workflows")
    assert listed.headers["x-total-count"] == "1" and [w["name"] for w in listed.json()] == ["txt2img"]


def test_job_reports_progress_and_previews_and_saves_an_asset_with_the_graph(studio, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.02
    saved = import_workflow(studio, small(txt2img_api, steps=4), name="fox")
    with studio.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        accepted = submit(studio, saved["id"], {"7.text": "a red fox in snow", "3.seed": 42})
        job_id = accepted["job_id"]
        assert accepted["status"] == "queued" and accepted["message"] == "queued"
        events = []
        while True:
            event = ws.receive_json()
            if event.get("job_id") == job_id:
                events.append(event)
                if event["type"] in ("job.completed", "job.failed"):
                    break
    assert events[-1]["type"] == "job.completed", events[-1]
    steps = [e for e in events if e["type"] == "job.progress" and e["total_steps"] == 4]
    assert [e["step"] for e in steps] == [1, 2, 3, 4]
    assert "KSampler (node 3): step" in steps[0]["message"]
    assert any(e["type"] == "job.progress" and "Running" in (e["message"] or "") for e in events)
    previews = [e for e in events if e["type"] == "job.preview"]
    assert previews and previews[0]["image"].startswith("data:image/jpeg;base64,")

    job = studio.get(f"/api/comfyui/jobs/{job_id}").json()
    assert job["prompt_id"] and job["workflow_id"] == saved["id"] and len(job["images"]) == 1
    assert job["parameters"]["7.text"] == "a red fox in snow"
    assert any(j["id"] == job_id for j in studio.get("/api/jobs").json()["items"])  # on the one queue
    asset = studio.get(f"/api/assets/{job['images'][0]['id']}").json()
    assert asset["prompt"] == "a red fox in snow" and asset["seed"] == 42 and asset["model"] == CHECKPOINT
    assert asset["params"]["graph"]["7"]["inputs"]["text"] == "a red fox in snow"
    assert asset["params"]["comfyui"]["values"] == {"7.text": "a red fox in snow", "3.seed": 42}
    png = studio.get(asset["url"]).content
    with Image.open(io.BytesIO(png)) as img:
        assert json.loads(img.text["prompt"])["3"]["inputs"]["seed"] == 42  # ComfyUI can open it again
        assert (img.width, img.height) == (64, 64)
    assert fake_comfy.submissions == 1
    assert studio.get("/api/comfyui/workflows").json()[0]["thumbnail_url"]


def test_png_from_comfyui_keeps_its_workflow_chunk_and_can_be_imported(studio, fake_comfy, txt2img_editor):
    saved = import_workflow(studio, txt2img_editor)
    job = wait_job(studio, submit(studio, saved["id"], {"5.width": 64, "5.height": 64, "3.steps": 1})["job_id"])
    png = studio.get(job["images"][0]["url"]).content
    with Image.open(io.BytesIO(png)) as img:
        assert json.loads(img.text["workflow"]) == txt2img_editor
    again = studio.post("/api/comfyui/workflows", files={"file": ("fox.png", png, "image/png")})
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["name"] == "fox" and body["source_format"] == "png" and body["editor_workflow"] == txt2img_editor
    assert body["workflow_json"]["5"]["inputs"]["width"] == 64


def test_batch_count_runs_with_consecutive_seeds(studio, txt2img_api):
    saved = import_workflow(studio, small(txt2img_api, steps=1))
    accepted = submit(studio, saved["id"], {"3.seed": 10}, batch_count=3)
    jobs = [wait_job(studio, j) for j in accepted["job_ids"]]
    assert [j["status"] for j in jobs] == ["completed"] * 3
    assert [j["parameters"]["3.seed"] for j in jobs] == [10, 11, 12]


def test_missing_nodes_and_models_are_reported_before_queueing(studio, fake_comfy, txt2img_api):
    graph = small(txt2img_api)
    graph["4"]["inputs"]["ckpt_name"] = "juggernaut_xl.safetensors"
    graph["10"] = {"class_type": "FaceDetailer", "inputs": {"image": ["8", 0]}}
    graph["11"] = {"class_type": "ReActorFaceSwap", "inputs": {"input_image": ["8", 0]}}
    saved = import_workflow(studio, graph)
    assert {p["type"] for p in saved["problems"]} == {"missing_node", "missing_model"}  # said at import already
    r = studio.post("/api/comfyui/jobs", json={"workflow_id": saved["id"], "parameters": {}})
    assert r.status_code == 422
    body = r.json()
    assert "missing custom nodes: FaceDetailer, ReActorFaceSwap" in body["detail"]
    assert "missing models: juggernaut_xl.safetensors" in body["detail"]
    assert {(e["type"], e["node_id"]) for e in body["errors"]} == {
        ("missing_node", "10"),
        ("missing_node", "11"),
        ("missing_model", "4"),
    }
    check = studio.post(f"/api/comfyui/workflows/{saved['id']}/check", json={"parameters": {}}).json()
    assert check["ok"] is False and len(check["problems"]) == 3
    # Installing the model on the server is noticed without a restart (the catalogue is read again).
    fake_comfy.add_model("checkpoints", "juggernaut_xl.safetensors")
    r = studio.post("/api/comfyui/jobs", json={"workflow_id": saved["id"], "parameters": {"4.ckpt_name": CHECKPOINT}})
    assert r.status_code == 422 and "juggernaut" not in r.json()["detail"]
    assert fake_comfy.submissions == 0


def test_bad_parameter_values_are_refused_naming_the_parameter(studio, fake_comfy, txt2img_api):
    saved = import_workflow(studio, small(txt2img_api))
    r = studio.post(
        "/api/comfyui/jobs",
        json={"workflow_id": saved["id"], "parameters": {"3.steps": "twenty", "3.cfg": 250, "3.sampler_name": "x"}},
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "'3.steps'" in detail and "'3.cfg'" in detail and "'3.sampler_name'" in detail
    assert r.json()["field"] == "parameters.3.steps"
    assert studio.post("/api/comfyui/jobs", json={"workflow_id": "nope"}).status_code == 404
    assert fake_comfy.submissions == 0


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"workflow_json": {"hello": "world"}}, "neither format"),
        ({"workflow_json": [1, 2]}, "not a workflow"),
        ({"workflow_json": "{not json"}, "not valid JSON"),
        ({"workflow_json": {"1": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}}}}, "node 9"),
        (
            {"workflow_json": {"1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
                               "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}}},
            "cycle",
        ),
    ],
)  # fmt: skip
def test_bad_workflows_are_refused_with_422_saying_why(studio, payload, words):
    r = studio.post("/api/comfyui/workflows", json={"name": "bad", **payload})
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


def test_a_file_in_neither_format_is_refused(studio):
    r = studio.post("/api/comfyui/workflows", files={"file": ("notes.txt", b"just some text", "text/plain")})
    assert r.status_code == 422 and "neither format" in r.json()["detail"]


def test_import_with_the_server_unreachable_works_for_api_format(studio_for, txt2img_api, txt2img_editor):
    client = studio_for(f"http://127.0.0.1:{free_port()}")
    saved = import_workflow(client, txt2img_api)
    assert saved["server_checked"] is False and "choices and the checks" in saved["warnings"][0]
    assert {p["key"] for p in saved["parameters"]} >= {"7.text", "6.text", "3.seed", "4.ckpt_name"}
    r = client.post("/api/comfyui/workflows", json={"name": "ui", "workflow_json": txt2img_editor})
    assert r.status_code == 503 and "API format" in r.json()["detail"]
    accepted = submit(client, saved["id"])
    assert "unreachable" in accepted["message"]
    job = wait_for(
        lambda: (
            (j := client.get(f"/api/comfyui/jobs/{accepted['job_id']}").json())["stage"] == "waiting_for_server" and j
        ),
        timeout=10,
    )
    assert "Waiting for the ComfyUI server" in job["message"]
    assert client.post(f"/api/jobs/{accepted['job_id']}/cancel").status_code == 200
    assert wait_job(client, accepted["job_id"])["status"] == "cancelled"


def test_the_preference_overrides_the_server_url(studio_for, fake_comfy):
    client = studio_for(f"http://127.0.0.1:{free_port()}")
    assert client.get("/api/comfyui/status").json()["reachable"] is False
    assert client.put("/api/settings", json={"comfyui_url": fake_comfy.url}).status_code == 200
    assert client.get("/api/comfyui/status").json()["reachable"] is True


def test_an_execution_error_fails_the_job_naming_the_node(studio, fake_comfy, txt2img_api):
    fake_comfy.fail_node_class = "VAEDecode"
    saved = import_workflow(studio, small(txt2img_api))
    job = wait_job(studio, submit(studio, saved["id"])["job_id"])
    assert job["status"] == "failed"
    assert "node 8 (VAEDecode)" in job["error"] and "Intentional sync execution error" in job["error"]


def test_cancel_interrupts_a_running_prompt_and_deletes_a_pending_one(studio, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.05
    saved = import_workflow(studio, small(txt2img_api, steps=200))
    running = submit(studio, saved["id"])["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{running}").json()["step"] >= 2, timeout=20, what="sampling")
    assert studio.post(f"/api/comfyui/jobs/{running}/cancel").status_code == 200
    assert wait_job(studio, running)["status"] == "cancelled"
    pid = studio.get(f"/api/comfyui/jobs/{running}").json()["prompt_id"]
    wait_for(lambda: pid in fake_comfy.history, timeout=10)
    assert fake_comfy.history[pid]["status"]["messages"][-1][0] == "execution_interrupted"

    # A prompt of someone else runs; ours waits in the server's queue and is deleted from it.
    fake_comfy.pause()
    other = httpx.post(f"{fake_comfy.url}/prompt", json={"prompt": small(txt2img_api, steps=5)}).json()["prompt_id"]
    queued = submit(studio, saved["id"], {"3.seed": 99})["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{queued}").json()["stage"] == "queued_on_server", timeout=10)
    pid = studio.get(f"/api/comfyui/jobs/{queued}").json()["prompt_id"]
    assert pid in [item.prompt_id for item in fake_comfy.pending]
    assert studio.post(f"/api/jobs/{queued}/cancel").status_code == 200
    assert wait_job(studio, queued)["status"] == "cancelled"
    assert pid not in [item.prompt_id for item in fake_comfy.pending]
    fake_comfy.resume()
    wait_for(lambda: other in fake_comfy.history, timeout=10)
    assert pid not in fake_comfy.executed_prompts


def test_a_queued_job_waits_for_the_server_and_runs_when_it_is_back(studio, fake_comfy, txt2img_api):
    saved = import_workflow(studio, small(txt2img_api, steps=2))
    fake_comfy.go_down()
    job_id = submit(studio, saved["id"])["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{job_id}").json()["stage"] == "waiting_for_server", timeout=10)
    fake_comfy.come_back()
    assert wait_job(studio, job_id)["status"] == "completed"
    assert fake_comfy.submissions == 1


def test_a_running_job_resumes_when_the_server_comes_back(studio, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.05
    saved = import_workflow(studio, small(txt2img_api, steps=30))
    job_id = submit(studio, saved["id"])["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{job_id}").json()["step"] >= 2, timeout=20, what="sampling")
    fake_comfy.go_down()  # the running prompt goes back to the server's queue
    job = wait_for(lambda: (j := studio.get(f"/api/jobs/{job_id}").json())["stage"] == "waiting_for_server" and j)
    assert "went away" in job["message"]
    fake_comfy.step_delay = 0.005
    fake_comfy.come_back()
    job = wait_job(studio, job_id)
    assert job["status"] == "completed" and len(job["images"]) == 1
    assert fake_comfy.submissions == 1  # followed again, never submitted twice


def test_a_running_job_fails_clearly_when_the_server_stays_away(monkeypatch, studio_for, fake_comfy, txt2img_api):
    monkeypatch.setenv("HOLLYWOOL_COMFYUI_LOST_TIMEOUT", "1")
    studio = studio_for(fake_comfy.url)
    fake_comfy.step_delay = 0.05
    saved = import_workflow(studio, small(txt2img_api, steps=100))
    job_id = submit(studio, saved["id"])["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{job_id}").json()["step"] >= 2, timeout=20, what="sampling")
    fake_comfy.go_down()
    job = wait_job(studio, job_id)
    assert job["status"] == "failed" and "went away" in job["error"] and "did not come back within 1 s" in job["error"]


def test_workflows_can_be_renamed_pinned_exported_and_deleted(studio, txt2img_editor, txt2img_api):
    saved = import_workflow(studio, txt2img_editor)
    wid = saved["id"]
    r = studio.put(f"/api/comfyui/workflows/{wid}", json={"name": "Lighthouse", "description": "dusk"})
    assert r.json()["name"] == "Lighthouse" and r.json()["description"] == "dusk"
    pinned = studio.post(
        f"/api/comfyui/workflows/{wid}/pins", json={"node_id": "9", "input_name": "filename_prefix", "label": "Name"}
    ).json()
    prefix = next(p for p in pinned["parameters"] if p["key"] == "9.filename_prefix")
    assert prefix["pinned"] and prefix["display_name"] == "Name" and prefix["category"] == "pinned"
    bad = studio.post(f"/api/comfyui/workflows/{wid}/pins", json={"node_id": "3", "input_name": "model"})
    assert bad.status_code == 422 and "no editable input 'model'" in bad.json()["detail"]
    unpinned = studio.delete(f"/api/comfyui/workflows/{wid}/pins/9/filename_prefix").json()
    assert all(p["key"] != "9.filename_prefix" for p in unpinned["parameters"])
    exported = studio.get(f"/api/comfyui/workflows/{wid}/export", params={"format": "api"})
    assert exported.json() == txt2img_api and "Lighthouse_api.json" in exported.headers["content-disposition"]
    assert studio.get(f"/api/comfyui/workflows/{wid}/export", params={"format": "editor"}).json() == txt2img_editor
    deleted = {"deleted": True, "id": wid, "message": "Workflow deleted"}
    assert studio.delete(f"/api/comfyui/workflows/{wid}").json() == deleted
    assert studio.get(f"/api/comfyui/workflows/{wid}").status_code == 404


def test_image_inputs_are_uploaded_to_the_server(studio, fake_comfy):
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inv"}},
    }
    fake_comfy.add_input_file("placeholder.png")
    saved = import_workflow(studio, graph)
    assert next(p for p in saved["parameters"] if p["key"] == "1.image")["input_type"] == "IMAGE"
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), (10, 200, 30)).save(buf, format="PNG")
    up = studio.post("/api/comfyui/upload", files={"image": ("mine.png", buf.getvalue(), "image/png")}).json()
    assert up["name"] == "mine.png"
    job = wait_job(studio, submit(studio, saved["id"], {"1.image": up["name"]})["job_id"])
    assert job["status"] == "completed", job
    assert (job["images"][0]["width"], job["images"][0]["height"]) == (16, 8)


def test_interrupt_and_clear_queue(studio, fake_comfy, txt2img_api):
    fake_comfy.step_delay = 0.05
    saved = import_workflow(studio, small(txt2img_api, steps=200))
    first = submit(studio, saved["id"])["job_id"]
    second = submit(studio, saved["id"], {"3.seed": 1})["job_id"]
    wait_for(lambda: studio.get(f"/api/jobs/{first}").json()["step"] >= 1, timeout=20)
    cleared = studio.post("/api/comfyui/clear-queue").json()
    assert cleared["cancelled_jobs"] == [second] and cleared["server_cleared"] is True
    assert studio.post("/api/comfyui/interrupt").json()["cancelled_jobs"] == [first]
    assert wait_job(studio, first)["status"] == "cancelled"
