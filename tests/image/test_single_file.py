"""Single-file (A1111 / Civitai) checkpoints: architecture detection and offline loading."""

from __future__ import annotations

import pytest

from hollywool.engines.diffusers.single_file import detect_architecture, shipped_config
from hollywool.errors import InvalidInputError
from tests.image.conftest import add_user_models, pixels, run


@pytest.fixture(scope="module")
def checkpoints(tiny_model, tmp_path_factory):
    from hollywool.testkit.single_file import write_sd15_single_file, write_sdxl_single_file

    root = tmp_path_factory.mktemp("checkpoints")
    return {
        "sd15": write_sd15_single_file(tiny_model("sd15"), root / "tiny-sd15.safetensors"),
        "sdxl": write_sdxl_single_file(tiny_model("sdxl"), root / "tiny-sdxl.safetensors"),
    }


def test_architecture_is_read_from_the_keys(checkpoints, tmp_path):
    assert detect_architecture(checkpoints["sd15"])[0] == "sd"
    assert detect_architecture(checkpoints["sdxl"])[0] == "sdxl"
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 16)
    with pytest.raises(InvalidInputError):
        detect_architecture(junk)


def test_single_file_loads_offline_and_matches_its_folder(register_models, make_client, checkpoints, tiny_model):
    config = register_models({"tiny-sd": "sd15", "tiny-sdxl": "sdxl"})
    add_user_models(
        config,
        {
            name: {
                "name": f"Civitai-style {fam}",
                "path": str(checkpoints[fam]),
                "type": model_type,
                "config": str(tiny_model(fam)),  # the tiny model's configs stand in for the shipped ones
                "default_steps": 2,
            }
            for name, fam, model_type in (("file-sd", "sd15", "sd"), ("file-sdxl", "sdxl", "sdxl"))
        },
    )
    client = make_client()
    for folder_model, file_model in (("tiny-sd", "file-sd"), ("tiny-sdxl", "file-sdxl")):
        from_file = run(client, model=file_model, seed=21, guidance_scale=5.0)
        from_folder = run(client, model=folder_model, seed=21, guidance_scale=5.0)
        assert pixels(client, from_file) == pixels(client, from_folder)
    models = {m["id"]: m for m in client.get("/api/models").json()}
    assert models["file-sd"]["source"] == "file" and models["file-sd"]["downloaded"]


def test_wrong_type_for_a_single_file_fails_the_job_clearly(register_models, make_client, checkpoints):
    config = register_models({"tiny-sd": "sd15"})
    add_user_models(config, {"mislabelled": {"name": "X", "path": str(checkpoints["sdxl"]), "type": "sd"}})
    client = make_client()
    from tests.image.conftest import submit, wait_job

    job = wait_job(client, submit(client, model="mislabelled"))
    assert job["status"] == "failed" and "is a SDXL checkpoint" in job["error"] and "type: sdxl" in job["error"]


def test_shipped_configs_carry_real_clip_tokenizers(tmp_path):
    from transformers import CLIPTokenizer

    sdxl = shipped_config("sdxl", tmp_path)
    tokenizer = CLIPTokenizer.from_pretrained(sdxl / "tokenizer")
    assert len(tokenizer) == 49408
    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert CLIPTokenizer.from_pretrained(sdxl / "tokenizer_2").pad_token == "!"
    assert (shipped_config("sd15", tmp_path) / "unet" / "config.json").exists()
