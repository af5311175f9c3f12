"""The files users hold: split FLUX files (diffusion model + text encoders + VAE), fp8 and GGUF, `type` read
from the files. Every file is written by the test in the layout real files use (hollywool/testkit/split_files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hollywool.errors import InvalidInputError
from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run, submit, wait_job


@pytest.fixture(scope="module")
def flux_files(tiny_model, tmp_path_factory) -> dict[str, Path]:
    from hollywool.testkit import split_files as kit

    folder = tiny_model("flux")
    root = tmp_path_factory.mktemp("comfy-flux")
    clip, t5 = kit.write_flux_text_encoders(folder, root / "text_encoders")
    return {
        "model": kit.write_flux_diffusion_model(folder, root / "diffusion_models" / "flux1-tiny.safetensors"),
        "fp8": kit.write_flux_diffusion_model(
            folder, root / "diffusion_models" / "flux1-tiny-fp8.safetensors", fp8=True, comfy_prefix=True
        ),
        "fp8-scaled": kit.write_flux_diffusion_model(
            folder, root / "diffusion_models" / "flux1-tiny-fp8-scaled.safetensors", fp8=True, scaled=True
        ),
        **{
            q: kit.write_flux_gguf(folder, root / "diffusion_models" / f"flux1-tiny-{q}.gguf", q)
            for q in ("Q8_0", "Q5_K", "Q4_K")
        },
        "clip": clip,
        "t5": t5,
        "vae": kit.write_flux_vae(folder, root / "vae" / "ae.safetensors"),
    }


def _entry(flux_files, model: str, tiny_model, **extra) -> dict:
    """A config.yaml entry naming split files; no `type` (read from the keys). The tiny model's folder stands in
    for the shipped FLUX.1 config (its JSON and tokenizers; its weights are not read)."""
    return {
        "name": f"Split {model}",
        "path": str(flux_files[model]),
        "text_encoders": [str(flux_files["t5"]), str(flux_files["clip"])],  # in any order: kinds decide
        "vae": str(flux_files["vae"]),
        "config": str(tiny_model("flux")),
        "default_steps": 2,
        "default_guidance": 3.5,
        **extra,
    }


def test_split_fp8_and_gguf_files_generate_through_the_api(register_models, make_client, flux_files, tiny_model):
    config = register_models({"tiny-flux": "flux"})
    add_user_models(
        config,
        {
            f"split-{name}": _entry(flux_files, name, tiny_model)
            for name in ("model", "fp8", "fp8-scaled", "Q8_0", "Q5_K", "Q4_K")
        },
    )
    client = make_client()
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert models["split-model"]["type"] == "flux" and models["split-Q4_K"]["source"] == "file"
    assert models["split-model"]["vae"] == str(flux_files["vae"]) and len(models["split-model"]["text_encoders"]) == 2

    params = {"width": 64, "height": 64, "seed": 5, "guidance_scale": 3.5}
    folder = pixels(client, run(client, model="tiny-flux", **params))
    split = pixels(client, run(client, model="split-model", **params))
    assert mean_abs_diff(split, folder) < 0.5  # the same weights, original layout: the same image
    assert mean_abs_diff(pixels(client, run(client, model="split-Q8_0", **params)), folder) < 2.0
    fp8 = pixels(client, run(client, model="split-fp8", **params))
    assert 0 < mean_abs_diff(fp8, folder) < 8.0  # rounded to fp8: close, not equal
    scaled = pixels(client, run(client, model="split-fp8-scaled", **params))
    assert 0 < mean_abs_diff(scaled, folder) < 8.0  # the per-layer scales were applied (ignored: noise)
    for quant in ("Q5_K", "Q4_K"):  # random Q5_K blocks; Q4_K rounded coarsely: only that they run
        assert run(client, model=f"split-{quant}", **params)["images"]

    # The text encoders and the VAE were read from the same files: loaded once, shared by the split models.
    status = client.get("/api/models/cache-status").json()
    shared = {m["model_id"]: m["shared_components"] for m in status["models"]}
    assert any({"text_encoder", "text_encoder_2", "vae"} <= set(names) for names in shared.values())


def test_gguf_stays_quantized_and_fp8_stays_fp8_when_kept(flux_files, tiny_model, tmp_path):
    """What the CUDA path does (keep fp8, layerwise upcasting), run on the CPU: the weights stay 1 byte."""
    import torch
    from diffusers.quantizers.gguf.utils import GGUFParameter

    from hollywool.models.split_files import ModelFiles, load_files

    def load(model: str, keep_fp8: bool):
        files = ModelFiles(flux_files[model], (flux_files["clip"], flux_files["t5"]), flux_files["vae"],
                           tiny_model("flux"))  # fmt: skip
        pipe, _keys = load_files(files, "flux", tmp_path, torch.float32, keep_fp8=keep_fp8)
        return pipe

    gguf = load("Q4_K", keep_fp8=False).transformer
    quant = {type(p).__name__: p for p in gguf.parameters() if isinstance(p, GGUFParameter)}
    assert quant, "GGUF weights were dequantized at load"
    types = {p.quant_type.name for p in gguf.parameters() if isinstance(p, GGUFParameter)}
    assert types == {"Q4_K", "Q8_0"}  # the 256-wide rows are Q4_K; the rest fell back to Q8_0, as converters do

    pipe = load("fp8", keep_fp8=True)
    linear = pipe.transformer.transformer_blocks[0].attn.to_q
    assert linear.weight.dtype == torch.float8_e4m3fn
    assert pipe.text_encoder.embeddings.token_embedding.weight.dtype == torch.float32
    image = pipe("a cat", height=32, width=32, num_inference_steps=2, output_type="np").images[0]
    assert image.shape == (32, 32, 3) and linear.weight.dtype == torch.float8_e4m3fn

    upcast = load("fp8", keep_fp8=False).transformer.transformer_blocks[0].attn.to_q
    assert upcast.weight.dtype == torch.float32
    scaled = load("fp8-scaled", keep_fp8=True).transformer.transformer_blocks[0].attn.to_q
    assert scaled.weight.dtype == torch.float32  # scaled fp8 is upcast with its scales, never kept as is


def test_fp8_text_encoders_stay_fp8_but_what_must_compute_in_full(flux_files, tiny_model, tmp_path):
    """`t5xxl_fp8_e4m3fn.safetensors` as ComfyUI ships it: every matrix fp8. Kept, the linear layers stay 1 byte;
    embeddings, norms and T5's `wo` (transformers casts `wo`'s input to its weight dtype) are upcast."""
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file

    from hollywool.models.split_files import ModelFiles, load_files

    encoders = []
    for name in ("clip", "t5"):
        state = {k: v.to(torch.float8_e4m3fn) if v.ndim == 2 else v for k, v in load_file(flux_files[name]).items()}
        encoders.append(tmp_path / f"{flux_files[name].stem}_fp8_e4m3fn.safetensors")
        save_file(state, str(encoders[-1]))
    files = ModelFiles(flux_files["fp8"], tuple(encoders), flux_files["vae"], tiny_model("flux"))
    pipe, _keys = load_files(files, "flux", tmp_path / "configs", torch.float32, keep_fp8=True)
    t5 = pipe.text_encoder_2
    assert t5.encoder.block[0].layer[0].SelfAttention.q.weight.dtype == torch.float8_e4m3fn
    assert t5.encoder.block[0].layer[1].DenseReluDense.wo.weight.dtype == torch.float32
    assert t5.shared.weight.dtype == torch.float32 and t5.encoder.embed_tokens.weight.dtype == torch.float32
    clip = pipe.text_encoder
    assert clip.encoder.layers[0].self_attn.q_proj.weight.dtype == torch.float8_e4m3fn
    assert clip.embeddings.token_embedding.weight.dtype == torch.float32
    image = pipe("a cat", height=32, width=32, num_inference_steps=2, output_type="np").images[0]
    assert np.isfinite(image).all() and image.std() > 0


def test_a_whole_fp8_checkpoint_is_assembled_from_its_own_parts(flux_files, tiny_model, tmp_path):
    """A whole FLUX checkpoint as ComfyUI saves one (`flux1-dev-fp8.safetensors`: `model.diffusion_model.*`,
    `text_encoders.clip_l.transformer.*`, `text_encoders.t5xxl.transformer.*` in fp8, `vae.*`): each part is
    read from its keys; kept, the fp8 parts are read as stored and stay fp8 while the VAE is read in the run dtype."""
    import torch
    from safetensors.torch import load_file, save_file

    from hollywool.models.precision import footprints, measure_single_file
    from hollywool.models.split_files import ModelFiles, load_files

    def fp8(tensors: dict, prefix: str) -> dict:
        return {prefix + k: v.to(torch.float8_e4m3fn) if v.ndim == 2 else v for k, v in tensors.items()}

    whole = (
        load_file(flux_files["fp8"])
        | fp8(load_file(flux_files["clip"]), "text_encoders.clip_l.transformer.")
        | fp8(load_file(flux_files["t5"]), "text_encoders.t5xxl.transformer.")
        | {f"vae.{k}": v for k, v in load_file(flux_files["vae"]).items()}
    )
    path = tmp_path / "flux1-tiny-fp8-whole.safetensors"
    save_file(whole, str(path))
    files = ModelFiles(path, config=tiny_model("flux"))
    pipe, keys = load_files(files, "flux", tmp_path / "configs", torch.float32, keep_fp8=True)
    assert pipe.transformer.transformer_blocks[0].attn.to_q.weight.dtype == torch.float8_e4m3fn
    assert pipe.text_encoder_2.encoder.block[0].layer[0].SelfAttention.q.weight.dtype == torch.float8_e4m3fn
    assert pipe.vae.decoder.conv_in.weight.dtype == torch.float32
    assert keys["text_encoder"] != keys["text_encoder_2"]  # parts of one file are told apart when shared
    params = {"height": 32, "width": 32, "num_inference_steps": 2, "output_type": "np"}
    params["generator"] = torch.Generator().manual_seed(0)
    image = pipe("a cat", **params).images[0]
    assert image.shape == (32, 32, 3)
    # The memory plan's measure: the denoiser and text encoders stored in fp8 and kept so take one byte a
    # parameter; the VAE, never cast, takes the run dtype's four.
    parts = {need.name: need for need in measure_single_file(path)}
    assert {name: need.stored for name, need in parts.items()} == {"model": "fp8", "text_encoder": "fp8", "vae": "fp32"}
    castable = sum(v.numel() for k, v in whole.items() if not k.startswith("vae."))
    native, kept = footprints(parts.values(), "float32")
    assert kept.total_bytes == native.total_bytes - 3 * castable

    # The same file upcast (the CPU) gives the same image, but for the biases layerwise casting stores in fp8.
    upcast, _keys = load_files(files, "flux", tmp_path / "configs", torch.float32, keep_fp8=False)
    again = upcast("a cat", **{**params, "generator": torch.Generator().manual_seed(0)}).images[0]
    assert abs(again - image).max() < 0.02


def test_memory_estimates_count_fp8_at_one_byte_and_gguf_as_stored(flux_files):
    """Split files are measured by the memory plan's one rule (precision.py), each file on its own."""
    from hollywool.models.precision import footprints, measure_files
    from hollywool.models.weight_files import read_weight_file

    fp8 = read_weight_file(flux_files["fp8"])
    assert fp8.is_fp8 and fp8.precision == "fp8"
    params = sum(t.numel for t in fp8.tensors.values())
    model = measure_files("transformer", [flux_files["fp8"]])
    assert model is not None and (model.params, model.stored) == (params, "fp8")
    assert model.bytes_at("fp8", "bfloat16") == params and model.bytes_at("native", "bfloat16") == 2 * params
    # Where the device keeps fp8 files as they are (CUDA), the plan in the run dtype counts them at one byte too.
    assert model.bytes_at("native", "bfloat16", keep_fp8=True) == params
    # A scaled file (weights times a per-layer scale) is upcast at load: the run dtype's bytes, kept or not.
    scaled = measure_files("transformer", [flux_files["fp8-scaled"]])
    assert scaled is not None and scaled.stored == "fp8_scaled" and scaled.params > params  # plus its scales
    assert scaled.castable and scaled.bytes_at("native", "bfloat16", keep_fp8=True) == 2 * scaled.params
    gguf = measure_files("transformer", [flux_files["Q8_0"]])
    assert gguf is not None and gguf.stored == "gguf" and not gguf.castable
    assert gguf.bytes_at("native", "float32") == gguf.bytes_at("fp8", "float32") == flux_files["Q8_0"].stat().st_size
    full = measure_files("transformer", [flux_files["model"]])
    assert full is not None and gguf.bytes_at("native", "float32") < full.bytes_at("native", "float32") / 2
    # The split entry: the diffusion model, each text encoder (castable) and the VAE (never cast).
    needs = [model, *(measure_files(f"text_encoder_{i}", [flux_files[k]]) for i, k in ((1, "clip"), (2, "t5")))]
    vae = measure_files("vae", [flux_files["vae"]])
    assert all(needs) and vae is not None and not vae.castable
    native, kept = footprints([*needs, vae], "bfloat16")
    assert kept.total_bytes == native.total_bytes - sum(n.params for n in needs if n)
    # On CUDA the fp8 file is already fp8 in the best plan, and says so.
    on_gpu = footprints([*needs, vae], "bfloat16", keep_fp8=True)[0]
    assert on_gpu.total_bytes == native.total_bytes - model.params
    assert on_gpu.label == "bfloat16, fp8 file (transformer)" and native.label == "bfloat16"


def test_a_diffusion_model_alone_says_what_it_lacks(register_models, make_client, flux_files, tiny_model):
    config = register_models({"tiny-sd": "sd15"})
    add_user_models(
        config,
        {
            "alone": {"name": "Alone", "path": str(flux_files["Q8_0"]), "config": str(tiny_model("flux"))},
            "no-t5": _entry(flux_files, "model", tiny_model, text_encoders=[str(flux_files["clip"])]),
        },
    )
    client = make_client()
    alone = wait_job(client, submit(client, model="alone", width=64, height=64))
    assert alone["status"] == "failed"
    assert "CLIP text encoder" in alone["error"] and "T5 text encoder" in alone["error"] and "VAE" in alone["error"]
    no_t5 = wait_job(client, submit(client, model="no-t5", width=64, height=64))
    assert "T5 text encoder (such as t5xxl.safetensors)" in no_t5["error"] and "CLIP" not in no_t5["error"]


def test_type_is_read_from_a_folder_or_a_file_when_left_out(tiny_model, flux_files, tmp_path):
    from hollywool.models.catalog import Catalog
    from hollywool.models.model_type import infer_type
    from tests.kit.studio import write_user_config

    assert infer_type(str(tiny_model("flux"))) == "flux"
    assert infer_type(str(tiny_model("sdxl"))) == "sdxl"
    assert infer_type(str(tiny_model("wan"))) == "wan"
    assert infer_type(str(flux_files["Q4_K"])) == "flux"
    assert infer_type("black-forest-labs/FLUX.1-dev") is None  # a hub id is not read
    config = write_user_config(
        tmp_path,
        {
            "folder": {"name": "F", "path": str(tiny_model("sd15"))},
            "gguf": {"name": "G", "path": str(flux_files["Q8_0"])},
            "hub": {"name": "H", "path": "acme/unknown"},
        },
    )
    catalog = Catalog(config)
    assert catalog.get("folder").type == "sd" and catalog.get("gguf").type == "flux"
    assert catalog.get("gguf").source == "file"
    assert [s.id for s in catalog.skipped] == ["hub"] and "no `type`" in catalog.skipped[0].reason


def test_the_shipped_flux_config_needs_a_t5_tokenizer_and_says_where(tmp_path):
    from hollywool.models.single_file import shipped_config
    from hollywool.models.split_files import check_tokenizers

    flux = shipped_config("flux1", tmp_path)
    assert (flux / "tokenizer" / "vocab.json").exists() and not (flux / "tokenizer_2" / "vocab.json").exists()
    with pytest.raises(InvalidInputError, match="tokenizer_2 has no tokenizer files"):
        check_tokenizers(flux)
    from hollywool.testkit.tokenizers import write_t5_tokenizer

    write_t5_tokenizer(flux / "tokenizer_2")  # what a user copies there
    check_tokenizers(flux)
    assert (shipped_config("flux1-schnell", tmp_path) / "transformer" / "config.json").exists()


def test_flux_original_layout_maps_like_diffusers_at_full_size():
    """Our FLUX.1 mapping (widths from the config) and diffusers' (full size only) agree on the real model,
    built on the meta device from the shipped config and written back in BFL's layout."""
    from importlib import resources

    import torch
    from diffusers import FluxTransformer2DModel
    from diffusers.loaders.single_file_utils import convert_flux_transformer_checkpoint_to_diffusers

    from hollywool.models.flux_original import flux1_to_diffusers
    from hollywool.testkit.split_files import flux_to_original

    with resources.as_file(resources.files("hollywool.catalog").joinpath("configs/flux1")) as root:
        config = FluxTransformer2DModel.load_config(root / "transformer")
    with torch.device("meta"):
        model = FluxTransformer2DModel.from_config(config)
        original = flux_to_original(model.state_dict())
        ours = flux1_to_diffusers({f"model.diffusion_model.{k}": v for k, v in original.items()}, config)
        theirs = convert_flux_transformer_checkpoint_to_diffusers(dict(original))
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    assert set(ours) == set(model.state_dict())


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        # Parameter counts of the released FLUX.1 models: transformer, VAE (ae.safetensors), CLIP-L, T5-XXL encoder.
        ("flux1", {"transformer": 11_901_408_320, "vae": 83_819_683, "text_encoder": 123_060_480,
                   "text_encoder_2": 4_762_310_656}),
        ("flux1-schnell", {"transformer": 11_901_408_320 - 10_229_760, "vae": 83_819_683,
                           "text_encoder": 123_060_480, "text_encoder_2": 4_762_310_656}),
    ],
)  # fmt: skip
def test_shipped_flux_configs_match_the_real_models_parameter_counts(arch, expected):
    from importlib import resources

    import torch
    from diffusers import AutoencoderKL, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    with resources.as_file(resources.files("hollywool.catalog").joinpath(f"configs/{arch}")) as root:
        counts = {}
        with torch.device("meta"):
            for name, cls in (("transformer", FluxTransformer2DModel), ("vae", AutoencoderKL)):
                counts[name] = _params(cls.from_config(cls.load_config(root / name)))
            counts["text_encoder"] = _params(CLIPTextModel(CLIPTextConfig.from_pretrained(root / "text_encoder")))
            t5 = T5EncoderModel(T5Config.from_pretrained(root / "text_encoder_2"))
            counts["text_encoder_2"] = sum(p.numel() for p in t5.parameters())  # the shared embedding once
    assert counts == expected


def _params(module) -> int:
    return sum(p.numel() for p in module.parameters())
