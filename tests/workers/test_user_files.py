"""What the user added by path (a LoRA in a models folder, a ControlNet under `control_models:`, an upscaler file in
the studio's upscalers folder) runs on a GPU worker whose data folder is not the studio's (the fixture): the job
carries the studio's entries, and a path the worker's machine lacks fails naming the machine and the path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw

from hollywool.models.loras import LoraInfo
from tests.image.conftest import image_of, png_base64
from tests.workers.conftest import studio_of, wait_done, workers

SMALL = {"prompt": "a red fox", "seed": 5, "steps": 2, "width": 64, "height": 64}


def _run(client, **body) -> dict:
    resp = client.post("/api/jobs", json={**SMALL, **body})
    assert resp.status_code == 201, resp.text
    job = wait_done(client, resp.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    return job


def _pixels(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_a_lora_in_a_models_folder_gives_the_in_process_picture(
    two_workers, tiny_model, tmp_path, register_models, make_client
):
    from hollywool.testkit.loras import write_kohya_lora

    folder = tmp_path / "comfy-models"  # outside both data folders; named in the settings
    write_kohya_lora(tiny_model("sd15"), folder / "loras" / "ink.safetensors", seed=4, text_encoder=True)
    assert two_workers.put("/api/settings", json={"model_folders": [str(folder)]}).status_code == 200
    try:
        with_lora = _run(two_workers, model="tiny-a", loras=[{"lora_id": "ink", "weight": 1.0}])
        plain = _run(two_workers, model="tiny-a")
    finally:
        two_workers.put("/api/settings", json={"model_folders": []})
    assert with_lora["ran_on"]["worker_id"] in workers(two_workers)
    register_models({"tiny-a": "sd15"})
    in_process = make_client(lora_dirs=(folder / "loras",))
    studio_made = _run(in_process, model="tiny-a", loras=[{"lora_id": "ink", "weight": 1.0}])
    worker_made = _pixels(two_workers, with_lora)
    assert np.abs(worker_made - _pixels(in_process, studio_made)).max() <= 2
    assert np.abs(worker_made - _pixels(two_workers, plain)).mean() > 1, "the LoRA changed nothing"


def test_an_upscaler_file_in_the_studios_folder_upscales_on_a_worker(two_workers):
    from hollywool.testkit.upscalers import write_realesrgan

    write_realesrgan(studio_of(two_workers).settings.data_dir / "upscalers" / "tiny-x2.pth", scale=2)
    source = _run(two_workers, model="tiny-a")
    body = {"asset_id": source["images"][0]["id"], "model": "tiny-x2", "scale": 2, "tile": 32}
    resp = two_workers.post("/api/upscale/jobs", json=body)
    assert resp.status_code == 201, resp.text
    job = wait_done(two_workers, resp.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    assert job["ran_on"]["worker_id"] in workers(two_workers)
    assert image_of(two_workers, job["images"][0]).size == (128, 128)


def test_a_user_controlnet_steers_a_job_on_a_worker(two_workers, tiny_model, models_root):
    from hollywool.testkit.tiny_controlnets import build_sdxl_union

    folder = Path(models_root) / "control" / "union-sdxl"
    if not (folder / "config.json").is_file():
        build_sdxl_union(tiny_model("sdxl"), folder)
    config = studio_of(two_workers).settings.data_dir / "config.yaml"
    data = yaml.safe_load(config.read_text())
    data["control_models"] = {
        "tiny-union": {
            "name": "Tiny SDXL Union",
            "kind": "controlnet",
            "base": "sdxl",
            "path": str(folder),
            "model_class": "ControlNetUnionModel",
            "modes": {"canny": 3},
        }
    }
    config.write_text(yaml.safe_dump(data))

    def controlled(box: tuple[int, int, int, int]) -> dict:
        image = Image.new("RGB", (64, 64), "black")
        ImageDraw.Draw(image).rectangle(box, fill="white")
        control = {"image": {"image_base64": png_base64(image)}, "type": "canny", "preprocessor": "canny"}
        return _run(two_workers, model="tiny-b", control=[control])

    first, other = controlled((10, 10, 40, 50)), controlled((30, 5, 60, 30))
    assert first["params"]["control"][0]["model"] == "tiny-union"
    assert first["ran_on"]["worker_id"] in workers(two_workers)
    assert np.abs(_pixels(two_workers, first) - _pixels(two_workers, other)).mean() > 1, "the map changed nothing"


def test_a_lora_missing_on_the_workers_machine_fails_naming_the_machine_and_the_path(two_workers, tmp_path):
    missing = tmp_path / "only-on-the-studio.safetensors"
    studio_of(two_workers).models.loras.register(
        LoraInfo("elsewhere", "elsewhere", str(missing), "sd1", "kohya", 1, "loras", ["sd"], [])
    )
    resp = two_workers.post("/api/jobs", json={**SMALL, "model": "tiny-a", "loras": [{"lora_id": "elsewhere"}]})
    assert resp.status_code == 201, resp.text
    job = wait_done(two_workers, resp.json()["job_id"])
    assert job["status"] == "failed", job
    assert str(missing) in job["error"] and f"not on {job['ran_on']['host']}" in job["error"], job["error"]
    assert "LoRA elsewhere" in job["error"]
