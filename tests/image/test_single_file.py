"""Single-file (A1111 / Civitai) checkpoints: architecture detection and offline loading."""

from __future__ import annotations

import pytest

from hollywool.errors import InvalidInputError
from hollywool.models.single_file import detect_architecture, shipped_config
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
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
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


def _header_only_checkpoint(path, shapes: dict[str, tuple[int, ...]]):
    import torch
    from safetensors.torch import save_file

    save_file({k: torch.zeros(v, dtype=torch.float16) for k, v in shapes.items()}, str(path))
    return path


def test_sd2_checkpoints_are_recognised_and_get_the_shipped_sd2_config(tmp_path):
    to_k = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
    openclip = _header_only_checkpoint(
        tmp_path / "sd21.safetensors",
        {"cond_stage_model.model.token_embedding.weight": (4, 8), to_k: (320, 1024)},
    )
    # SD 2.x text encoder keys in the transformers layout: the UNet's context width (1024) tells.
    converted = _header_only_checkpoint(
        tmp_path / "sd2-hf-te.safetensors",
        {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (4, 8), to_k: (320, 1024)},
    )
    sd15 = _header_only_checkpoint(
        tmp_path / "sd15.safetensors",
        {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (4, 8), to_k: (320, 768)},
    )
    assert detect_architecture(openclip) == ("sd", "SD 2.x")
    assert detect_architecture(converted) == ("sd", "SD 2.x")
    assert detect_architecture(sd15)[1] != "SD 2.x"

    from hollywool.models.single_file import config_folder

    assert config_folder(openclip, "sd", None, tmp_path / "configs")[1] == tmp_path / "configs" / "sd2"
    assert config_folder(sd15, "sd", None, tmp_path / "configs")[1] == tmp_path / "configs" / "sd15"


def test_shipped_sd2_config_is_the_768_v_model(tmp_path):
    import json

    from transformers import CLIPTokenizer

    sd2 = shipped_config("sd2", tmp_path)
    scheduler = json.loads((sd2 / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["prediction_type"] == "v_prediction"
    unet = json.loads((sd2 / "unet" / "config.json").read_text())
    assert unet["use_linear_projection"] and unet["attention_head_dim"] == [5, 10, 20, 20]
    assert unet["sample_size"] * 8 == 768
    tokenizer = CLIPTokenizer.from_pretrained(sd2 / "tokenizer")
    assert len(tokenizer) == 49408 and tokenizer.pad_token == "!"
    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        # Parameter counts of the released models (UNet, VAE, text encoder[s]).
        ("sd15", {"unet": 859_520_964, "vae": 83_653_863, "text_encoder": 123_060_480}),
        ("sd2", {"unet": 865_910_724, "vae": 83_653_863, "text_encoder": 340_387_840}),
        (
            "sdxl",
            {"unet": 2_567_463_684, "vae": 83_653_863, "text_encoder": 123_060_480, "text_encoder_2": 694_659_840},
        ),
    ],
)
def test_shipped_configs_match_the_real_models_parameter_counts(arch, expected):
    """Built on the meta device (no memory): a wrong width, depth or head layout changes the count."""
    from importlib import resources

    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    with resources.as_file(resources.files("hollywool.catalog").joinpath(f"configs/{arch}")) as root:
        counts = {}
        with torch.device("meta"):
            for name, cls in (("unet", UNet2DConditionModel), ("vae", AutoencoderKL)):
                counts[name] = _params(cls.from_config(cls.load_config(root / name)))
            for name in ("text_encoder", "text_encoder_2"):
                if (root / name).is_dir():
                    cls = CLIPTextModelWithProjection if name == "text_encoder_2" else CLIPTextModel
                    counts[name] = _params(cls(CLIPTextConfig.from_pretrained(root / name)))
    assert counts == expected


def _params(module) -> int:
    return sum(p.numel() for p in module.parameters())
