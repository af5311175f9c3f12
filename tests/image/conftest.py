"""Fixtures for the image engine: tiny models of every image family, LoRA files, helpers."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import yaml
from PIL import Image

from tests.fakes.hf_hub import FakeHub
from tests.kit.studio import FINISHED, wait_for, wait_job  # noqa: F401 - re-exported to the image tests

IMAGE_FAMILIES = {"tiny-sd": "sd15", "tiny-sdxl": "sdxl", "tiny-sd3": "sd3", "tiny-flux": "flux"}


def submit(client, **overrides) -> str:
    body = {"prompt": "a red fox in snow", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2, **overrides}
    resp = client.post("/api/jobs", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["job_id"]


def run(client, **overrides) -> dict:
    job = wait_job(client, submit(client, **overrides))
    assert job["status"] == "completed", job["error"]
    return job


def image_of(client, image: dict) -> Image.Image:
    resp = client.get(image["url"])
    assert resp.status_code == 200
    img = Image.open(io.BytesIO(resp.content))
    img.load()
    return img


def pixels(client, job: dict, index: int = 0) -> bytes:
    return image_of(client, job["images"][index]).convert("RGB").tobytes()


def mean_abs_diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def png_base64(image: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode()


def built_once(root: Path, builds: dict) -> dict[str, Path]:
    """Each kit model built in `root/<name>` unless a session before built it (its config.json is there)."""
    out = {}
    for name, build in builds.items():
        folder = root / name
        if not (folder / "config.json").is_file():
            build(folder)
        out[name] = folder
    return out


def add_user_models(config: Path, entries: dict[str, dict]) -> None:
    data = yaml.safe_load(config.read_text())
    data["models"].update(entries)
    config.write_text(yaml.safe_dump(data))


@pytest.fixture(scope="session")
def lora_dir(tmp_path_factory, tiny_model) -> Path:
    """A LoRA folder as a user has it: diffusers-format folders and kohya single files."""
    from hollywool.testkit.loras import write_diffusers_lora, write_kohya_lora

    root = tmp_path_factory.mktemp("loras")
    write_diffusers_lora(tiny_model("sd15"), root / "detail-sd15", seed=1)
    write_kohya_lora(tiny_model("sd15"), root / "kohya-sd15.safetensors", seed=2, text_encoder=True)
    write_diffusers_lora(tiny_model("sdxl"), root / "style-sdxl", seed=3)
    (root / "notes.safetensors").write_bytes(b"not a safetensors file")
    return root


@pytest.fixture
def image_client(register_models, make_client, lora_dir, tmp_path):
    """A studio with the four tiny image families and the LoRA folder."""
    register_models(IMAGE_FAMILIES)
    return make_client(lora_dirs=(lora_dir,), civitai_dir=tmp_path / "civitai")


# -- a fake Hugging Face hub -----------------------------------------------------------------
UNET = "unet/diffusion_pytorch_model.safetensors"


def hub_entry(repo: str, **extra) -> dict:
    return {
        "name": f"Hub {repo}",
        "path": repo,
        "type": "sd",
        "default_steps": 2,
        "default_guidance": 5.0,
        "category": "fast",
        "size_gb": 0.01,
        "memory_gb": 0.1,
        **extra,
    }


@pytest.fixture
def hub(tiny_model):
    with FakeHub() as fake:
        fake.add_repo("acme/tiny-sd", tiny_model("sd15"))
        fake.add_repo("acme/gated-sd", tiny_model("sd15"), gated=True, tokens=("hf_granted",))
        yield fake


@pytest.fixture
def online(hub, monkeypatch, tmp_path):
    """The hub client pointed at the fake, online, with its cache in a tmp folder."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_HUB_CACHE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # The product syncs the hub client's import-time offline flag; put it back for the next tests.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", constants.HF_HUB_OFFLINE)
    return tmp_path / "hf-home" / "hub"
