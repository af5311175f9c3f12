"""GGUF diffusion-model files of Chroma, FLUX.2 [klein] and Qwen-Image, as the quantizers publish them (city96's
ComfyUI-GGUF `convert.py`, QuantStack, unsloth), from the tiny diffusers folders.

The tensors are the original layouts of split_layouts.py (BFL's for Chroma and FLUX.2, diffusers' names for Qwen-Image)
without ComfyUI's prefix. 1-D and small tensors stay F32; matrices are quantized to the type asked for when their rows
fill its blocks, else to llama.cpp's fallback for that type (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0), else F16.
`gguf` quantizes the 32-wide types (Q8_0, Q5_0 ...) itself but has no K-quant quantizer: Q4_K blocks are encoded here
the way ggml's reference quantizer lays them out (fp16 d and dmin, eight 6-bit scales and mins packed in 12 bytes,
4-bit values), so a Q4_K file holds the model's weights rounded, not noise; other K types (Q5_K ...) get valid scales
and random quants. FLUX.1's GGUF files (split_files.py) are written here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hollywool.testkit.split_layouts import _component, chroma_to_original, flux2_to_original

_FALLBACK = {"Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}


def quantize_q4_k(data: np.ndarray) -> np.ndarray:
    """Rows of float32 (length a multiple of 256) -> Q4_K blocks, 144 bytes per 256 values."""
    rows, cols = data.shape
    x = data.reshape(-1, 8, 32).astype(np.float32)  # super-blocks of 8 sub-blocks of 32
    low = np.minimum(x.min(axis=2), 0.0)
    scales = (x.max(axis=2) - low) / 15.0
    mins = -low
    d = scales.max(axis=1, keepdims=True) / 63.0
    dmin = mins.max(axis=1, keepdims=True) / 63.0
    d16, dmin16 = d.astype(np.float16), dmin.astype(np.float16)
    ls = np.clip(np.rint(scales / np.where(d16 > 0, d16, 1).astype(np.float32)), 0, 63).astype(np.uint8)
    lm = np.clip(np.rint(mins / np.where(dmin16 > 0, dmin16, 1).astype(np.float32)), 0, 63).astype(np.uint8)
    step = (d16.astype(np.float32) * ls)[:, :, None]
    offset = (dmin16.astype(np.float32) * lm)[:, :, None]
    q = np.clip(np.rint((x + offset) / np.where(step > 0, step, 1)), 0, 15).astype(np.uint8)
    packed_scales = np.zeros((x.shape[0], 12), dtype=np.uint8)
    packed_scales[:, :4] = ls[:, :4] | ((ls[:, 4:] >> 4) << 6)
    packed_scales[:, 4:8] = lm[:, :4] | ((lm[:, 4:] >> 4) << 6)
    packed_scales[:, 8:] = (ls[:, 4:] & 0xF) | ((lm[:, 4:] & 0xF) << 4)
    # Sub-blocks 2k and 2k+1 share 32 bytes: 2k in the low nibbles, 2k+1 in the high ones.
    qs = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(x.shape[0], 128)
    blocks = np.concatenate([d16.view(np.uint8), dmin16.view(np.uint8), packed_scales, qs], axis=1)
    return blocks.reshape(rows, cols // 256 * 144)


def k_blocks(rows: int, cols: int, qtype: str, seed: int) -> np.ndarray:
    """Random but valid K-quant blocks (Q5_K, Q6_K ...), for the types no quantizer here encodes: fp16 d and dmin,
    then random scales and quants, which tests the loader's dequantization all the same."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    block, size = GGML_QUANT_SIZES[GGMLQuantizationType[qtype]]
    count = rows * cols // block
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(count, size), dtype=np.uint8)
    scales = np.full((count, 2), 1e-4, dtype=np.float16)  # d, dmin: keeps the weights small
    data[:, :4] = scales.view(np.uint8)
    return data.reshape(rows, cols // block * size)


def _pack(data: np.ndarray, qtype: str, seed: int) -> np.ndarray:
    import gguf

    if qtype == "Q4_K":
        return quantize_q4_k(data)
    if qtype.endswith("_K"):
        rows, cols = data.shape
        return k_blocks(rows, cols, qtype, seed)
    return gguf.quantize(data, gguf.GGMLQuantizationType[qtype])


def write_gguf(
    tensors: dict[str, torch.Tensor],
    out_path: str | Path,
    qtype: str,
    arch: str,
    *,
    keep_f16: tuple[str, ...] = (),
    fallback: str | None = None,
    unquantized: type[np.floating] = np.float16,
    small: int = 1024,
    fields: dict[str, int | str] | None = None,
    vocabulary: Callable[[Any], None] | None = None,
) -> Path:
    """`tensors` as a GGUF file of `arch`: 1-D tensors and those of up to `small` values F32, those whose names start
    with `keep_f16` F16, the rest `qtype` (F32: unquantized) where their rows fill its blocks, else `fallback`
    (llama.cpp's for the type by default), else `unquantized`. `fields`: metadata besides the architecture;
    `vocabulary` writes the tokenizer's metadata."""
    import gguf

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out_path), arch=arch)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for name, value in (fields or {}).items():
        writer.add_string(name, value) if isinstance(value, str) else writer.add_uint32(name, value)
    if vocabulary is not None:
        vocabulary(writer)
    for n, (key, value) in enumerate(sorted(tensors.items())):
        data = value.float().numpy()
        if data.ndim == 1 or data.size <= small or qtype == "F32":
            writer.add_tensor(key, data.astype(np.float32))
            continue
        if keep_f16 and key.startswith(keep_f16):
            writer.add_tensor(key, data.astype(np.float16))
            continue
        for candidate in (qtype, fallback or _FALLBACK.get(qtype, "Q8_0")):
            kind = gguf.GGMLQuantizationType[candidate]
            if data.shape[-1] % gguf.GGML_QUANT_SIZES[kind][0] == 0:
                writer.add_tensor(key, _pack(data, candidate, n), raw_dtype=kind)
                break
        else:
            writer.add_tensor(key, data.astype(unquantized))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


def write_family_gguf(family: str, folder: str | Path, out_path: str | Path, qtype: str) -> Path:
    """`family`: the test kit's chroma, flux2_klein or qwen_image."""
    state = _component(Path(folder), "transformer")
    original, arch = {
        "chroma": lambda: (chroma_to_original(state), "chroma"),
        "flux2_klein": lambda: (flux2_to_original(state), "flux2"),
        "qwen_image": lambda: (state, "qwen_image"),
    }[family]()
    return write_gguf(original, out_path, qtype, arch)


def t5_vocabulary(spiece: bytes, vocab_size: int) -> Callable[[Any], None]:
    """A T5 / UMT5 sentencepiece model as llama.cpp's convert_hf_to_gguf.py (T5EncoderModel.set_vocab) writes it:
    tokenizer model `t5`, every piece with its score and type, `[PAD<n>]` placeholders up to the model's vocabulary
    size, the normalizer's flags and precompiled charsmap, the special ids; EOS added, BOS not."""
    import gguf
    from sentencepiece import SentencePieceProcessor, sentencepiece_model_pb2

    proto: Any = sentencepiece_model_pb2.ModelProto()  # pyright: ignore[reportAttributeAccessIssue]  # generated
    proto.ParseFromString(spiece)
    sp = SentencePieceProcessor(model_proto=spiece)
    size = max(vocab_size, sp.vocab_size())
    tokens = [f"[PAD{i}]".encode() for i in range(size)]
    scores = [-10000.0] * size
    types = [gguf.TokenType.UNUSED] * size
    for i in range(sp.vocab_size()):
        tokens[i], scores[i] = sp.id_to_piece(i).encode(), sp.get_score(i)
        types[i] = (gguf.TokenType.UNKNOWN if sp.is_unknown(i) else gguf.TokenType.CONTROL if sp.is_control(i)
                    else gguf.TokenType.UNUSED if sp.is_unused(i) else gguf.TokenType.BYTE if sp.is_byte(i)
                    else gguf.TokenType.NORMAL)  # fmt: skip

    def write(writer: Any) -> None:
        writer.add_tokenizer_model("t5")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        writer.add_add_space_prefix(proto.normalizer_spec.add_dummy_prefix)
        writer.add_remove_extra_whitespaces(proto.normalizer_spec.remove_extra_whitespaces)
        if proto.normalizer_spec.precompiled_charsmap:
            writer.add_precompiled_charsmap(proto.normalizer_spec.precompiled_charsmap)
        writer.add_unk_token_id(sp.unk_id())
        writer.add_eos_token_id(sp.eos_id())
        writer.add_pad_token_id(sp.pad_id())
        writer.add_add_bos_token(False)
        writer.add_add_eos_token(True)

    return write


def tekken_vocabulary(tokenizer_json: Path) -> Callable[[Any], None]:
    """A Mistral byte-level BPE (the tiny FLUX.2 [dev] folder's `tokenizer.json`, Mistral's specials at ids 0-19) as
    llama.cpp's convert_hf_to_gguf.py writes Mistral's (`_set_vocab_gpt2`): tokenizer model `gpt2`, pre-tokenizer
    `tekken`, the tokens in byte-level spelling by id, the added specials CONTROL, the merges, BOS added."""
    import json

    import gguf

    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab: dict[str, int] = data["model"]["vocab"]
    specials = {t["id"]: t["content"] for t in data["added_tokens"]}
    tokens = [token for token, _id in sorted(vocab.items(), key=lambda kv: kv[1])]
    types = [gguf.TokenType.CONTROL if i in specials else gguf.TokenType.NORMAL for i in range(len(tokens))]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    ids = {content: i for i, content in specials.items()}

    def write(writer: Any) -> None:
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("tekken")
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        writer.add_token_merges(merges)
        writer.add_bos_token_id(ids["<s>"])
        writer.add_eos_token_id(ids["</s>"])
        writer.add_unk_token_id(ids["<unk>"])
        writer.add_pad_token_id(ids["<pad>"])
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)

    return write


def write_text_encoder_gguf(
    folder: str | Path, out_path: str | Path, arch: str, qtype: str = "Q8_0", *, tokenizer: bool = False
) -> Path:
    """A tiny folder's text encoder as a GGUF file of llama.cpp's `arch` (qwen3, t5encoder, qwen2vl ...), as the
    quantizers publish text encoders for ComfyUI-GGUF: llama.cpp's tensor names (gguf's tables, which its
    convert_hf_to_gguf.py writes with), every matrix in `qtype`, no vision tower (llama.cpp keeps that in an mmproj
    file). LLaMA-architecture files (Mistral's) get llama.cpp's permuted q and k rows, Gemma's its norms plus one.
    `tokenizer` (T5 / UMT5 and Mistral): the vocabulary in the file's metadata, as llama.cpp writes it (the test
    kit's T5 sentencepiece model, the tiny folders' source; the tiny FLUX.2 [dev] folder's BPE)."""
    import json

    import transformers

    from hollywool.models.gguf_text_encoders import gguf_names

    component = Path(folder) / "text_encoder"
    model_class = json.loads((component / "config.json").read_text())["architectures"][0]
    model = getattr(transformers, model_class).from_pretrained(component)
    text = model.config.get_text_config()
    layers = int(getattr(text, "num_hidden_layers", None) or text.num_layers)
    names = gguf_names(model, arch, layers)
    state = model.state_dict()
    tensors = {gguf_name: state[key] for gguf_name, key in names.items() if key in state}
    if arch in ("gemma2", "gemma3"):  # convert_hf_to_gguf.py stores Gemma's RMSNorm weights as 1 + w
        tensors = {k: v + 1 if k.endswith("norm.weight") else v for k, v in tensors.items()}
    if arch == "llama":  # convert_hf_to_gguf.py's LlamaModel.permute: each head's rotary halves interleaved
        heads = {".attn_q.": text.num_attention_heads, ".attn_k.": text.num_key_value_heads}
        for name, value in tensors.items():
            count = next((n for part, n in heads.items() if part in name and name.endswith(".weight")), None)
            if count:
                rows = value.shape[0]
                tensors[name] = (
                    value.reshape(count, 2, rows // count // 2, *value.shape[1:]).swapaxes(1, 2).reshape(value.shape)
                )
    fields: dict[str, int | str] = {f"{arch}.block_count": layers, "general.name": f"tiny {model_class}"}
    vocabulary = None
    if tokenizer:
        import tempfile

        from hollywool.testkit.tokenizers import write_t5_tokenizer

        if arch == "llama":
            vocabulary = tekken_vocabulary(Path(folder) / "tokenizer" / "tokenizer.json")
        elif arch == "t5encoder":
            with tempfile.TemporaryDirectory() as tmp:
                spiece = (write_t5_tokenizer(tmp) / "spiece.model").read_bytes()
            vocabulary = t5_vocabulary(spiece, int(text.vocab_size))
        else:
            raise ValueError(f"the test kit writes T5's and Mistral's vocabularies, not {arch}'s")
    return write_gguf(tensors, out_path, qtype, arch, small=0, fields=fields, vocabulary=vocabulary)
