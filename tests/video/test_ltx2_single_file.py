"""LTX-2 / LTX-2.3 from the files users hold: one Lightricks checkpoint (transformer, text connectors, video and audio
VAEs, vocoder; written from the tiny LTX-2.3 folder in Lightricks' layout by hollywool/testkit/ltx2_layouts.py) plus
the Gemma 3 text encoder as ComfyUI keeps it. Loaded the way a user's entry is, it is the folder's pipeline: the same
weights, the same video and sound for a seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from hollywool.media.video import read_frames
from hollywool.testkit.tiny_models import FAMILIES
from tests.image.conftest import add_user_models
from tests.video.conftest import assert_same_video_and_sound, asset_path, png_b64, run_job, tiny_body, wait_job


@pytest.fixture(scope="module")
def ltx23_files(tiny_model, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("comfy-ltx") / "models"
    return _write_files(tiny_model("ltx23"), root, "ltx-2.3-22b-dev.safetensors")


def _write_files(folder: Path, root: Path, name: str, projection_outside: bool = False) -> tuple[Path, Path]:
    from hollywool.testkit.ltx2_layouts import write_gemma_text_encoder, write_ltx2_checkpoint

    checkpoint = write_ltx2_checkpoint(folder, root / "checkpoints" / name, projection_outside=projection_outside)
    return checkpoint, write_gemma_text_encoder(folder, root / "text_encoders" / "gemma_3_12B_it.safetensors")


# LTX-2.0's file keeps the Gemma feature projection outside the diffusion model's prefix (as some files do).
@pytest.mark.parametrize(("family", "name", "outside"), [("ltx23", "ltx-2.3-22b-dev.safetensors", False),
                                                         ("ltx2", "ltx-2-19b-dev.safetensors", True)])  # fmt: skip
def test_an_ltx_checkpoint_is_the_folders_pipeline(family, name, outside, tiny_model, tmp_path):
    """Through the loading code a job uses: every component's weights exactly, and the same frames and waveform."""
    import torch
    from diffusers import LTX2Pipeline

    from hollywool.models.split_files import ModelFiles, load_files

    folder = tiny_model(family)
    checkpoint, gemma = _write_files(folder, tmp_path / "models", name, outside)
    pipe, _keys = load_files(ModelFiles(checkpoint, (gemma,), None, folder), "ltx2", tmp_path / "configs",
                             torch.float32, keep_fp8=False)  # fmt: skip
    ref = LTX2Pipeline.from_pretrained(folder)
    for name in ("transformer", "connectors", "vae", "audio_vae", "vocoder"):
        mine, theirs = getattr(pipe, name).state_dict(), getattr(ref, name).state_dict()
        assert mine.keys() == theirs.keys(), name
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs), name
    # The language model only: LTX-2 prompts with text, so the vision tower in the file is not loaded.
    mine, theirs = pipe.text_encoder.state_dict(), ref.text_encoder.state_dict()
    language = [k for k in theirs if not k.startswith(("model.vision_tower.", "model.multi_modal_projector."))]
    assert set(mine) == set(language) and all(torch.equal(mine[k], theirs[k]) for k in language)
    assert_same_video_and_sound(pipe, ref, family)


def test_an_fp8_ltx_checkpoint_keeps_its_transformer_in_fp8(tiny_model, tmp_path):
    """ltx-2.3-22b-dev-fp8.safetensors: kept, the transformer's linear layers stay 1 byte and compute in the run
    dtype; upcast (devices without fp8), they are the fp8 values exactly. The other parts load as stored."""
    import torch
    from diffusers import LTX2Pipeline

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.ltx2_layouts import write_gemma_text_encoder, write_ltx2_checkpoint

    folder = tiny_model("ltx23")
    checkpoint = write_ltx2_checkpoint(folder, tmp_path / "ltx-2.3-22b-dev-fp8.safetensors", fp8=True)
    files = ModelFiles(checkpoint, (write_gemma_text_encoder(folder, tmp_path / "gemma.safetensors"),), None, folder)
    kept, _keys = load_files(files, "ltx2", tmp_path / "configs", torch.float32, keep_fp8=True)
    to_q = kept.transformer.transformer_blocks[0].attn1.to_q
    assert to_q.weight.dtype == torch.float8_e4m3fn
    assert kept.connectors.video_text_proj_in.weight.dtype == torch.float32
    out = cast(Any, kept(prompt="a robot", num_inference_steps=2, output_type="np", **FAMILIES["ltx23"].call))
    assert np.isfinite(out.frames).all() and to_q.weight.dtype == torch.float8_e4m3fn
    upcast, _keys = load_files(files, "ltx2", tmp_path / "configs", torch.float32, keep_fp8=False)
    reference = LTX2Pipeline.from_pretrained(folder).transformer.state_dict()
    weight = upcast.transformer.state_dict()["transformer_blocks.0.attn1.to_q.weight"]
    assert weight.dtype == torch.float32
    expected = reference["transformer_blocks.0.attn1.to_q.weight"].to(torch.float8_e4m3fn).float()
    assert torch.equal(weight, expected)


def _frames(client, studio_dirs, job) -> np.ndarray:
    _asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    return np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(path)])


@pytest.mark.parametrize("kind", ["video", "i2v"])
def test_an_ltx23_checkpoint_makes_the_same_video_as_its_folder(kind, register_models, make_client, studio_dirs,
                                                               tiny_model, ltx23_files):  # fmt: skip
    checkpoint, gemma = ltx23_files
    config = register_models({"tiny": "ltx23"})
    # No `type`: the keys say LTX-2, the gated attention LTX-2.3. The tiny folder stands in for the shipped config.
    add_user_models(config, {"file": {"name": "LTX file", "path": str(checkpoint), "text_encoders": [str(gemma)],
                                      "config": str(tiny_model("ltx23")), "category": "video", "default_steps": 2,
                                      "default_guidance": 5.0, "memory_gb": 0.1}})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/video/models").json()}["file"]
    assert listed["type"] == "ltx2" and listed["variant"] == "2.3"
    extra = {"reference_images": [{"image_base64": png_b64()}]} if kind == "i2v" else {}
    single = run_job(client, kind, tiny_body("ltx23", "file", **extra))
    folder = run_job(client, kind, tiny_body("ltx23", "tiny", **extra))
    asset, _path = asset_path(client, studio_dirs, single["videos"][0]["id"])
    assert asset["has_audio"]  # the vocoder from the file made the sound track
    a, b = _frames(client, studio_dirs, single), _frames(client, studio_dirs, folder)
    assert a.shape == b.shape
    assert float(np.abs(a - b).mean()) < 1.0  # H.264 of equal frames (other weights: tens of levels)


def test_ltx2_and_ltx23_files_are_told_apart(tiny_model, ltx23_files, tmp_path):
    from hollywool.models import families
    from hollywool.models.single_file import detect
    from hollywool.models.split_files import read_file, split_config
    from hollywool.testkit.ltx2_layouts import write_ltx2_checkpoint

    ltx20 = write_ltx2_checkpoint(tiny_model("ltx2"), tmp_path / "ltx-2-19b-dev.safetensors", projection_outside=True)
    family = families.REGISTRY.get("ltx2")
    assert family is not None and family.split_files is not None
    for path, config, label, variant in ((ltx20, "ltx2", "LTX-2", None), (ltx23_files[0], "ltx2.3", "LTX-2.3", "2.3")):
        found, _arch, detail = detect(path)
        assert (found.type, detail) == ("ltx2", label)
        assert split_config(family.split_files, read_file(path)) == config
        assert family.for_model(str(path)).variant == variant  # type: ignore[attr-defined]


def test_an_ltx_checkpoint_without_its_text_encoder_names_the_file_to_add(register_models, make_client, tiny_model,
                                                                          ltx23_files):  # fmt: skip
    checkpoint, _gemma = ltx23_files
    config = register_models({"tiny": "ltx23"})
    add_user_models(config, {"file": {"name": "LTX file", "path": str(checkpoint), "config": str(tiny_model("ltx23")),
                                      "category": "video", "default_steps": 2}})  # fmt: skip
    client = make_client()
    r = client.post("/api/video/jobs", json=tiny_body("ltx23", "file"))
    if r.status_code == 201:  # loading happens in the job: the job fails with the sentence
        job = wait_job(client, "video", r.json()["job_id"])
        assert job["status"] == "failed"
        message = job["error"]
    else:
        assert 400 <= r.status_code < 500, r.text
        message = r.text
    assert "gemma_3_12B_it.safetensors" in message and "text_encoders" in message, message


def test_the_shipped_configs_have_the_published_sizes_and_take_full_size_files():
    """LTX-2 is a 19B model, LTX-2.3 a 22B one (their model cards): transformer and text connectors together. Every
    component built from the shipped configs (without weights) takes the names its full-size file has: the file's
    key names (written as the test kit writes them) convert to exactly the model's."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2 import LTX2TextConnectors, LTX2Vocoder, LTX2VocoderWithBWE

    from hollywool.models import ltx2_original as convert
    from hollywool.testkit import ltx2_layouts as original

    root = Path(__file__).resolve().parents[2] / "hollywool" / "catalog" / "configs"
    sizes = {}
    for name, vocoder_class in (("ltx2", LTX2Vocoder), ("ltx2.3", LTX2VocoderWithBWE)):
        configs = {c: json.loads((root / name / c / "config.json").read_text())
                   for c in ("transformer", "connectors", "vae", "audio_vae", "vocoder")}  # fmt: skip
        with init_empty_weights():
            models: dict[str, Any] = {
                "transformer": LTX2VideoTransformer3DModel.from_config(configs["transformer"]),
                "connectors": LTX2TextConnectors.from_config(configs["connectors"]),
                "vae": AutoencoderKLLTX2Video.from_config(configs["vae"]),
                "audio_vae": AutoencoderKLLTX2Audio.from_config(configs["audio_vae"]),
                "vocoder": vocoder_class.from_config(configs["vocoder"]),
            }
        sizes[name] = sum(p.numel() for c in ("transformer", "connectors") for p in models[c].parameters()) / 1e9
        state = {c: m.state_dict() for c, m in models.items()}
        files = {
            "transformer": original.transformer_to_original(state["transformer"]),
            "connectors": original.connectors_to_original(state["connectors"]),
            "vae": original.video_vae_to_original(state["vae"], configs["vae"]),
            "audio_vae": original.audio_vae_to_original(state["audio_vae"]),
            "vocoder": original.vocoder_to_original(state["vocoder"]),
        }
        converters = {
            "transformer": convert.ltx2_transformer_to_diffusers,
            "connectors": convert.ltx2_connectors_to_diffusers,
            "vae": convert.ltx2_vae_to_diffusers,
            "audio_vae": convert.ltx2_audio_vae_to_diffusers,
            "vocoder": convert.ltx2_vocoder_to_diffusers,
        }
        prefixes = {"transformer": original.COMFY, "connectors": original.COMFY, "vae": "vae.",
                    "audio_vae": "audio_vae.", "vocoder": "vocoder."}  # fmt: skip
        for component, convert_part in converters.items():
            in_file = {prefixes[component] + k: v for k, v in files[component].items()}  # as in the checkpoint
            converted = convert_part(in_file, configs[component])
            assert set(converted) == set(state[component]), (name, component)
    assert 19.0 < sizes["ltx2"] < 21.0 and 21.5 < sizes["ltx2.3"] < 22.5, sizes


def test_a_models_folder_pairs_an_ltx_checkpoint_with_its_gemma_file(ltx23_files):
    from hollywool.models.model_folders import scan

    checkpoint, gemma = ltx23_files
    found = {f.path: f for f in scan(checkpoint.parents[2]).files}
    model = found[checkpoint]
    assert (model.role, model.family, model.detail, model.problem) == ("checkpoint", "ltx2", "LTX-2.3", None)
    assert model.text_encoders == [gemma] and model.vae is None  # the VAEs are the checkpoint's own


def test_a_models_folder_says_what_an_ltx_checkpoint_lacks(tiny_model, tmp_path):
    from hollywool.models.model_folders import scan

    checkpoint, gemma = _write_files(tiny_model("ltx23"), tmp_path / "models", "ltx-2.3-22b-dev.safetensors")
    gemma.unlink()
    model = {f.path: f for f in scan(tmp_path).files}[checkpoint]
    assert "gemma_3_12B_it.safetensors" in (model.problem or ""), model.problem


def test_without_a_config_the_shipped_ltx23_one_is_used_and_asks_for_the_gemma_tokenizer(ltx23_files, tmp_path):
    import torch

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files

    checkpoint, gemma = ltx23_files
    with pytest.raises(InvalidInputError) as caught:
        load_files(ModelFiles(checkpoint, (gemma,)), "ltx2", tmp_path / "configs", torch.float32, keep_fp8=False)
    assert "ltx2.3/tokenizer has no tokenizer files" in caught.value.message, caught.value.message
    assert (tmp_path / "configs" / "ltx2.3" / "vocoder" / "config.json").is_file()


def test_the_gemma_tokenizer_comes_from_comfyuis_text_encoder_file(tiny_model, ltx23_files, tmp_path):
    """ComfyUI's Gemma files carry the sentencepiece model (`spiece_model`); the studio's copy of the shipped config
    (the tiny folder's JSON standing in for it, with the shipped tokenizer_config.json) takes the tokenizer from
    there."""
    import torch
    from diffusers import LTX2Pipeline

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.ltx2_layouts import write_gemma_text_encoder
    from hollywool.testkit.studio_copies import studio_copy

    folder = tiny_model("ltx23")
    shipped = studio_copy(folder, tmp_path / "configs", "ltx2.3", empty=("tokenizer",))
    gemma = write_gemma_text_encoder(folder, tmp_path / "gemma_3_12B_it.safetensors", tokenizer=True)
    pipe, _keys = load_files(ModelFiles(ltx23_files[0], (gemma,)), "ltx2", tmp_path / "configs", torch.float32,
                             keep_fp8=False)  # fmt: skip
    assert (shipped / "tokenizer" / "tokenizer.model").is_file()
    ref = LTX2Pipeline.from_pretrained(folder)
    prompt = "a robot dancing in the rain"
    assert pipe.tokenizer(prompt).input_ids == ref.tokenizer(prompt).input_ids
