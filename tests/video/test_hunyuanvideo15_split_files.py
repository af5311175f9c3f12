"""HunyuanVideo 1.5 from the files ComfyUI users hold: the diffusion model in Tencent's names under ComfyUI's prefix,
Qwen2.5-VL in ComfyUI's names, the ByT5 glyph encoder, the VAE in its original names and, for image-to-video, the
SigLIP image encoder (written from the tiny diffusers folders by hollywool/testkit/split_layouts.py). They make the same
video as the folder; the file's name says t2v or i2v (their tensors are alike) and 480p or 720p; a models folder pairs
them; an image-to-video file without its image encoder is refused naming the file to add."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hollywool.media.video import read_frames
from hollywool.testkit.tiny_models import FAMILIES
from tests.image.conftest import add_user_models
from tests.video.conftest import asset_path, png_b64, run_job, wait_job

# tiny folder -> (ComfyUI's file name for it, the pipeline its folder loads as, the job kind)
CASES = {
    "hunyuanvideo15": ("hunyuanvideo1.5_720p_t2v", "HunyuanVideo15Pipeline", "video"),
    "hunyuanvideo15_i2v": ("hunyuanvideo1.5_480p_i2v", "HunyuanVideo15ImageToVideoPipeline", "i2v"),
}
Files = tuple[Path, tuple[Path, ...], Path]


@pytest.fixture(scope="module")
def hunyuan_files(tiny_model, tmp_path_factory):
    from hollywool.testkit.split_layouts import write_hunyuanvideo15_split_files

    def write(tiny: str) -> Files:
        out = tmp_path_factory.mktemp(f"comfy-{tiny}") / "models"
        return write_hunyuanvideo15_split_files(tiny_model(tiny), out, name=CASES[tiny][0])

    return {tiny: write(tiny) for tiny in CASES}


def _body(tiny: str, model: str) -> dict:
    call = FAMILIES[tiny].call
    body = {
        "model": model,
        "prompt": "a robot dancing",
        "num_frames": call["num_frames"],
        "steps": 2,
        "seed": 7,
        "guidance_scale": 5.0,
    }
    if "width" in call:
        body.update(width=call["width"], height=call["height"])
    if CASES[tiny][2] == "i2v":
        body["reference_images"] = [{"image_base64": png_b64((48, 48))}]
    return body


def _frames(client, studio_dirs, job) -> np.ndarray:
    _asset, path = asset_path(client, studio_dirs, job["videos"][0]["id"])
    return np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(path)])


@pytest.mark.parametrize("tiny", list(CASES))
def test_hunyuanvideo15_split_files_make_the_same_video_as_its_folder(tiny, register_models, make_client, studio_dirs,
                                                                     tiny_model, hunyuan_files):  # fmt: skip
    model, encoders, vae = hunyuan_files[tiny]
    config = register_models({"tiny": tiny})
    # No `type` and no `variant`: the keys say HunyuanVideo 1.5, the file's name t2v or i2v. The tiny folder stands in
    # for the shipped config (its JSON and its Qwen tokenizer), as the real files use a shipped one.
    add_user_models(config, {"split": {"name": "Split HunyuanVideo", "path": str(model),
                                       "text_encoders": [str(p) for p in encoders], "vae": str(vae),
                                       "config": str(tiny_model(tiny)), "category": "video", "default_steps": 2,
                                       "memory_gb": 0.1}})  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/video/models").json()}["split"]
    i2v = CASES[tiny][2] == "i2v"
    assert listed["type"] == "hunyuanvideo15" and listed["variant"] == ("i2v" if i2v else "t2v")
    assert (listed["image_to_video"], listed["text_to_video"]) == (i2v, not i2v)
    split = run_job(client, CASES[tiny][2], _body(tiny, "split"))
    folder = run_job(client, CASES[tiny][2], _body(tiny, "tiny"))
    a, b = _frames(client, studio_dirs, split), _frames(client, studio_dirs, folder)
    assert a.shape == b.shape
    assert np.array_equal(a, b), float(np.abs(a - b).mean())  # measured: the same frames, to the bit


@pytest.mark.parametrize("tiny", list(CASES))
def test_hunyuanvideo15_split_files_are_the_folders_pipeline(tiny, tiny_model, hunyuan_files, tmp_path):
    """Through the loading code a job uses: the same weights, the same pipeline class and the same latents."""
    import diffusers
    import torch
    from PIL import Image

    from hollywool.models.split_files import ModelFiles, load_files

    model, encoders, vae = hunyuan_files[tiny]
    folder = tiny_model(tiny)
    pipe, _keys = load_files(
        ModelFiles(model, encoders, vae, folder), "hunyuanvideo15", tmp_path, torch.float32, keep_fp8=False
    )
    ref = getattr(diffusers, CASES[tiny][1]).from_pretrained(folder)
    assert type(pipe) is type(ref)
    parts = ["transformer", "vae", "text_encoder", "text_encoder_2"] + (["image_encoder"] if "i2v" in tiny else [])
    for name in parts:
        mine, theirs = getattr(pipe, name).state_dict(), getattr(ref, name).state_dict()
        assert mine.keys() == theirs.keys(), name
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs), name
    call: dict = {"prompt": "a robot", "num_frames": 5, "num_inference_steps": 2, "output_type": "latent"}
    if "i2v" in tiny:
        call["image"] = Image.new("RGB", (48, 48), (200, 90, 30))
    else:
        call.update(height=32, width=32)
    latents = [p(generator=torch.Generator().manual_seed(7), return_dict=False, **call)[0] for p in (pipe, ref)]
    assert torch.equal(latents[0], latents[1])


def test_an_i2v_file_without_its_image_encoder_is_refused_naming_the_file(register_models, make_client, tiny_model,
                                                                         hunyuan_files):  # fmt: skip
    model, encoders, vae = hunyuan_files["hunyuanvideo15_i2v"]
    config = register_models({"tiny": "hunyuanvideo15"})
    add_user_models(config, {"split": {"name": "No SigLIP", "path": str(model),
                                       "text_encoders": [str(p) for p in encoders[:2]], "vae": str(vae),
                                       "config": str(tiny_model("hunyuanvideo15_i2v")), "category": "video",
                                       "default_steps": 2}})  # fmt: skip
    client = make_client()
    r = client.post("/api/i2v/jobs", json=_body("hunyuanvideo15_i2v", "split"))
    if r.status_code == 201:  # loading happens in the job: the job fails with the sentence
        job = wait_job(client, "i2v", r.json()["job_id"])
        assert job["status"] == "failed"
        message = job["error"]
    else:
        assert 400 <= r.status_code < 500, r.text
        message = r.text
    assert "sigclip_vision_patch14_384" in message and "image_encoder" in message, message


@pytest.mark.parametrize(
    ("name", "config", "variant"),
    [
        ("hunyuanvideo1.5_720p_t2v_fp16.safetensors", "hunyuanvideo15-720p-t2v", "t2v"),
        ("hunyuanvideo1.5_720p_i2v_fp8_scaled.safetensors", "hunyuanvideo15-720p-i2v", "i2v"),
        ("hunyuanvideo1.5_480p_t2v_cfg_distilled_fp16.safetensors", "hunyuanvideo15-480p-t2v", "t2v"),
        ("hunyuanvideo1.5_480p_i2v_step_distilled_fp16.safetensors", "hunyuanvideo15-480p-i2v", "i2v"),
        ("my-hunyuan.safetensors", "hunyuanvideo15-720p-t2v", None),
    ],
)
def test_the_file_name_picks_the_shipped_config_and_the_variant(name, config, variant):
    from hollywool.models.families.hunyuanvideo15 import FAMILY, SPLIT

    assert SPLIT.variant_by_name is not None and SPLIT.variant_by_name(name) == config
    assert FAMILY.variant_of_file_name(name) == variant


def test_the_shipped_configs_are_the_released_models():
    """Parameter counts on the meta device: 8.3B transformer (Tencent's model card), Qwen2.5-VL-7B's language model,
    ByT5-small with Glyph-SDXL-v2's 1,510 tokens, SigLIP so400m's vision tower; each folder's pipeline, sampling shift
    (diffusers' conversion script: 480p 5.0, 720p t2v 9.0, i2v 7.0) and image bucket (640 / 960 pixels)."""
    import json
    from importlib import resources

    import diffusers
    import transformers
    from accelerate import init_empty_weights

    root = resources.files("hollywool.catalog").joinpath("configs")
    expected = {"480p-t2v": (5.0, 640), "480p-i2v": (5.0, 640), "720p-t2v": (9.0, 960), "720p-i2v": (7.0, 960)}
    for name, (shift, target) in expected.items():
        folder = Path(str(root.joinpath(f"hunyuanvideo15-{name}")))
        index = json.loads((folder / "model_index.json").read_text())
        i2v = name.endswith("i2v")
        assert index["_class_name"] == ("HunyuanVideo15ImageToVideoPipeline" if i2v else "HunyuanVideo15Pipeline")
        assert ("image_encoder" in index) is i2v
        assert json.loads((folder / "scheduler/scheduler_config.json").read_text())["shift"] == shift
        transformer_config = json.loads((folder / "transformer/config.json").read_text())
        assert (transformer_config["target_size"], transformer_config["task_type"]) == (target, name[-3:])

    folder = Path(str(root.joinpath("hunyuanvideo15-720p-i2v")))
    cls = diffusers.HunyuanVideo15Transformer3DModel
    with init_empty_weights():
        models = {
            "transformer": cls.from_config(cls.load_config(folder, subfolder="transformer")),
            **{name: getattr(transformers, model_class)(transformers.AutoConfig.from_pretrained(folder / name))
               for name, model_class in (("text_encoder", "Qwen2_5_VLTextModel"), ("text_encoder_2", "T5EncoderModel"),
                                         ("image_encoder", "SiglipVisionModel"))},
        }  # fmt: skip
    counts = {name: sum(p.numel() for p in m.parameters()) / 1e9 for name, m in models.items()}
    assert counts["transformer"] == pytest.approx(8.33, abs=0.01)
    assert counts["text_encoder"] == pytest.approx(7.07, abs=0.01)  # 7.6B with the vision tower and the LM head
    assert counts["text_encoder_2"] == pytest.approx(0.22, abs=0.01)
    assert counts["image_encoder"] == pytest.approx(0.41, abs=0.01)


@pytest.mark.parametrize("tiny", list(CASES))
def test_a_models_folder_lists_the_file_as_hunyuanvideo15_and_pairs_its_files(tiny, tiny_model, tmp_path):
    from diffusers import AutoencoderKLHunyuanVideo15
    from safetensors.torch import save_file

    from hollywool.models.model_folders import scan
    from hollywool.testkit.split_layouts import hunyuanvideo15_vae_to_original, write_hunyuanvideo15_split_files

    model, encoders, vae = write_hunyuanvideo15_split_files(tiny_model(tiny), tmp_path / "models", name=CASES[tiny][0])
    # A VAE file is told by its 32 latent channels (the tiny pipeline's has 4): a small one with the real latent width.
    small = AutoencoderKLHunyuanVideo15(latent_channels=32, block_out_channels=(64, 64, 64, 64, 64), layers_per_block=1)
    state = {k: v.contiguous() for k, v in hunyuanvideo15_vae_to_original(small.state_dict()).items()}
    save_file(state, str(vae))
    found = {f.path: f for f in scan(tmp_path).files}
    diffusion = found[model]
    assert (diffusion.role, diffusion.family, diffusion.problem) == ("diffusion_model", "hunyuanvideo15", None)
    assert diffusion.text_encoders == list(encoders) and diffusion.vae == vae  # the SigLIP file only for i2v
    assert (found[vae].role, found[vae].family, found[vae].problem) == ("vae", "hunyuanvideo15", None)


@pytest.mark.parametrize("keep_fp8", [True, False])
def test_an_fp8_hunyuanvideo15_file_loads_and_samples(keep_fp8, tiny_model, tmp_path):
    """ComfyUI's fp8 file (every large matrix float8_e4m3fn): kept fp8 where asked (the converter only renames and
    splits rows), else upcast; either way it samples a video's latents."""
    import torch

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_hunyuanvideo15_split_files

    folder = tiny_model("hunyuanvideo15")
    model, encoders, vae = write_hunyuanvideo15_split_files(folder, tmp_path / "models", fp8=True)
    pipe, _keys = load_files(
        ModelFiles(model, encoders, vae, folder), "hunyuanvideo15", tmp_path / "configs", torch.float32,
        keep_fp8=keep_fp8,
    )  # fmt: skip
    linear = pipe.transformer.transformer_blocks[0].ff.net[0].proj  # 16 x 32: stored fp8 (small ones bf16)
    assert linear.weight.dtype == (torch.float8_e4m3fn if keep_fp8 else torch.float32)
    latents = pipe(
        "a robot", height=32, width=32, num_frames=5, num_inference_steps=2, output_type="latent",
        generator=torch.Generator().manual_seed(7), return_dict=False,
    )[0]  # fmt: skip
    assert latents.shape == (1, 4, 2, 2, 2) and torch.isfinite(latents).all()


def test_a_gguf_hunyuanvideo15_file_stays_quantized_and_samples(tiny_model, hunyuan_files, tmp_path):
    """A Q8_0 GGUF diffusion model (written with the `gguf` package): diffusers has no single-file loader for this
    transformer, so the studio builds it the way `from_single_file` does; the blocks stay quantized and sample close
    to the folder's own weights."""
    import diffusers
    import torch
    from diffusers.quantizers.gguf.utils import GGUFParameter

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_hunyuanvideo15_gguf

    folder = tiny_model("hunyuanvideo15")
    _model, encoders, vae = hunyuan_files["hunyuanvideo15"]
    gguf_file = write_hunyuanvideo15_gguf(folder, tmp_path / "hunyuanvideo1.5_720p_t2v-Q8_0.gguf")
    pipe, _keys = load_files(
        ModelFiles(gguf_file, encoders, vae, folder), "hunyuanvideo15", tmp_path / "configs", torch.float32,
        keep_fp8=False,
    )  # fmt: skip
    quantized = [p for p in pipe.transformer.parameters() if isinstance(p, GGUFParameter)]
    assert quantized and {p.quant_type.name for p in quantized} == {"Q8_0"}
    ref = diffusers.HunyuanVideo15Pipeline.from_pretrained(folder)
    call = {"prompt": "a robot", "height": 32, "width": 32, "num_frames": 5, "num_inference_steps": 2,
            "output_type": "latent", "return_dict": False}  # fmt: skip
    mine, theirs = (p(generator=torch.Generator().manual_seed(7), **call)[0] for p in (pipe, ref))
    assert torch.isfinite(mine).all() and not torch.equal(mine, theirs)
    assert float((mine - theirs).abs().mean()) < 0.05 * float(theirs.abs().mean())
