"""A preprocessor model's first preview through a (fake) Hugging Face hub: the preview does not download inside the
request but answers 409 naming a `control.download` job on the queue; the job fetches the model (and a pose
model's person detector) with byte progress; the preview then works. Offline, the job fails saying so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.image.conftest import built_once, png_base64, wait_job

DEPTH_REPO = "depth-anything/Depth-Anything-V2-Small-hf"  # the catalogue's repos, served by the fake hub
POSE_REPO = "usyd-community/vitpose-base-simple"
DETECTOR_REPO = "PekingU/rtdetr_r50vd_coco_o365"


@pytest.fixture(scope="session")
def preprocessor_folders(models_root) -> dict[str, Path]:
    from hollywool.testkit import tiny_controlnets as kit

    root = Path(models_root) / "control"
    builds = {
        "depth": kit.build_depth_anything,
        "pose": kit.build_vitpose,
        "person-detector": kit.build_person_detector,
    }
    return built_once(root, builds)


@pytest.fixture
def served(hub, preprocessor_folders):
    hub.add_repo(DEPTH_REPO, preprocessor_folders["depth"])
    hub.add_repo(POSE_REPO, preprocessor_folders["pose"])
    hub.add_repo(DETECTOR_REPO, preprocessor_folders["person-detector"])
    return hub


@pytest.fixture
def studio(register_models, make_client):
    register_models({"tiny-sd": "sd15"})
    return make_client()


def _preview(client, preprocessor: str):
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8))
    return client.post(
        "/api/control/preprocess", json={"image": {"image_base64": png_base64(image)}, "preprocessor": preprocessor}
    )


def _downloaded(client) -> dict[str, bool]:
    return {p["id"]: p["downloaded"] for p in client.get("/api/control/models").json()["preprocessors"]}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def test_first_depth_preview_queues_a_download_job_then_the_preview_works(served, online, studio, preprocessor_folders):
    client = studio
    assert _downloaded(client)["depth-anything-v2-small"] is False
    served.chunk_delay = 0.05  # slow enough that the second preview finds the job still under way
    first = _preview(client, "depth-anything-v2-small")
    assert first.status_code == 409, first.text
    body = first.json()
    assert body["field"] == "preprocessor"
    assert body["detail"].startswith("Depth Anything V2 Small is not downloaded yet; downloading it now")
    assert body["detail"].endswith("try the preview again when the download finishes")
    job_id = body["errors"]["download_job_id"]
    again = _preview(client, "depth-anything-v2-small")
    assert again.status_code == 409 and again.json()["errors"]["download_job_id"] == job_id, "a second download"

    job = wait_job(client, job_id)
    assert job["status"] == "completed", job["error"]
    assert (job["kind"], job["lane"], job["title"]) == (
        "control.download", "net:downloads", "Download Depth Anything V2 Small",
    )  # fmt: skip
    assert job["progress"] == 100
    source = _files(preprocessor_folders["depth"])
    assert _files(Path(job["result"]["paths"][0])) == source, "the snapshot holds the repo's files"
    assert served.bytes_served["model.safetensors"] == len(source["model.safetensors"]), "fetched once"
    assert _downloaded(client)["depth-anything-v2-small"] is True

    ready = _preview(client, "depth-anything-v2-small")
    assert ready.status_code == 200, ready.text
    assert Image.open(io.BytesIO(ready.content)).size == (64, 48)


def test_a_pose_preview_downloads_the_pose_model_and_its_detector_in_one_job(served, online, studio):
    client = studio
    first = _preview(client, "vitpose-base-simple")
    assert first.status_code == 409, first.text
    assert "(0.51 GB)" in first.json()["detail"]  # ViTPose and RT-DETR, as the catalogue sizes them
    job = wait_job(client, first.json()["errors"]["download_job_id"])
    assert job["status"] == "completed", job["error"]
    assert [Path(p).parts[-3] for p in job["result"]["paths"]] == [
        "models--usyd-community--vitpose-base-simple", "models--PekingU--rtdetr_r50vd_coco_o365",
    ]  # fmt: skip
    assert _downloaded(client)["vitpose-base-simple"] is True
    pose = _preview(client, "vitpose-base-simple")  # the tiny detector finds people everywhere
    assert pose.status_code == 200, pose.text
    assert Image.open(io.BytesIO(pose.content)).size == (64, 48)


def test_offline_the_download_job_fails_saying_why(studio, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))  # nothing cached, whatever this machine has
    client = studio  # the test suite runs with HF_HUB_OFFLINE=1
    first = _preview(client, "depth-anything-v2-small")
    assert first.status_code == 409, first.text
    job = wait_job(client, first.json()["errors"]["download_job_id"])
    assert job["status"] == "failed"
    assert "offline mode is on (HF_HUB_OFFLINE=1)" in job["error"] and "Depth Anything V2 Small" in job["error"]


def test_a_model_partly_in_the_cache_fetches_only_what_is_missing(served, online, studio, preprocessor_folders):
    from huggingface_hub import constants, hf_hub_download

    constants.HF_HUB_OFFLINE = False  # read at import; `online` puts it back after the test
    hf_hub_download(DEPTH_REPO, "config.json", cache_dir=online, endpoint=served.url)  # an earlier, cut-short fetch
    client = studio
    first = _preview(client, "depth-anything-v2-small")
    assert first.status_code == 409, first.text
    job = wait_job(client, first.json()["errors"]["download_job_id"])
    assert job["status"] == "completed", job["error"]
    source = _files(preprocessor_folders["depth"])
    assert _files(Path(job["result"]["paths"][0])) == source, "one snapshot holds every file"
    assert served.bytes_served["config.json"] == len(source["config.json"]), "the cached file was fetched again"
    assert served.bytes_served["model.safetensors"] == len(source["model.safetensors"])
    assert _preview(client, "depth-anything-v2-small").status_code == 200
