"""A failed job says what happened and what to do; the raw error stays in its detail (never on its face)."""

from __future__ import annotations

import io
import socket

import httpx
import pytest
import torch
from huggingface_hub.errors import LocalEntryNotFoundError
from PIL import Image
from pydantic import BaseModel

from hollywool.jobs.failures import OUT_OF_MEMORY, UNKNOWN, explain
from hollywool.jobs.kinds import JobKind
from tests.kit.studio import wait_for


def _raised(fn) -> BaseException:  # noqa: ANN001
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("expected an exception")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_service_names_settings():
    port = _closed_port()
    failure = explain(_raised(lambda: httpx.get(f"http://127.0.0.1:{port}/prompt", timeout=5)))
    assert failure.message.startswith("A service this job needs could not be reached")
    assert "Settings" in failure.message and "ConnectError" not in failure.message
    assert failure.detail and failure.detail.startswith("ConnectError:")


def test_an_unreadable_image():
    failure = explain(_raised(lambda: Image.open(io.BytesIO(b"not an image at all"))))
    assert failure.message.startswith("The image could not be read")
    assert "UnidentifiedImageError" in (failure.detail or "")


def test_out_of_memory_and_an_offline_hub_seen_through_a_wrapper():
    assert explain(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")).message == OUT_OF_MEMORY

    def load() -> None:  # diffusers wraps the hub's error in an OSError
        try:
            raise LocalEntryNotFoundError("Cannot find the requested files in the disk cache")
        except LocalEntryNotFoundError as exc:
            raise OSError("Error no file named model_index.json found") from exc

    failure = explain(_raised(load))
    assert "the Hugging Face hub cannot be reached" in failure.message and "Add a model" in failure.message
    assert "LocalEntryNotFoundError" in (failure.detail or "")


def test_weights_of_another_architecture():
    exc = ValueError("Cannot load because conv_in.weight expected shape (320, 4, 3, 3) ... set low_cpu_mem_usage=False")
    assert explain(exc).message.startswith("The model's weights do not match its architecture")


def test_an_unknown_error_is_a_sentence_without_its_class_name():
    failure = explain(KeyError("latents"))
    assert failure.message == UNKNOWN
    assert failure.detail == "KeyError: 'latents'"


class _Boom(BaseModel):
    kind: str = "runtime"


@pytest.mark.parametrize(
    "raise_it, expected",
    [
        (lambda: (_ for _ in ()).throw(RuntimeError("mat1 and mat2 shapes cannot be multiplied")), UNKNOWN),
        (lambda: Image.open(io.BytesIO(b"GIF89a broken")), "The image could not be read"),
    ],
)
def test_a_failed_job_shows_the_sentence_and_keeps_the_raw_text(make_client, raise_it, expected):
    client = make_client()
    studio = client.app.state.studio

    def run(_ctx, _params):  # noqa: ANN001, ANN202
        raise_it()

    studio.kinds.register(JobKind("test.boom", _Boom, run))
    job = studio.jobs.submit("test.boom", {})
    done = wait_for(lambda: (j := client.get(f"/api/jobs/{job.id}").json())["status"] == "failed" and j)
    assert done["error"].startswith(expected)
    assert "Error" not in done["error"].split(".")[0]  # no class name in the sentence
    assert done["error_detail"] and (
        "RuntimeError" in done["error_detail"] or "UnidentifiedImageError" in done["error_detail"]
    )
    # A retry clears both.
    retried = client.post(f"/api/jobs/{job.id}/retry").json()
    assert retried["error"] is None and retried["error_detail"] is None


def test_a_model_with_a_missing_weights_file_fails_with_a_sentence(studio_dirs, tiny_model, make_client, tmp_path):
    import shutil

    from tests.kit.studio import tiny_entry, wait_job, write_user_config

    broken = tmp_path / "broken-sd"
    shutil.copytree(tiny_model("sd15"), broken)
    for weights in (broken / "unet").glob("diffusion_pytorch_model*"):
        weights.unlink()
    write_user_config(studio_dirs["data_dir"], {"broken-sd": tiny_entry(broken, "sd")})
    client = make_client()
    body = {"prompt": "a lighthouse", "model": "broken-sd", "width": 64, "height": 64, "steps": 1}
    job = wait_job(client, client.post("/api/jobs", json=body).json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("Some of the model's weight files are missing"), job
    assert "diffusion_pytorch_model" in job["error_detail"]
