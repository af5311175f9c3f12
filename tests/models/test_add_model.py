"""Adding a model from a local folder or file through the API: kept in config.yaml like a hand-written entry,
its family read from its files, listed, kept after a restart, usable for a job, and forgotten on delete."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.kit.studio import wait_job


@pytest.fixture
def sd_folder(tiny_model, tmp_path) -> Path:
    """A copy of the tiny SD 1.5 diffusers folder, as a user's own download would be."""
    return Path(shutil.copytree(tiny_model("sd15"), tmp_path / "my-sd15"))


def test_added_folder_is_detected_listed_kept_and_generates(make_client, studio_dirs, sd_folder):
    client = make_client()
    resp = client.post("/api/models", json={"path": str(sd_folder), "name": "My SD"})
    assert resp.status_code == 201, resp.text
    added = resp.json()
    assert added["id"] == "my-sd"
    assert added["type"] == "sd" and added["family"]  # read from model_index.json
    assert added["source"] == "folder" and added["downloaded"] is True and added["user_defined"] is True
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert listed["my-sd"]["path"] == str(sd_folder)
    config = yaml.safe_load((studio_dirs["data_dir"] / "config.yaml").read_text())
    # With the family's recommended sampling (SD 1.5: 25 steps, guidance 7), not the generic defaults.
    assert config["models"]["my-sd"] == {"name": "My SD", "path": str(sd_folder), "type": "sd",
                                         "default_steps": 25, "default_guidance": 7.0}  # fmt: skip

    client.__exit__(None, None, None)  # the studio stops (releasing its data folder) ...
    restarted = make_client()  # ... and a new app on the same data folder reads it back from config.yaml
    assert "my-sd" in {m["id"] for m in restarted.get("/api/models").json()["models"]}
    job = restarted.post("/api/jobs", json={"prompt": "a fox", "model": "my-sd", "width": 64, "height": 64, "steps": 2})
    assert job.status_code == 201, job.text
    done = wait_job(restarted, job.json()["job_id"])
    assert done["status"] == "completed", done.get("error")

    # Forgotten, not deleted: the entry leaves config.yaml and the list; the folder stays.
    assert restarted.delete("/api/models/my-sd").status_code == 200
    assert "my-sd" not in {m["id"] for m in restarted.get("/api/models").json()["models"]}
    assert "my-sd" not in (yaml.safe_load((studio_dirs["data_dir"] / "config.yaml").read_text())["models"] or {})
    assert (sd_folder / "model_index.json").is_file()


def test_added_next_to_hand_written_entries_keeps_them(register_models, make_client, studio_dirs, sd_folder):
    register_models({"tiny-sd": "sd15"})
    client = make_client()
    assert client.post("/api/models", json={"path": str(sd_folder)}).status_code == 201
    ids = {m["id"] for m in client.get("/api/models").json()["models"]}
    assert {"tiny-sd", "my-sd15"} <= ids
    assert (studio_dirs["data_dir"] / "config.yaml.bak").is_file()


def test_a_config_in_list_form_keeps_its_entries(make_client, studio_dirs, tiny_model, sd_folder):
    config = studio_dirs["data_dir"] / "config.yaml"
    config.parent.mkdir(parents=True)
    entry = {"id": "tiny-sd", "name": "Tiny SD", "path": str(tiny_model("sd15")), "type": "sd"}
    config.write_text(yaml.safe_dump({"models": [entry]}))
    client = make_client()
    assert client.post("/api/models", json={"path": str(sd_folder)}).status_code == 201
    assert {"tiny-sd", "my-sd15"} <= {m["id"] for m in client.get("/api/models").json()["models"]}
    assert set(yaml.safe_load(config.read_text())["models"]) == {"tiny-sd", "my-sd15"}


def _field(resp) -> str:  # noqa: ANN001
    return str(resp.json())


def test_bad_inputs_are_refused_naming_the_field(register_models, make_client, sd_folder, tmp_path):
    register_models({"tiny-sd": "sd15"})
    client = make_client()
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "readme.txt").write_text("hello")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not weights")
    cases = [
        ({}, 422, "path"),
        ({"path": ""}, 422, "path"),
        ({"path": "relative/folder"}, 422, "path"),
        ({"path": str(tmp_path / "missing")}, 422, "path"),
        ({"path": str(not_a_model)}, 422, "path"),
        ({"path": str(junk)}, 422, "path"),
        ({"path": str(sd_folder), "type": "not-a-family"}, 422, "type"),
        ({"path": str(sd_folder), "vae": str(tmp_path / "no-vae.safetensors")}, 422, "vae"),
        ({"path": str(sd_folder), "text_encoders": [str(not_a_model)]}, 422, "text_encoders"),
        ({"path": str(sd_folder), "id": "tiny-sd"}, 409, "id"),
        ({"path": str(sd_folder), "config": str(not_a_model)}, 422, "config"),
        ({"path": str(sd_folder), "id": "bad id/../x"}, 422, "id"),
    ]
    for body, status, field in cases:
        resp = client.post("/api/models", json=body)
        assert resp.status_code == status, (body, resp.text)
        assert field in _field(resp), (body, resp.text)
    ids = {m["id"] for m in client.get("/api/models").json()["models"]}
    assert "my-sd15" not in ids  # nothing was added by a refused request


def test_delete_refuses_shipped_and_unknown_models(make_client):
    client = make_client()
    shipped = client.get("/api/models").json()["models"][0]["id"]
    assert client.delete(f"/api/models/{shipped}").status_code == 409
    assert client.delete("/api/models/no-such-model").status_code == 404


def test_added_single_file_is_recognised_by_its_keys(make_client, tiny_model, tmp_path):
    from hollywool.testkit.single_file import write_sd15_single_file

    checkpoint = write_sd15_single_file(tiny_model("sd15"), tmp_path / "civitai-model.safetensors")
    client = make_client()
    # A tiny file needs its tiny config folder (a real one uses the config shipped for its family).
    resp = client.post("/api/models", json={"path": str(checkpoint), "config": str(tiny_model("sd15"))})
    assert resp.status_code == 201, resp.text
    added = resp.json()
    assert (added["id"], added["type"], added["source"]) == ("civitai-model", "sd", "file")
    job = client.post(
        "/api/jobs", json={"prompt": "a fox", "model": "civitai-model", "width": 64, "height": 64, "steps": 2}
    )
    assert job.status_code == 201, job.text
    assert wait_job(client, job.json()["job_id"])["status"] == "completed"


def test_an_added_z_image_turbo_file_samples_as_its_family_recommends(make_client, tiny_model, tmp_path):
    """Z-Image Turbo is distilled: 8 steps without guidance. Added with the generic 20 steps and guidance 7, its first
    image would run classifier-free guidance the model was never made for."""
    from hollywool.testkit.original_layouts import write_zimage_split_files

    model, text, vae = write_zimage_split_files(tiny_model("zimage"), tmp_path / "models")
    client = make_client()
    body = {"path": str(model), "text_encoders": [str(text)], "vae": str(vae), "config": str(tiny_model("zimage"))}
    resp = client.post("/api/models", json=body)
    assert resp.status_code == 201, resp.text
    added = resp.json()
    assert (added["type"], added["default_steps"], added["default_guidance"]) == ("zimage", 8, 0.0)
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}[added["id"]]
    assert (listed["default_steps"], listed["default_guidance"]) == (8, 0.0)


def test_an_added_video_file_samples_as_its_family_and_form_recommend(make_client, tiny_model, tmp_path):
    """Video families declare their recommended sampling too: a Wan 2.2 TI2V-5B file (the 5B told apart by its
    input channels) starts at its model card's 50 steps and guidance 5, not a generic 20 and 7."""
    from hollywool.models import families
    from hollywool.testkit.split_layouts import write_wan22_split_files

    model, text, vae = write_wan22_split_files(tiny_model("wan_5b"), tmp_path / "models")
    client = make_client()
    body = {"path": str(model), "text_encoders": [str(text)], "vae": str(vae), "config": str(tiny_model("wan_5b"))}
    resp = client.post("/api/models", json=body)
    assert resp.status_code == 201, resp.text
    added = resp.json()
    assert (added["type"], added["default_steps"], added["default_guidance"]) == ("wan", 50, 5.0)
    # Each video family says its own (Wan 2.2 A14B's card: 40 steps at 4; Mochi's: 64 at 4.5).
    wan, mochi = families.video_family("wan"), families.video_family("mochi")
    assert (wan.default_steps, wan.default_guidance, mochi.default_steps, mochi.default_guidance) == (40, 4.0, 64, 4.5)
