"""Reuse is exact: "use these settings" restores every field into the current session, and a PNG dropped
anywhere on the Image page restores what its metadata maps to (issue 15, points 2, 3 and 8)."""

from __future__ import annotations

import base64
import io
import re
import time

import httpx
import pytest
from PIL import Image, PngImagePlugin
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

# The fields a job's params must keep from one run to its reuse.
REUSED = (
    "prompt",
    "negative_prompt",
    "model",
    "width",
    "height",
    "steps",
    "guidance_scale",
    "seed",
    "scheduler",
    "strength",
    "reference_images",
    "loras",
)


def _api(studio, method: str, path: str, **kw):
    r = httpx.request(method, f"{studio.url}{path}", timeout=30, **kw)
    r.raise_for_status()
    return r.json()


def _wait_done(studio, job_id: str) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = _api(studio, "GET", f"/api/jobs/{job_id}")
        if job["status"] not in ("queued", "running"):
            assert job["status"] == "completed", job
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not finish")


def _asset_of(studio, job_id: str) -> str:
    return _api(studio, "GET", "/api/assets", params={"job_id": job_id})["items"][0]["id"]


def _session_jobs(studio, session_id: str) -> list[dict]:
    return _api(studio, "GET", "/api/jobs", params={"session_id": session_id, "limit": 50})["items"]


def _new_job(studio, session_id: str, known: set[str]) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fresh = [j for j in _session_jobs(studio, session_id) if j["id"] not in known]
        if fresh:
            return _wait_done(studio, fresh[0]["id"])
        time.sleep(0.2)
    raise TimeoutError("no new job in the session")


def _a1111_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters",
        "a misty harbour at dawn, e2e drop\nNegative prompt: lowres\n"
        "Steps: 17, Sampler: Euler a, CFG scale: 6.5, Seed: 4242, Size: 128x128, Model: juggernautXL_v9, Clip skip: 2",
    )
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "navy").save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _drop_file(page, target: str, name: str, mime: str, data: bytes) -> None:
    """Drop a file the way a file manager does: a drop event whose DataTransfer holds it."""
    dt = page.evaluate_handle(
        """([name, mime, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            return dt;
        }""",
        [name, mime, base64.b64encode(data).decode()],
    )
    page.locator(target).first.dispatch_event("dragover", {"dataTransfer": dt})
    page.locator(target).first.dispatch_event("drop", {"dataTransfer": dt})


def test_use_these_settings_is_exact_and_a_dropped_png_fills_the_form(page, studio):
    page.set_viewport_size({"width": 1920, "height": 1080})
    session = _api(studio, "POST", "/api/sessions", json={"name": "Reuse e2e"})
    sid = session["id"]
    # The reference: an image in the same session.
    body = {"prompt": "a stone bridge", "model": "tiny-sd", "width": 128, "height": 128, "steps": 2, "session_id": sid}
    source = _api(studio, "POST", "/api/jobs", json=body)
    _wait_done(studio, source["job_id"])
    source_asset = _asset_of(studio, source["job_id"])
    loras = _api(studio, "GET", "/api/loras")["loras"]
    schedulers = [s["name"] for s in _api(studio, "GET", "/api/models/schedulers") if "sd" in s["model_types"]]
    scheduler = "euler_a" if "euler_a" in schedulers else schedulers[-1]

    page.goto(f"{studio.url}/?session={sid}")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    # "Use as reference" from the asset page keeps the session.
    page.goto(f"{studio.url}/assets/{source_asset}")
    page.get_by_role("button", name="Use as reference").click()
    expect(page).to_have_url(re.compile(rf"/\?session={sid}$"))

    page.get_by_test_id("model-select").select_option("tiny-sd")
    page.get_by_test_id("prompt").fill("a stone bridge in autumn, reuse e2e")
    page.get_by_test_id("negative-prompt").fill("blurry")
    page.get_by_role("radio", name="Aspect 1:1").click()
    page.get_by_test_id("width").fill("128")
    page.get_by_test_id("height").fill("128")
    page.get_by_test_id("steps").fill("3")
    page.get_by_test_id("guidance").fill("4.5")
    page.get_by_test_id("scheduler-select").select_option(scheduler)
    page.get_by_role("radio", name="fixed").check()
    page.get_by_test_id("seed").fill("24680")
    thumb = page.get_by_role("slider", name="Reference strength")
    thumb.focus()
    for _ in range(7):  # 0.75 -> 0.40 in steps of 0.05
        thumb.press("ArrowLeft")
    expect(thumb).to_have_attribute("aria-valuenow", "0.4")
    known = {j["id"] for j in _session_jobs(studio, sid)}
    page.get_by_test_id("generate").click()
    first = _new_job(studio, sid, known)
    p1 = first["params"]
    assert p1["reference_images"][0]["image_asset_id"] == source_asset
    assert (p1["strength"], p1["seed"], p1["scheduler"], first["session_id"]) == (0.4, 24680, scheduler, sid)

    # Change everything, so that what comes back is the asset's, not the form's own state.
    page.get_by_test_id("prompt").fill("something else")
    page.get_by_test_id("negative-prompt").fill("")
    page.get_by_role("radio", name="Aspect 16:9").click()
    page.get_by_test_id("steps").fill("9")
    page.get_by_test_id("guidance").fill("7")
    page.get_by_test_id("scheduler-select").select_option("")
    page.get_by_role("radio", name="random").check()
    page.get_by_role("button", name="Remove reference image").click()
    expect(page.get_by_test_id("reference-thumb")).to_have_count(0)

    # Open the new asset and reuse it: every field comes back, in the same session.
    page.goto(f"{studio.url}/assets/{_asset_of(studio, first['id'])}")
    page.get_by_test_id("use-settings").click()
    expect(page).to_have_url(re.compile(rf"/\?session={sid}$"))
    expect(page.get_by_test_id("prompt")).to_have_value("a stone bridge in autumn, reuse e2e")
    expect(page.get_by_test_id("negative-prompt")).to_have_value("blurry")
    expect(page.get_by_test_id("model-select")).to_have_value("tiny-sd")
    expect(page.get_by_test_id("width")).to_have_value("128")
    expect(page.get_by_test_id("height")).to_have_value("128")
    expect(page.get_by_test_id("steps")).to_have_value("3")
    expect(page.get_by_role("radio", name="Aspect 1:1")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("guidance")).to_have_value("4.5")
    expect(page.get_by_test_id("scheduler-select")).to_have_value(scheduler)
    expect(page.get_by_role("radio", name="fixed")).to_be_checked()
    expect(page.get_by_test_id("seed")).to_have_value("24680")
    expect(page.get_by_test_id("extras")).to_have_attribute("open", "")
    ref = page.get_by_test_id("reference-thumb")
    expect(ref).to_have_count(1)
    expect(ref).to_have_attribute("src", re.compile(source_asset))
    expect(page.get_by_role("slider", name="Reference strength")).to_have_attribute("aria-valuenow", "0.4")
    expect(page.get_by_test_id("extras-in-use")).to_contain_text("1 reference")
    if loras:  # the e2e studio has no LoRA files: this part is only checked where one exists
        pytest.fail("the e2e studio has a LoRA now: extend this test to pick it and assert its weight")
    # No duplicate session: one session of that name, the one in the URL.
    names = [s["name"] for s in _api(studio, "GET", "/api/sessions")["sessions"]]
    assert names.count("Reuse e2e") == 1
    sidebar = page.get_by_test_id("session-item")
    expect(sidebar).to_have_count(len(names))
    shot(page, "reuse-restored-1920")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "reuse-restored-390")
    page.set_viewport_size({"width": 1920, "height": 1080})

    # Generate again: the same parameters; the restored seed was for that job only.
    known = {j["id"] for j in _session_jobs(studio, sid)}
    page.get_by_test_id("generate").click()
    second = _new_job(studio, sid, known)
    assert {k: second["params"].get(k) for k in REUSED} == {k: p1.get(k) for k in REUSED}
    assert second["session_id"] == sid
    expect(page.get_by_role("radio", name="random")).to_be_checked()
    assert len(_api(studio, "GET", "/api/sessions")["sessions"]) == len(names)

    # A non-image file dropped on the page: said at once, and the studio stays open.
    _drop_file(page, "main", "notes.txt", "text/plain", b"hello")
    expect(page.get_by_test_id("metadata-note")).to_contain_text("notes.txt is not an image")
    assert page.url.startswith(studio.url)
    page.get_by_test_id("metadata-note").get_by_role("button", name="Dismiss").click()
    expect(page.get_by_test_id("metadata-note")).to_have_count(0)

    # An A1111 PNG dropped on the results side (not the reference zone): its settings fill the form.
    _drop_file(page, "[data-testid=result-stage], main", "harbour.png", "image/png", _a1111_png())
    note = page.get_by_test_id("metadata-note")
    expect(note).to_contain_text("Restored from harbour.png (A1111/Forge)")
    expect(page.get_by_test_id("prompt")).to_have_value("a misty harbour at dawn, e2e drop")
    expect(page.get_by_test_id("negative-prompt")).to_have_value("lowres")
    expect(page.get_by_test_id("steps")).to_have_value("17")
    expect(page.get_by_test_id("guidance")).to_have_value("6.5")
    expect(page.get_by_test_id("seed")).to_have_value("4242")
    expect(page.get_by_test_id("scheduler-select")).to_have_value("euler_a" if "euler_a" in schedulers else "")
    unmapped = page.get_by_test_id("metadata-unmapped")
    expect(unmapped).to_contain_text('model "juggernautXL_v9": not in this studio')
    expect(unmapped).to_contain_text("Clip skip: 2")
    assert page.url.startswith(studio.url)
    shot(page, "reuse-dropped-png-1920")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "reuse-dropped-png-390")

    # "Generate with this model" (the model's page) changes the model only: the prompts stay.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{studio.url}/models/tiny-sd")
    page.get_by_role("link", name="Generate with this model").click()
    expect(page).to_have_url(re.compile(rf"/\?session={sid}$"))
    expect(page.get_by_test_id("model-select")).to_have_value("tiny-sd")
    expect(page.get_by_test_id("prompt")).to_have_value("a misty harbour at dawn, e2e drop")
    expect(page.get_by_test_id("negative-prompt")).to_have_value("lowres")
