"""Text encoders in GGUF files, as ComfyUI-GGUF's GGUF CLIP loader takes them (t5-v1_1-xxl-encoder-Q8_0.gguf,
umt5-xxl-encoder-Q8_0.gguf, Qwen3-4B-Q8_0.gguf, Qwen2.5-VL-7B-Instruct-Q8_0.gguf, gemma-3-12b-it-Q4_K_M.gguf ...).

Their tensors have llama.cpp's names (`token_embd`, `blk.N.attn_q`, T5's `enc.blk.N.attn_rel_b`), mapped to
transformers' names through gguf's tensor-name table for the architecture the file declares (so a Qwen2.5-VL file,
`qwen2vl`, maps although transformers cannot load that architecture from GGUF itself); transformers' GGUF tensor
processors undo what llama.cpp's converter changed (LLaMA/Mistral's permuted q and k, Gemma's norm offset).

The linear layers' quantized blocks stay quantized, as ComfyUI-GGUF keeps them: each becomes diffusers' GGUF linear,
which dequantizes its weight as it runs (so a Q4_K Mistral Small takes its file's 14 GB, not 48 GB in bf16). A
processor that only reorders rows (LLaMA's q and k) reorders the packed rows; the rest (embeddings, norms, tensors
stored unquantized, quantizations diffusers cannot dequantize) is dequantized to the pipeline's dtype as it is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# A vision-language model's parts that see images (Qwen2.5-VL's `visual.`, Mistral 3's and Gemma 3's vision tower and
# projector).
VISION = re.compile(r"(^|\.)(visual|vision_tower|multi_modal_projector)\.")


def _field(reader: Any, name: str) -> Any | None:
    field = reader.fields.get(name)
    return None if field is None else field.contents()


def gguf_names(model: Any, arch: str, layers: int) -> dict[str, str]:
    """{llama.cpp's name: `model`'s key} for a model of GGUF architecture `arch`, from gguf's table for it (what
    llama.cpp's converter names with): each key's longest tail the table knows. A vision-language model's vision
    tower and projector are left out: llama.cpp keeps them in another file (mmproj), and the tables would give
    some of their layers the text layers' names (Pixtral's `blk.N`). (Transformers' own mapper builds a table per
    submodule: minutes for a 24B model.)"""
    from gguf import MODEL_ARCH_NAMES, get_tensor_name_map

    kind = next((k for k, name in MODEL_ARCH_NAMES.items() if name == arch), None)
    if kind is None:
        return {}
    table = get_tensor_name_map(kind, layers)
    names: dict[str, str] = {}
    for key in model.state_dict():
        if VISION.search(key):
            continue
        stem, _, suffix = key.rpartition(".")
        parts = stem.split(".")
        for start in range(len(parts)):
            found = table.get_name(".".join(parts[start:]))
            if found is not None:
                names.setdefault(f"{found}.{suffix}", key)
                break
    return names


def stays_quantized(name: str, shape: tuple[int, ...], tensor_type: Any) -> bool:
    """Whether a GGUF tensor (llama.cpp's name, its shape outermost first, its GGML type or type name) is kept as its
    quantized blocks (a linear layer's weight diffusers can dequantize), else dequantized at load: what the loader
    does and the memory estimate counts."""
    from diffusers.quantizers.gguf.utils import SUPPORTED_GGUF_QUANT_TYPES

    supported = {t.name for t in SUPPORTED_GGUF_QUANT_TYPES}
    return (
        len(shape) == 2
        and str(getattr(tensor_type, "name", tensor_type)) in supported
        and not name.startswith(EMBEDDINGS)
        and "attn_rel_b" not in name  # T5's relative-attention bias: an embedding
        # T5's `wo`, which transformers keeps in float32 and casts its input to the weight's dtype for
        and not (name.startswith("enc.") and ".ffn_down." in name)
    )


EMBEDDINGS = ("token_embd", "per_layer_token_embd")


def read_gguf_text_encoder(path: Path, model: Any, dtype: Any) -> dict[str, Any]:
    """{`model`'s key: tensor} for each tensor of the GGUF file at `path` that `model` has (a transformers model, its
    parameters may be on the meta device: only its key names, modules and config are read): a linear layer's weight
    that `stays_quantized` as diffusers' GGUFParameter (its blocks), anything else dequantized to `dtype`."""
    import numpy as np
    import torch
    from diffusers.quantizers.gguf.utils import GGUFParameter
    from gguf import GGUFReader, dequantize
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    reader = GGUFReader(path)
    arch = str(_field(reader, "general.architecture") or "")
    text = model.config.get_text_config()
    # LLaMA's q/k un-permuting needs the head counts: the model's own config gives them, whatever the file says.
    heads = {"num_attention_heads": getattr(text, "num_attention_heads", None)}
    heads["num_key_value_heads"] = getattr(text, "num_key_value_heads", None) or heads["num_attention_heads"]
    processors: dict[str, Any] = getattr(gguf_utils, "TENSOR_PROCESSORS")  # noqa: B009  # untyped in transformers
    processor: Any = processors.get(arch, gguf_utils.TensorProcessor)(config=heads)
    layers = _field(reader, f"{arch}.block_count") or getattr(text, "num_hidden_layers", None) or text.num_layers
    names = gguf_names(model, arch, int(layers))
    linears = {f"{n}.weight" for n, m in model.named_modules() if type(m) is torch.nn.Linear}
    state: dict[str, Any] = {}
    for tensor in reader.tensors:
        shape = tuple(int(d) for d in reversed(tensor.shape))  # GGUF lists dimensions innermost first
        key = names.get(tensor.name)
        if key in linears and stays_quantized(tensor.name, shape, tensor.tensor_type):
            order = _row_order(processor, tensor.name, shape[0], names)
            if order is not None:
                blocks = torch.from_numpy(np.copy(tensor.data[order]))  # pyright: ignore[reportUnknownMemberType]
                state[key] = GGUFParameter(blocks, quant_type=tensor.tensor_type)  # pyright: ignore[reportCallIssue]  # __new__ takes it
                continue
        result: Any = processor.process(
            weights=dequantize(tensor.data, tensor.tensor_type), name=tensor.name, tensor_key_mapping=names
        )
        if result.name in names:
            # torch's stub leaves from_numpy's argument unannotated
            state[names[result.name]] = torch.from_numpy(np.copy(result.weights)).to(dtype)  # pyright: ignore[reportUnknownMemberType]
    return state


def _row_order(processor: Any, name: str, rows: int, names: dict[str, str]) -> Any | None:
    """The row order the architecture's processor gives the tensor `name` (a permutation of its rows, applied to the
    packed blocks as it is), or None when it changes values, not only their order (Gemma's norm offset)."""
    import numpy as np

    index = np.arange(rows, dtype=np.float64)[:, None]
    result: Any = processor.process(weights=index.copy(), name=name, tensor_key_mapping=names)
    out = np.asarray(result.weights)
    if result.name != name or out.shape != index.shape or not np.array_equal(np.sort(out[:, 0]), index[:, 0]):
        return None
    return out[:, 0].astype(np.int64)
