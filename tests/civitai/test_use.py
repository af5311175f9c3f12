"""From Civitai to generating: a downloaded tiny checkpoint is a local model that generates, and a
downloaded tiny LoRA appears with its trigger words and changes the image."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from hollywool.settings import ServiceUrls
from tests.civitai.conftest import generate_pixels, wait_download


@pytest.fixture(scope="session")
def tiny_civitai_files(tmp_path_factory, tiny_model) -> dict[str, bytes]:
    from hollywool.testkit.loras import write_kohya_lora
    from hollywool.testkit.single_file import write_sd15_single_file

    root = tmp_path_factory.mktemp("civitai-files")
    folder = tiny_model("sd15")
    return {
        "checkpoint": write_sd15_single_file(folder, root / "tiny_barn.safetensors").read_bytes(),
        "lora": write_kohya_lora(folder, root / "roofs.safetensors", seed=5).read_bytes(),
    }


def test_downloaded_checkpoint_generates_and_downloaded_lora_changes_the_image(
    make_client, fake, civitai_dir, studio_dirs, tiny_civitai_files, tiny_model
):
    ckpt = fake.add_model(
        "Tiny Barn", "Checkpoint", "SD 1.5", files={"tiny_barn.safetensors": tiny_civitai_files["checkpoint"]}
    )
    lora = fake.add_model("Tiny Roofs", "LORA", "SD 1.5", files={"roofs.safetensors": tiny_civitai_files["lora"]},
                          trained_words=["redroof", "tin roof"])  # fmt: skip
    ckpt_version = ckpt["modelVersions"][0]["id"]
    model_id = f"civitai-{ckpt_version}"
    # The tiny checkpoint's shapes are not SD 1.5's: point the downloaded model at the tiny config
    # folder, as a user adjusts a downloaded model in config.yaml.
    studio_dirs["data_dir"].mkdir(parents=True, exist_ok=True)
    (studio_dirs["data_dir"] / "config.yaml").write_text(
        yaml.safe_dump({"models": {model_id: {"config": str(tiny_model("sd15")), "default_steps": 2}}})
    )
    client = make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)
    for version_id in (ckpt_version, lora["modelVersions"][0]["id"]):
        r = client.post("/api/civitai/downloads", json={"version_id": version_id})
        assert wait_download(client, r.json()["id"])["status"] == "completed"

    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert model_id in models and models[model_id]["type"] == "sd"
    assert models[model_id]["name"] == "Tiny Barn (v1.0)"
    loras = {lr["id"]: lr for lr in client.get("/api/loras", params={"model_type": "sd"}).json()["loras"]}
    assert loras["roofs"]["source"] == "civitai" and loras["roofs"]["trigger_words"] == ["redroof", "tin roof"]

    base = generate_pixels(client, model=model_id)
    styled = generate_pixels(client, model=model_id, loras=[{"lora_id": "roofs", "weight": 1.0}])
    assert np.abs(base - styled).mean() > 0.5

    # After a restart the downloads are registered again from the downloads table.
    client.__exit__(None, None, None)
    again = make_client(services=ServiceUrls(civitai=fake.url), civitai_dir=civitai_dir)
    assert model_id in {m["id"] for m in again.get("/api/models").json()["models"]}
    assert {lr["id"]: lr for lr in again.get("/api/loras").json()["loras"]}["roofs"]["trigger_words"] == [
        "redroof",
        "tin roof",
    ]
    # Forgetting the download deletes the file and the model.
    download_id = again.get("/api/civitai/downloads").json()[-1]["id"]
    assert again.delete(f"/api/civitai/downloads/{download_id}").status_code == 200
    assert model_id not in {m["id"] for m in again.get("/api/models").json()["models"]}
