"""Chroma, FLUX.2 [klein] and Qwen-Image as the split files ComfyUI users hold, from the tiny diffusers folders.

Each writer returns (diffusion model, text encoder, VAE) under `out_dir`'s `diffusion_models/`, `text_encoders/`
and `vae/`, in the original key layouts (the mappings of hollywool/models/flux_original.py, comfy_layouts.py and
wan_vae_original.py written the other way, independently):

* Chroma: FLUX.1's BFL layout (split_files.flux_to_original) with Chroma's guidance network
  (`distilled_guidance_layer.layers.N.in_layer`, `norms.N.scale`); T5 in transformers' names; FLUX.1's ae.
* FLUX.2 [klein]: BFL's layout under `model.diffusion_model.` (`double_blocks.N.img_attn.qkv`, `img_mlp.0`,
  `single_blocks.N.linear1`, `double_stream_modulation_img.lin`, `final_layer.adaLN_modulation.1` as (shift,
  scale)); Qwen3 in transformers' names without `lm_head`; the VAE in LDM names with the BatchNorm statistics.
* Qwen-Image: diffusers' names under `model.diffusion_model.`; Qwen2.5-VL in ComfyUI's names (`model.layers.N`,
  `visual.blocks.N`, no `lm_head`); the VAE in Wan 2.1's original names (`encoder.downsamples.N.residual.0.gamma`,
  `decoder.upsamples.N`, `conv1`/`conv2` around the latent).
`fp8=True` stores the diffusion model's matrices as float8_e4m3fn (small and 1-D tensors bf16), as fp8 files do.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from hollywool.testkit.single_file import vae_to_ldm
from hollywool.testkit.split_files import flux_to_original

COMFY = "model.diffusion_model."


def _component(folder: Path, name: str) -> dict[str, torch.Tensor]:
    return load_file(next((folder / name).glob("*.safetensors")))


def _config(folder: Path, name: str) -> dict:
    return json.loads((folder / name / "config.json").read_text())


def _save(tensors: dict[str, torch.Tensor], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def _fp8(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    big = lambda v: v.ndim == 2 and v.numel() > 256  # noqa: E731
    return {k: v.to(torch.float8_e4m3fn if big(v) else torch.bfloat16) for k, v in tensors.items()}


def _fp8_mixed(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """ComfyUI's mixed-precision fp8 (flux2_dev_fp8mixed): each large matrix stored as weight / scale in fp8, with
    its `weight_scale`, an `input_scale` and a `comfy_quant` description beside it; the rest bf16."""
    out: dict[str, torch.Tensor] = {}
    for key, value in tensors.items():
        if value.ndim == 2 and value.numel() > 256 and key.endswith(".weight"):
            scale = value.abs().max().float() / 448.0  # the largest float8_e4m3fn value
            out[key] = (value.float() / scale).to(torch.float8_e4m3fn)
            out[key + "_scale"] = scale.reshape(())
            out[key.removesuffix("weight") + "input_scale"] = torch.ones(())
            out[key.removesuffix("weight") + "comfy_quant"] = torch.tensor(
                list(b'{"format": "float8_e4m3fn"}'), dtype=torch.uint8
            )
        else:
            out[key] = value.to(torch.bfloat16)
    return out


def _files(out_dir: Path, name: str, model: dict, text: dict, vae: dict, fp8: bool | str) -> tuple[Path, Path, Path]:
    """`fp8`: True for plain float8_e4m3fn matrices, "mixed" for ComfyUI's scaled mixed-precision fp8."""
    suffix = {True: "_fp8_e4m3fn", "mixed": "_fp8mixed"}.get(fp8, "")
    stored = _fp8_mixed(model) if fp8 == "mixed" else _fp8(model) if fp8 else model
    return (
        _save(stored, out_dir / "diffusion_models" / f"{name}{suffix}.safetensors"),
        _save(text, out_dir / "text_encoders" / f"{name}_text_encoder.safetensors"),
        _save(vae, out_dir / "vae" / f"{name}_vae.safetensors"),
    )


# -- Chroma ---------------------------------------------------------------------------------------------------
def chroma_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    guidance = {k: v for k, v in state.items() if k.startswith("distilled_guidance_layer.")}
    out = flux_to_original({k: v for k, v in state.items() if k not in guidance})
    for key, value in guidance.items():
        parts = key.split(".")
        if parts[1] == "layers":
            parts[3] = {"linear_1": "in_layer", "linear_2": "out_layer"}[parts[3]]
        elif parts[1] == "norms":
            parts[-1] = "scale"
        out[".".join(parts)] = value
    return out


def write_chroma_split_files(
    folder: str | Path, out_dir: str | Path, *, fp8: bool | str = False
) -> tuple[Path, Path, Path]:
    folder = Path(folder)
    model = chroma_to_original(_component(folder, "transformer"))
    text = {k: v for k, v in _component(folder, "text_encoder").items() if k != "encoder.embed_tokens.weight"}
    vae = vae_to_ldm(_component(folder, "vae"), _config(folder, "vae"))
    return _files(Path(out_dir), "chroma-tiny", model, text, vae, fp8)


# -- FLUX.2 ---------------------------------------------------------------------------------------------------
_FLUX2_TOP = (
    ("x_embedder.", "img_in."),
    ("context_embedder.", "txt_in."),
    ("time_guidance_embed.timestep_embedder.linear_1.", "time_in.in_layer."),
    ("time_guidance_embed.timestep_embedder.linear_2.", "time_in.out_layer."),
    ("time_guidance_embed.guidance_embedder.linear_1.", "guidance_in.in_layer."),
    ("time_guidance_embed.guidance_embedder.linear_2.", "guidance_in.out_layer."),
    ("double_stream_modulation_img.linear.", "double_stream_modulation_img.lin."),
    ("double_stream_modulation_txt.linear.", "double_stream_modulation_txt.lin."),
    ("single_stream_modulation.linear.", "single_stream_modulation.lin."),
    ("proj_out.", "final_layer.linear."),
)
_FLUX2_DOUBLE = {
    "attn.norm_q.weight": "img_attn.norm.query_norm.scale",
    "attn.norm_k.weight": "img_attn.norm.key_norm.scale",
    "attn.norm_added_q.weight": "txt_attn.norm.query_norm.scale",
    "attn.norm_added_k.weight": "txt_attn.norm.key_norm.scale",
    "attn.to_out.0.weight": "img_attn.proj.weight",
    "attn.to_add_out.weight": "txt_attn.proj.weight",
    "ff.linear_in.weight": "img_mlp.0.weight",
    "ff.linear_out.weight": "img_mlp.2.weight",
    "ff_context.linear_in.weight": "txt_mlp.0.weight",
    "ff_context.linear_out.weight": "txt_mlp.2.weight",
}
_FLUX2_SINGLE = {
    "attn.to_qkv_mlp_proj.weight": "linear1.weight",
    "attn.to_out.weight": "linear2.weight",
    "attn.norm_q.weight": "norm.query_norm.scale",
    "attn.norm_k.weight": "norm.key_norm.scale",
}


def flux2_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    state = dict(state)
    out: dict[str, torch.Tensor] = {}
    for i in sorted({int(k.split(".")[1]) for k in state if k.startswith("transformer_blocks.")}):
        src, dst = f"transformer_blocks.{i}.", f"double_blocks.{i}."
        out[dst + "img_attn.qkv.weight"] = torch.cat([state.pop(f"{src}attn.to_{p}.weight") for p in "qkv"])
        out[dst + "txt_attn.qkv.weight"] = torch.cat([state.pop(f"{src}attn.add_{p}_proj.weight") for p in "qkv"])
        for rest, name in _FLUX2_DOUBLE.items():
            out[dst + name] = state.pop(src + rest)
    for i in sorted({int(k.split(".")[1]) for k in state if k.startswith("single_transformer_blocks.")}):
        src, dst = f"single_transformer_blocks.{i}.", f"single_blocks.{i}."
        for rest, name in _FLUX2_SINGLE.items():
            out[dst + name] = state.pop(src + rest)
    scale, shift = torch.chunk(state.pop("norm_out.linear.weight"), 2, dim=0)
    out["final_layer.adaLN_modulation.1.weight"] = torch.cat([shift, scale])
    for key in list(state):
        old, new = next((o, n) for o, n in _FLUX2_TOP if key.startswith(o))
        out[new + key[len(old) :]] = state.pop(key)
    return out


def write_flux2_klein_split_files(
    folder: str | Path, out_dir: str | Path, *, fp8: bool | str = False
) -> tuple[Path, Path, Path]:
    folder = Path(folder)
    model = {COMFY + k: v for k, v in flux2_to_original(_component(folder, "transformer")).items()}
    text = {k: v for k, v in _component(folder, "text_encoder").items() if not k.startswith("lm_head.")}
    vae_state = _component(folder, "vae")
    vae = {k: v for k, v in vae_to_ldm(vae_state, _config(folder, "vae")).items() if "num_batches_tracked" not in k}
    return _files(Path(out_dir), "flux-2-klein-tiny", model, text, vae, fp8)


def write_flux2_dev_split_files(
    folder: str | Path, out_dir: str | Path, *, fp8: bool | str = False, vision: bool = False, tokenizer: bool = False
) -> tuple[Path, Path, Path]:
    """FLUX.2 [dev]: the klein layout's transformer and VAE; Mistral 3 as ComfyUI keeps it (`model.layers.N`,
    `model.embed_tokens`, `model.norm`), without `lm_head`; its vision tower (`vision_tower.`,
    `multi_modal_projector.`) only when `vision`. `tokenizer`: the Mistral file carries the folder's vocabulary as
    tekken.json's bytes (`tekken_model`, uint8), as ComfyUI's mistral_3_small_flux2 files do (testkit/tekken.py)."""
    folder = Path(folder)
    model = {COMFY + k: v for k, v in flux2_to_original(_component(folder, "transformer")).items()}
    text: dict[str, torch.Tensor] = {}
    for key, value in _component(folder, "text_encoder").items():  # transformers 5 saves Mistral 3 in the old layout
        for old in ("language_model.model.", "model.language_model."):
            if key.startswith(old):
                text["model." + key.removeprefix(old)] = value
        if vision and key.startswith(("vision_tower.", "multi_modal_projector.", "model.vision_tower.")):
            text[key.removeprefix("model.")] = value
    if tokenizer:
        from hollywool.testkit.tekken import tekken_json

        data = tekken_json(folder / "tokenizer" / "tokenizer.json")
        text["tekken_model"] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    vae_state = _component(folder, "vae")
    vae = {k: v for k, v in vae_to_ldm(vae_state, _config(folder, "vae")).items() if "num_batches_tracked" not in k}
    return _files(Path(out_dir), "flux2-dev-tiny", model, text, vae, fp8)


# -- Qwen-Image -----------------------------------------------------------------------------------------------
_RESNET = {"norm1.": "residual.0.", "conv1.": "residual.2.", "norm2.": "residual.3.", "conv2.": "residual.6."}


def _resnet_to_original(rest: str) -> str:
    for new, old in _RESNET.items():
        if rest.startswith(new):
            return old + rest[len(new) :]
    return rest.replace("conv_shortcut.", "shortcut.", 1)


def qwen_vae_to_original(state: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """diffusers' AutoencoderKLQwenImage names -> Wan 2.1's: the decoder's grouped up blocks flattened again."""
    per_level = config["num_res_blocks"] + 1
    levels = len(config["dim_mult"])
    # The original's flat index of each up block's first resnet and of its upsampler.
    starts = [level * (per_level + 1) for level in range(levels)]
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if key.startswith(("quant_conv.", "post_quant_conv.")):
            new = ("conv1." if key.startswith("quant_conv.") else "conv2.") + ".".join(parts[1:])
        elif parts[1] in ("conv_in", "norm_out", "conv_out"):
            name = {"conv_in": "conv1", "norm_out": "head.0", "conv_out": "head.2"}[parts[1]]
            new = f"{parts[0]}.{name}.{'.'.join(parts[2:])}"
        elif parts[1] == "mid_block":
            index = 1 if parts[2] == "attentions" else 2 * int(parts[3])
            rest = ".".join(parts[4:])
            new = f"{parts[0]}.middle.{index}.{rest if index == 1 else _resnet_to_original(rest)}"
        elif parts[1] == "down_blocks":
            new = f"encoder.downsamples.{parts[2]}.{_resnet_to_original('.'.join(parts[3:]))}"
        elif parts[1] == "up_blocks":
            level = int(parts[2])
            if parts[3] == "upsamplers":
                new = f"decoder.upsamples.{starts[level] + per_level}.{'.'.join(parts[5:])}"
            else:
                rest = _resnet_to_original(".".join(parts[5:]))
                new = f"decoder.upsamples.{starts[level] + int(parts[4])}.{rest}"
        else:
            raise KeyError(f"no Wan 2.1 name for {key!r}")
        out[new] = value
    return out


def write_qwen_image_split_files(
    folder: str | Path,
    out_dir: str | Path,
    *,
    fp8: bool | str = False,
    name: str = "qwen_image_tiny",
    zero_cond_marker: bool = False,
) -> tuple[Path, Path, Path]:
    """`name`: the files' stem (an edit model's says "edit"); `zero_cond_marker`: ComfyUI's empty
    `__index_timestep_zero__` tensor, which Qwen-Image-Edit 2511's files carry."""
    folder = Path(folder)
    model = {COMFY + k: v for k, v in _component(folder, "transformer").items()}
    if zero_cond_marker:
        model[COMFY + "__index_timestep_zero__"] = torch.tensor([])
    text: dict[str, torch.Tensor] = {}
    for key, value in _component(folder, "text_encoder").items():
        if key.startswith("lm_head."):
            continue
        text[key.replace("model.language_model.", "model.", 1).replace("model.visual.", "visual.", 1)] = value
    vae = qwen_vae_to_original(_component(folder, "vae"), _config(folder, "vae"))
    return _files(Path(out_dir), name, model, text, vae, fp8)


# -- Wan 2.2 TI2V-5B ------------------------------------------------------------------------------------------
def wan22_vae_to_original(state: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """diffusers' residual AutoencoderKLWan names -> Wan 2.2's: per-level lists of residual blocks + resample."""
    nested: dict[str, torch.Tensor] = {}
    rest_state: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[1] in ("down_blocks", "up_blocks"):
            word = "down" if parts[1] == "down_blocks" else "up"
            resnets = config["num_res_blocks"] + (0 if word == "down" else 1)
            if parts[3] == "resnets":
                index, rest = int(parts[4]), _resnet_to_original(".".join(parts[5:]))
            else:  # downsampler / upsampler: after the residual blocks
                index, rest = resnets, ".".join(parts[4:])
            nested[f"{parts[0]}.{word}samples.{parts[2]}.{word}samples.{index}.{rest}"] = value
        else:
            rest_state[key] = value
    return nested | qwen_vae_to_original(rest_state, config)


def write_wan22_split_files(
    folder: str | Path, out_dir: str | Path, *, fp8: bool | str = False, tokenizer: bool = False
) -> tuple[Path, Path, Path]:
    """Wan 2.2 TI2V-5B: the transformer in Wan's original names under ComfyUI's prefix, UMT5 in transformers' names,
    the VAE in Wan 2.2's original names. `tokenizer`: the UMT5 file carries the sentencepiece model as `spiece_model`
    (its bytes as uint8), as ComfyUI's umt5_xxl files do (the test kit's T5 tokenizer, the tiny folders' source)."""
    from hollywool.testkit.original_layouts import wan_to_original

    folder = Path(folder)
    model = {COMFY + k: v for k, v in wan_to_original(_component(folder, "transformer")).items()}
    text = {k: v for k, v in _component(folder, "text_encoder").items() if k != "encoder.embed_tokens.weight"}
    if tokenizer:
        import tempfile

        from hollywool.testkit.tokenizers import write_t5_tokenizer

        with tempfile.TemporaryDirectory() as tmp:
            data = (write_t5_tokenizer(tmp) / "spiece.model").read_bytes()
        text["spiece_model"] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    vae = wan22_vae_to_original(_component(folder, "vae"), _config(folder, "vae"))
    return _files(Path(out_dir), "wan2.2_ti2v_tiny", model, text, vae, fp8)


# -- HunyuanVideo 1.5 -----------------------------------------------------------------------------------------
# diffusers -> Tencent's names, written the other way from hollywool/models/hunyuanvideo15_original.py.
_HY_BLOCK = {
    "norm1.linear.": "img_mod.linear.",
    "norm1_context.linear.": "txt_mod.linear.",
    "attn.norm_q.": "img_attn_q_norm.",
    "attn.norm_k.": "img_attn_k_norm.",
    "attn.norm_added_q.": "txt_attn_q_norm.",
    "attn.norm_added_k.": "txt_attn_k_norm.",
    "attn.to_q.": "img_attn_q.",
    "attn.to_k.": "img_attn_k.",
    "attn.to_v.": "img_attn_v.",
    "attn.to_out.0.": "img_attn_proj.",
    "attn.add_q_proj.": "txt_attn_q.",
    "attn.add_k_proj.": "txt_attn_k.",
    "attn.add_v_proj.": "txt_attn_v.",
    "attn.to_add_out.": "txt_attn_proj.",
    "ff.net.0.proj.": "img_mlp.fc1.",
    "ff.net.2.": "img_mlp.fc2.",
    "ff_context.net.0.proj.": "txt_mlp.fc1.",
    "ff_context.net.2.": "txt_mlp.fc2.",
}
_HY_REFINER = {
    "norm1.": "norm1.",
    "norm2.": "norm2.",
    "attn.to_out.0.": "self_attn_proj.",
    "ff.net.0.proj.": "mlp.fc1.",
    "ff.net.2.": "mlp.fc2.",
    "norm_out.linear.": "adaLN_modulation.1.",
}
_HY_TOP = {
    "time_embed.timestep_embedder.linear_1.": "time_in.mlp.0.",
    "time_embed.timestep_embedder.linear_2.": "time_in.mlp.2.",
    "context_embedder.time_text_embed.timestep_embedder.linear_1.": "txt_in.t_embedder.mlp.0.",
    "context_embedder.time_text_embed.timestep_embedder.linear_2.": "txt_in.t_embedder.mlp.2.",
    "context_embedder.time_text_embed.text_embedder.": "txt_in.c_embedder.",
    "context_embedder.proj_in.": "txt_in.input_embedder.",
    "context_embedder_2.norm.": "byt5_in.layernorm.",
    "context_embedder_2.linear_1.": "byt5_in.fc1.",
    "context_embedder_2.linear_2.": "byt5_in.fc2.",
    "context_embedder_2.linear_3.": "byt5_in.fc3.",
    "image_embedder.norm_in.": "vision_in.proj.0.",
    "image_embedder.linear_1.": "vision_in.proj.1.",
    "image_embedder.linear_2.": "vision_in.proj.3.",
    "image_embedder.norm_out.": "vision_in.proj.4.",
    "x_embedder.proj.": "img_in.proj.",
    "cond_type_embed.": "cond_type_embedding.",
    "proj_out.": "final_layer.linear.",
}


def _renamed(rest: str, table: dict[str, str]) -> str:
    old = next(o for o in table if rest.startswith(o))
    return table[old] + rest[len(old) :]


def hunyuanvideo15_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """diffusers' HunyuanVideo15Transformer3DModel -> Tencent's layout: refiner q/k/v fused into `self_attn_qkv`, the
    final modulation stored as (shift, scale)."""
    out: dict[str, torch.Tensor] = {}
    refiner = "context_embedder.token_refiner.refiner_blocks."
    for key, value in state.items():
        if key.startswith("transformer_blocks."):
            _, index, rest = key.split(".", 2)
            out[f"double_blocks.{index}.{_renamed(rest, _HY_BLOCK)}"] = value
        elif key.startswith(refiner):
            index, rest = key.removeprefix(refiner).split(".", 1)
            block = f"txt_in.individual_token_refiner.blocks.{index}."
            if rest.startswith(("attn.to_q.", "attn.to_k.", "attn.to_v.")):
                if rest.startswith("attn.to_q."):
                    kind = rest.removeprefix("attn.to_q.")
                    parts = [state[f"{refiner}{index}.attn.to_{p}.{kind}"] for p in "qkv"]
                    out[f"{block}self_attn_qkv.{kind}"] = torch.cat(parts)
            else:
                out[block + _renamed(rest, _HY_REFINER)] = value
        elif key.startswith("norm_out.linear."):
            scale, shift = value.chunk(2)
            out["final_layer.adaLN_modulation.1." + key.rsplit(".", 1)[1]] = torch.cat([shift, scale])
        else:
            out[_renamed(key, _HY_TOP)] = value
    return out


def hunyuanvideo15_vae_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """diffusers' AutoencoderKLHunyuanVideo15 -> the original names (`encoder.down.N.block.M`, `mid.block_1`,
    `mid.attn_1.q`, `decoder.up.N.upsample`)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[1] in ("down_blocks", "up_blocks"):
            level, word = parts[2], "down" if parts[1] == "down_blocks" else "up"
            if parts[3] == "resnets":
                new = f"{parts[0]}.{word}.{level}.block.{parts[4]}.{'.'.join(parts[5:])}"
            else:  # downsamplers.0 / upsamplers.0
                new = f"{parts[0]}.{word}.{level}.{word}sample.{'.'.join(parts[5:])}"
        elif parts[1] == "mid_block":
            if parts[2] == "resnets":
                new = f"{parts[0]}.mid.block_{int(parts[3]) + 1}.{'.'.join(parts[4:])}"
            else:
                rest = ".".join(parts[4:])
                new = f"{parts[0]}.mid.attn_1.{rest.removeprefix('to_')}"
        else:
            new = key
        out[new] = value
    return out


def write_hunyuanvideo15_split_files(
    folder: str | Path, out_dir: str | Path, *, name: str = "hunyuanvideo1.5_720p_t2v", fp8: bool = False
) -> tuple[Path, tuple[Path, ...], Path]:
    """HunyuanVideo 1.5 as ComfyUI users hold it: (diffusion model, text encoders, VAE).

    The transformer in Tencent's names under ComfyUI's prefix (`name` is the file's stem: ComfyUI's names say t2v or
    i2v); Qwen2.5-VL in ComfyUI's names (`model.layers.N`, `model.embed_tokens`); the ByT5 glyph encoder in
    transformers' names without the tied `encoder.embed_tokens`; the VAE in its original names. An image-to-video
    folder also gives its SigLIP image encoder, as ComfyUI's `clip_vision/` file (transformers' `vision_model.` names),
    after the two text encoders."""
    folder, out_dir = Path(folder), Path(out_dir)
    model = {COMFY + k: v for k, v in hunyuanvideo15_to_original(_component(folder, "transformer")).items()}
    if fp8:
        model = _fp8(model)
    qwen = {"model." + k: v for k, v in _component(folder, "text_encoder").items()}
    byt5 = {k: v for k, v in _component(folder, "text_encoder_2").items() if k != "encoder.embed_tokens.weight"}
    encoders = [
        _save(qwen, out_dir / "text_encoders" / "qwen_2.5_vl_7b_tiny.safetensors"),
        _save(byt5, out_dir / "text_encoders" / "byt5_small_glyphxl_tiny.safetensors"),
    ]
    if (folder / "image_encoder").is_dir():
        siglip = {"vision_model." + k: v for k, v in _component(folder, "image_encoder").items()}
        encoders.append(_save(siglip, out_dir / "clip_vision" / "sigclip_vision_patch14_384_tiny.safetensors"))
    suffix = "_fp8_e4m3fn" if fp8 else "_fp16"
    return (
        _save(model, out_dir / "diffusion_models" / f"{name}{suffix}.safetensors"),
        tuple(encoders),
        _save(
            hunyuanvideo15_vae_to_original(_component(folder, "vae")),
            out_dir / "vae" / "hunyuanvideo15_vae_tiny.safetensors",
        ),
    )


def write_hunyuanvideo15_gguf(folder: str | Path, out_path: str | Path) -> Path:
    """The tiny HunyuanVideo 1.5 transformer in Tencent's names as a GGUF file: Q8_0 where a row splits into 32-wide
    blocks (its 2048-wide glyph projection), float32 elsewhere, as the quantizers' small tensors are."""
    import numpy as np

    from hollywool.testkit.gguf_files import write_gguf  # it imports this module's layouts

    original = hunyuanvideo15_to_original(_component(Path(folder), "transformer"))
    return write_gguf(original, out_path, "Q8_0", "hyvid15", fallback="Q8_0", unquantized=np.float32)
