"""What the studio keeps of a ComfyUI run's outputs: images and videos only, their content checked."""

from __future__ import annotations

from tests.comfyui.test_jobs import import_workflow, small, submit, wait_job


def test_outputs_that_are_not_media_are_skipped_with_a_note(studio, fake_comfy, txt2img_api, studio_dirs):
    fake_comfy.extra_output_files = {
        "page.html": b"<script>fetch('/api/settings')</script>",
        "notes.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        "disguised.png": b"<html><script>alert(1)</script></html>",
        "clip.mp4": b"<html>not a video</html>",
    }
    saved = import_workflow(studio, small(txt2img_api, steps=1))
    job = wait_job(studio, submit(studio, saved["id"])["job_id"])
    assert job["status"] == "completed", job
    assert len(job["images"]) == 1 and not job["videos"]  # the real image only
    skipped = {s["filename"]: s["reason"] for s in job["result"]["skipped_outputs"]}
    assert set(skipped) == {"page.html", "notes.svg", "disguised.png", "clip.mp4"}
    assert "not an image or a video" in skipped["page.html"] and "content is not a png" in skipped["disguised.png"]
    assert "page.html" in job["result"]["note"]
    written = [p for p in studio_dirs["outputs_dir"].rglob("*") if p.is_file()]
    assert written and all(p.suffix in (".png", ".jpg", ".webp") for p in written), written
    assets = studio.get("/api/assets").json()["items"]
    assert [a["mime"] for a in assets] == ["image/png"]
