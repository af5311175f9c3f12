"""LTX-2 / LTX-2.3 from separate files, as ComfyUI users hold them (hollywool/testkit/ltx2_layouts.py writes them from
the tiny folders in the published layouts): a transformer-only file (safetensors or GGUF) in diffusion_models/, the
video VAE and the audio VAE with its vocoder in vae/, the text connectors (or LTX-2.3's projection alone) and Gemma in
text_encoders/. Assembled, they are the one-file checkpoint's pipeline; a missing file is named before a job is queued;
a distilled file gets the distilled sampling from its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from hollywool.testkit.tiny_models import FAMILIES
from tests.image.conftest import add_user_models
from tests.video.conftest import assert_same_video_and_sound, asset_path, run_job, tiny_body


def _split(tiny_model, root: Path, family: str, name: str, **options) -> tuple[dict[str, Path], Path]:
    from hollywool.testkit.ltx2_layouts import write_gemma_text_encoder, write_ltx2_split_files

    files = write_ltx2_split_files(tiny_model(family), root, name, **options)
    return files, write_gemma_text_encoder(tiny_model(family), root / "text_encoders" / "gemma_3_12B_it.safetensors")


@pytest.fixture(scope="module")
def ltx23_split(tiny_model, tmp_path_factory) -> tuple[dict[str, Path], Path]:
    """Kijai's LTX-2.3 split: the connector blocks ride in the transformer-only file, the projection beside Gemma."""
    return _split(
        tiny_model, tmp_path_factory.mktemp("ltx23") / "models", "ltx23", "ltx-2.3-22b-dev", projection_only=True
    )


# LTX-2.3 as Kijai splits it (the connectors file given among the text encoders, as ComfyUI's loaders take it); LTX-2
# with a whole connectors file given in `parts:`.
@pytest.mark.parametrize(("family", "name", "projection_only"), [("ltx23", "ltx-2.3-22b-dev", True),
                                                                 ("ltx2", "ltx-2-19b-dev", False)])  # fmt: skip
def test_separate_ltx_files_are_the_one_file_pipeline(family, name, projection_only, tiny_model, tmp_path):
    import torch

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.ltx2_layouts import write_ltx2_checkpoint

    folder = tiny_model(family)
    files, gemma = _split(tiny_model, tmp_path / "models", family, name, projection_only=projection_only)
    texts = (gemma, files["connectors"]) if projection_only else (gemma,)
    parts = (files["audio_vae"],) if projection_only else (files["audio_vae"], files["connectors"])
    pipe, keys = load_files(ModelFiles(files["transformer"], texts, files["vae"], folder, parts), "ltx2",
                            tmp_path / "configs", torch.float32, keep_fp8=False)  # fmt: skip
    whole = write_ltx2_checkpoint(folder, tmp_path / f"{name}.safetensors")
    ref, _keys = load_files(ModelFiles(whole, (gemma,), None, folder), "ltx2", tmp_path / "configs", torch.float32,
                            keep_fp8=False)  # fmt: skip
    for component in ("transformer", "connectors", "vae", "audio_vae", "vocoder"):
        mine, theirs = getattr(pipe, component).state_dict(), getattr(ref, component).state_dict()
        assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in theirs), component
    # Parts read from files of their own are shared with models naming the same files; gathered with the transformer's
    # own connector blocks, the connectors are not.
    assert ("connectors" in keys) != projection_only and "audio_vae" in keys and "vocoder" in keys
    assert_same_video_and_sound(pipe, ref, family)


def test_a_gguf_ltx_transformer_loads_and_stays_quantized(tiny_model, ltx23_split, tmp_path):
    """unsloth's / QuantStack's GGUF of the transformer (Q8_0, no `model.diffusion_model.`), the connector blocks in it
    (dequantized to join the projection file's), beside the same VAE, audio VAE and projection files."""
    import torch
    from diffusers.quantizers.gguf.utils import GGUFParameter

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.ltx2_layouts import write_ltx2_split_files

    folder = tiny_model("ltx23")
    files, gemma = ltx23_split
    gguf = write_ltx2_split_files(folder, tmp_path, "ltx-2.3-22b-dev", gguf="Q8_0", projection_only=True)["transformer"]
    named = ModelFiles(gguf, (gemma, files["connectors"]), files["vae"], folder, (files["audio_vae"],))
    pipe, _keys = load_files(named, "ltx2", tmp_path / "configs", torch.float32, keep_fp8=False)

    # The tiny transformer's matrices wide enough for Q8_0 blocks (the test kit keeps smaller ones F32, as city96's
    # converter keeps small tensors): the quantized blocks, 1 byte a value, dequantized as each layer runs.
    def quantized() -> set[str]:
        return {n for n, p in pipe.transformer.named_parameters() if isinstance(p, GGUFParameter)}

    assert "time_embed.emb.timestep_embedder.linear_1.weight" in quantized()
    assert pipe.transformer.time_embed.emb.timestep_embedder.linear_1.weight.dtype == torch.uint8
    out = cast(Any, pipe(prompt="a robot", num_inference_steps=2, output_type="np", **FAMILIES["ltx23"].call))
    assert np.isfinite(out.frames).all() and float(np.abs(out.frames).max()) > 0 and out.audio.shape[-1] > 0
    assert "time_embed.emb.timestep_embedder.linear_1.weight" in quantized()


def test_an_fp8_transformer_only_file_keeps_its_transformer_in_fp8(tiny_model, ltx23_split, tmp_path):
    """Kijai's ltx-2.3-22b-dev_transformer_only_fp8...: the transformer's linear layers stay 1 byte, its connector
    blocks join the projection file's."""
    import torch

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.ltx2_layouts import write_ltx2_split_files

    folder = tiny_model("ltx23")
    files, gemma = ltx23_split
    fp8 = write_ltx2_split_files(folder, tmp_path, "ltx-2.3-22b-dev", projection_only=True, fp8=True)["transformer"]
    named = ModelFiles(fp8, (gemma, files["connectors"]), files["vae"], folder, (files["audio_vae"],))
    pipe, _keys = load_files(named, "ltx2", tmp_path / "configs", torch.float32, keep_fp8=True)
    to_q = pipe.transformer.transformer_blocks[0].attn1.to_q
    assert to_q.weight.dtype == torch.float8_e4m3fn and pipe.connectors.video_text_proj_in.weight.dtype == torch.float32
    out = cast(Any, pipe(prompt="a robot", num_inference_steps=2, output_type="np", **FAMILIES["ltx23"].call))
    assert np.isfinite(out.frames).all() and out.audio.shape[-1] > 0 and to_q.weight.dtype == torch.float8_e4m3fn


def test_a_missing_ltx_file_is_named_at_submit(register_models, make_client, tiny_model, ltx23_split):
    """A 422 before the job is queued, each missing file said with a published one that has it."""
    files, gemma = ltx23_split
    config = register_models({"tiny": "ltx23"})
    base = {"name": "LTX split", "path": str(files["transformer"]), "config": str(tiny_model("ltx23")),
            "category": "video", "default_steps": 2, "memory_gb": 0.1}  # fmt: skip
    add_user_models(config, {
        "no-vaes": {**base, "text_encoders": [str(gemma), str(files["connectors"])]},
        "no-projection": {**base, "text_encoders": [str(gemma)], "vae": str(files["vae"]),
                          "parts": [str(files["audio_vae"])]},
    })  # fmt: skip
    client = make_client()
    r = client.post("/api/video/jobs", json=tiny_body("ltx23", "no-vaes"))
    assert r.status_code == 422, r.text
    assert "LTX2_video_vae_bf16.safetensors" in r.text and "LTX2_audio_vae_bf16.safetensors" in r.text, r.text
    r = client.post("/api/video/jobs", json=tiny_body("ltx23", "no-projection"))
    assert r.status_code == 422, r.text
    assert "text_embedding_projection" in r.text and "ltx-2.3_text_projection_bf16.safetensors" in r.text, r.text
    assert "vocoder" not in r.text  # the audio VAE file holds it


def test_a_models_folder_pairs_each_separate_ltx_file(tiny_model, ltx23_split, tmp_path):
    """Each part file is told by its keys wherever it lies; of two, the one of the model's release is paired (the dev
    and distilled connectors differ; LTX-2's and LTX-2.3's parts do not fit each other)."""
    import shutil

    from hollywool.models.model_folders import entry_for, scan

    files, gemma = ltx23_split
    root = files["transformer"].parents[1]
    others = [root / "text_encoders" / "ltx-2-19b-embeddings_connector_distill_bf16.safetensors", root / "vae" /
              "LTX2_video_vae_bf16.safetensors"]  # fmt: skip
    for source, other in zip((files["connectors"], files["vae"]), others, strict=True):
        shutil.copy(source, other)  # LTX-2's files, by their names
    try:
        found = {f.path: f for f in scan(root).files}
    finally:
        for other in others:
            other.unlink()
    model = found[files["transformer"]]
    assert (model.role, model.family, model.detail, model.problem) == ("diffusion_model", "ltx2", "LTX-2.3", None)
    assert model.text_encoders == [gemma] and model.vae == files["vae"]
    assert model.parts == [files["connectors"], files["audio_vae"]]
    assert (found[files["audio_vae"]].role, found[files["audio_vae"]].detail) == ("vae", "LTX-2 audio VAE and vocoder")
    assert found[files["connectors"]].role == "text_encoder" and found[files["connectors"]].problem is None
    entry = entry_for(model, "local-ltx")
    assert entry.parts == [str(files["connectors"]), str(files["audio_vae"])] and entry.vae == str(files["vae"])
    assert entry.default_steps != 8 and "call" not in entry.extra  # a dev model keeps the family's sampling


def test_a_models_folder_says_which_ltx_file_is_missing(tiny_model, tmp_path):
    from hollywool.models.model_folders import scan

    files, _gemma = _split(tiny_model, tmp_path / "models", "ltx2", "ltx-2-19b-dev")
    files["audio_vae"].unlink()
    model = {f.path: f for f in scan(tmp_path).files}[files["transformer"]]
    assert model.problem and "audio VAE (such as LTX2_audio_vae_bf16.safetensors)" in model.problem, model.problem


def test_a_distilled_ltx_file_gets_the_distilled_sampling_by_name(register_models, make_client, studio_dirs,
                                                                   tiny_model, ltx23_split, tmp_path):  # fmt: skip
    """ltx-2.3-22b-distilled_transformer_only... and ltx-2-19b-distilled.safetensors: 8 steps on the distilled sigmas,
    no guidance, without `config:` or `default_steps`; a dev file keeps the family's sampling."""
    import shutil

    from hollywool.models.families.ltx2 import DISTILLED
    from hollywool.models.split_files import file_sampling
    from hollywool.testkit.ltx2_layouts import write_ltx2_checkpoint

    files, gemma = ltx23_split
    distilled = tmp_path / "ltx-2.3-22b-distilled_transformer_only_bf16.safetensors"
    shutil.copy(files["transformer"], distilled)
    whole = write_ltx2_checkpoint(tiny_model("ltx2"), tmp_path / "ltx-2-19b-distilled-fp8.safetensors")
    assert file_sampling(distilled) == DISTILLED and file_sampling(whole) == DISTILLED
    assert file_sampling(files["transformer"]) is None
    config = register_models({"tiny": "ltx23"})
    add_user_models(config, {"distilled": {
        "name": "LTX distilled", "path": str(distilled), "config": str(tiny_model("ltx23")), "category": "video",
        "text_encoders": [str(gemma), str(files["connectors"])], "vae": str(files["vae"]),
        "parts": [str(files["audio_vae"])], "memory_gb": 0.1,
    }})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/video/models").json()}["distilled"]
    assert (listed["default_steps"], listed["default_guidance"], listed["variant"]) == (8, 1.0, "2.3")
    job = run_job(client, "video", tiny_body("ltx23", "distilled", steps=8, guidance_scale=1.0))
    asset, _path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    assert asset["has_audio"]  # the vocoder from the audio VAE file made the sound track
