"""Text-encoder files as ComfyUI keeps them (`models/text_encoders/`): what kind each is, and loading one.

ComfyUI's text-encoder files (`clip_l.safetensors`, `t5xxl_fp16.safetensors`, ...) use transformers'
key names, sometimes under a prefix (`text_model.`, `transformer.`, `cond_stage_model.`); keys are
matched to the model's by their longest known suffix, and the two names of a tied embedding (T5's
`shared` and `encoder.embed_tokens`) fill each other. A kind is recognised from the key names alone;
families name the kinds their slots take (families/split.py), and a family module may register a kind
of its own with `register_kind`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from hollywool.errors import InvalidInputError
from hollywool.models.gguf_text_encoders import VISION, read_gguf_text_encoder
from hollywool.models.quantized import is_scaled_fp8, keep_fp8_layers, unscale_fp8
from hollywool.models.state_dict import read_state_dict

# shapes -> the encoder's width when the file is of this kind, else None
KindTest = Callable[[Mapping[str, list[int]]], int | None]

_CLIP_LAYER = re.compile(r"(^|\.)encoder\.layers\.0\.self_attn\.q_proj\.weight$")
# Each in transformers' names and in llama.cpp's (GGUF files: `enc.blk.N.attn_q`, `blk.N.attn_q`, `token_embd`).
_T5_Q = re.compile(r"(^|\.)encoder\.block\.0\.layer\.0\.SelfAttention\.q\.weight$|^enc\.blk\.0\.attn_q\.weight$")
_UMT5_BIAS = re.compile(
    r"(^|\.)encoder\.block\.1\.layer\.0\.SelfAttention\.relative_attention_bias\.weight$|^enc\.blk\.1\.attn_rel_b\.weight$"
)
_LLM_LAYER = re.compile(r"(^|\.)layers\.0\.self_attn\.q_proj\.weight$|^blk\.0\.attn_q\.weight$")


def _width(shapes: Mapping[str, list[int]], pattern: re.Pattern[str]) -> int | None:
    for key, shape in shapes.items():
        if pattern.search(key) and len(shape) == 2:
            return int(shape[1])
    return None


def _clip(shapes: Mapping[str, list[int]]) -> int | None:
    return _width(shapes, _CLIP_LAYER) if any(k.endswith("token_embedding.weight") for k in shapes) else None


def _t5(shapes: Mapping[str, list[int]]) -> int | None:
    return None if any(_UMT5_BIAS.search(k) for k in shapes) else _width(shapes, _T5_Q)


def _umt5(shapes: Mapping[str, list[int]]) -> int | None:
    return _width(shapes, _T5_Q) if any(_UMT5_BIAS.search(k) for k in shapes) else None


def _decoder_llm(shapes: Mapping[str, list[int]]) -> int | None:
    """Llama-style decoders used as text encoders (Qwen, Mistral, Gemma): embed_tokens + self_attn.q_proj."""
    if not any(k.endswith("embed_tokens.weight") or k == "token_embd.weight" for k in shapes):
        return None
    return _width(shapes, _LLM_LAYER)


# Tried in order; the first that answers names the file's kind.
KINDS: dict[str, KindTest] = {"clip": _clip, "t5": _t5, "umt5": _umt5, "llm": _decoder_llm}
LABELS = {"clip": "CLIP", "t5": "T5", "umt5": "UMT5", "llm": "language model"}


def register_kind(kind: str, test: KindTest, label: str, *, before: str | None = None) -> None:
    """Add a text-encoder kind (a family module's own); `before` puts its test ahead of another's."""
    items = [(k, t) for k, t in KINDS.items() if k != kind]
    at = next((i for i, (k, _) in enumerate(items) if k == before), len(items))
    items.insert(at, (kind, test))
    KINDS.clear()
    KINDS.update(items)
    LABELS[kind] = label


def detect_kind(shapes: Mapping[str, list[int]]) -> tuple[str, int] | None:
    """(kind, width) of a text-encoder file from its key names and shapes, or None when it is not one."""
    for kind, test in KINDS.items():
        width = test(shapes)
        if width:
            return kind, width
    return None


def config_width(config: Mapping[str, Any]) -> int | None:
    """The width a text encoder's transformers config gives it."""
    for key in ("hidden_size", "d_model"):
        if isinstance(config.get(key), int):
            return int(config[key])
    text = config.get("text_config")
    return config_width(cast(Mapping[str, Any], text)) if isinstance(text, Mapping) else None


def match_keys(names: list[str], wanted: set[str]) -> dict[str, str]:
    """{file key: model key} for each file key whose longest suffix (dot-separated) is a model key."""
    out: dict[str, str] = {}
    for name in names:
        parts = name.split(".")
        for start in range(len(parts)):
            candidate = ".".join(parts[start:])
            if candidate in wanted:
                out[name] = candidate
                break
    return out


def load_text_encoder(
    path: Path,
    model_class: str,
    config_dir: Path,
    dtype: Any,
    keep_fp8: bool,
    prefix: str = "",
    renames: tuple[tuple[str, str], ...] = (),
    optional: tuple[str, ...] = (),
) -> Any:
    """A transformers text encoder with the weights of `path` (those under `prefix`: a part of a whole checkpoint),
    built from the config in `config_dir`.

    fp8 weights stay fp8 with layerwise upcasting when `keep_fp8` (CUDA), else become `dtype`."""
    import torch
    import transformers
    from accelerate import init_empty_weights  # pyright: ignore[reportMissingTypeStubs]  # no stubs

    cls = getattr(transformers, model_class)
    config: Any = transformers.AutoConfig.from_pretrained(config_dir)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    with init_empty_weights():  # parameters on the meta device until the file's are assigned
        model = cls(config)
    wanted = model.state_dict()
    if path.suffix.lower() == ".gguf":  # llama.cpp's names, mapped to the model's; dequantized to `dtype`
        state = read_gguf_text_encoder(path, model, dtype)
    else:  # kept fp8: read as stored; otherwise every float tensor becomes `dtype` as it is read
        select: Callable[[str], bool] | None = (lambda name: name.startswith(prefix)) if prefix else None
        state = read_state_dict(path, None if keep_fp8 else dtype, select)
    if is_scaled_fp8(state):
        state = unscale_fp8(state, dtype)
    if renames:
        state = {_renamed(name, renames): tensor for name, tensor in state.items()}
    mapping = match_keys(list(state), set(wanted))
    weights: dict[str, torch.Tensor] = {}
    fp8 = torch.float8_e4m3fn
    for name, key in mapping.items():
        tensor = state[name]
        if tensor.is_floating_point() and not (keep_fp8 and tensor.dtype == fp8):
            tensor = tensor.to(dtype)
        weights[key] = tensor
    for target, source in _tied(model).items():  # T5: `shared` and `encoder.embed_tokens` are one matrix
        if target in wanted and source in wanted:
            if target not in weights and source in weights:
                weights[target] = weights[source]
            elif source not in weights and target in weights:
                weights[source] = weights[target]
    for part in optional:  # a part the file leaves out entirely is removed from the model
        if not any(k.startswith(part) for k in weights):
            parent, _, name = part.rstrip(".").rpartition(".")
            setattr(model.get_submodule(parent), name, None)
            wanted = {k: v for k, v in wanted.items() if not k.startswith(part)}
    missing = sorted(k for k in wanted if k not in weights)
    if missing and path.suffix.lower() == ".gguf" and all(VISION.search(k) for k in missing):
        raise InvalidInputError(
            f"{path.name} holds the language model only (llama.cpp keeps the vision tower in a separate mmproj file), "
            "and this model shows its reference images to the vision tower: use the .safetensors text encoder"
        )
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise InvalidInputError(
            f"{path.name} does not fit {model_class} as configured in {config_dir.name}: it lacks {shown}"
        )
    quantized = {k: v for k, v in weights.items() if getattr(v, "quant_type", None) is not None}
    if quantized:  # a GGUF file's linear layers keep their blocks: diffusers' GGUF linears take them as they are
        import importlib

        gguf_utils: Any = importlib.import_module("diffusers.quantizers.gguf.utils")  # untyped
        gguf_utils._replace_with_gguf_linear(model, dtype, quantized)  # what diffusers' GGUF quantizer does
    model.load_state_dict({k: v for k, v in weights.items() if k not in quantized}, strict=False, assign=True)
    for key, blocks in quantized.items():  # assigned whole: their byte shape is not the layer's
        parent, _, name = key.rpartition(".")
        setattr(model.get_submodule(parent), name, blocks)
    _retie(model, weights)
    model.eval()
    if any(w.dtype == fp8 for w in weights.values()):
        keep_fp8_layers(model, dtype)  # fp8 layers stay fp8; embeddings and norms compute in `dtype`
    return model


def _renamed(name: str, renames: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in renames:
        name = re.sub(pattern, replacement, name)
    return name


def _retie(model: Any, weights: dict[str, Any]) -> None:
    """Tied weights loaded from one tensor become one parameter again: `assign` made a parameter per key over the
    same storage, and moving the model to the GPU would copy each (T5's embedding twice, 0.26 GB for T5-XXL)."""
    for target, source in _tied(model).items():
        if target in weights and source in weights and weights[target] is weights[source]:
            parent, _, name = target.rpartition(".")
            setattr(model.get_submodule(parent), name, model.get_parameter(source))


def _tied(model: Any) -> dict[str, str]:
    tied = getattr(model, "_tied_weights_keys", None)
    return {str(k): str(v) for k, v in cast(dict[object, object], tied).items()} if isinstance(tied, dict) else {}
