"""Tokenizers that ComfyUI's text-encoder files carry, written into the studio's copies of the shipped config folders.

ComfyUI keeps some vocabularies inside the text-encoder .safetensors files rather than in its source tree, each as a
top-level uint8 tensor holding a file's bytes:

* `spiece_model`: a sentencepiece model, Gemma 3's (LTX-2, comfy/text_encoders/lt.py) and UMT5's (Wan, wan.py);
* `tekken_model`: Mistral's `tekken.json`, Mistral Small 3.1's for FLUX.2 [dev] (comfy/text_encoders/flux.py).

A tokenizer folder without a vocabulary takes the one the paired text-encoder file carries. Tekken becomes what the
shipped model_index.json names (`PixtralProcessor` around a fast tokenizer): transformers' own tekken converter, the
Mistral v7 chat template below (transformers only generates one with mistral_common), left padding, and a Pixtral
image processor sized by the folder's own vision config.

GGUF text encoders carry their vocabulary as llama.cpp's metadata (`tokenizer.ggml.*`), from which ComfyUI-GGUF
rebuilds the tokenizer. A UMT5 / T5 file's (a unigram model: pieces and scores) and a Mistral file's (a byte-level
BPE with its merges, tekken's pre-tokenizer) are rebuilt exactly by transformers' GGUF tokenizer conversion, the
latter into the same Pixtral processor folder. Gemma's files list no merges (transformers re-derives them): its
vocabulary comes from the .safetensors file or a copied tokenizer folder instead.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from hollywool.errors import InvalidInputError
from hollywool.models.comfyui_tokenizers import fill_folder, has_vocabulary
from hollywool.models.state_dict import read_state_dict
from hollywool.models.weight_files import WeightFile

# Mistral's v7 instruct format (Mistral Small 3.1, tekken v7), the form FLUX.2 [dev]'s pipeline and BFL's reference
# (flux2/text_encoder.py, Mistral-Small-3.1-24B-Instruct-2503's processor) prompt with:
# <s>[SYSTEM_PROMPT]system[/SYSTEM_PROMPT][INST]user[/INST]answer</s>. Contents are strings or lists of typed parts;
# an image part is the [IMG] the processor expands. No default system message: the pipeline always sends one.
MISTRAL_V7_CHAT_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{%- if message['content'] is string %}{%- set parts = [{'type': 'text', 'text': message['content']}] %}"
    "{%- else %}{%- set parts = message['content'] %}{%- endif %}"
    "{%- if message['role'] == 'system' %}{{- '[SYSTEM_PROMPT]' }}"
    "{%- elif message['role'] == 'user' %}{{- '[INST]' }}"
    "{%- elif message['role'] != 'assistant' %}"
    "{{- raise_exception('Only system, user and assistant messages are supported') }}{%- endif %}"
    "{%- for part in parts %}"
    "{%- if part['type'] == 'text' %}{{- part['text'] }}"
    "{%- elif part['type'] in ['image', 'image_url'] and message['role'] == 'user' %}{{- '[IMG]' }}"
    "{%- else %}{{- raise_exception('Unsupported content part: ' + part['type']) }}{%- endif %}"
    "{%- endfor %}"
    "{%- if message['role'] == 'system' %}{{- '[/SYSTEM_PROMPT]' }}"
    "{%- elif message['role'] == 'user' %}{{- '[/INST]' }}"
    "{%- else %}{{- eos_token }}{%- endif %}"
    "{%- endfor %}"
)


@dataclass(frozen=True)
class EmbeddedVocabulary:
    tensor: str  # its name in ComfyUI's text-encoder files
    label: str  # the model whose vocabulary it is, for messages
    fits: Callable[[dict[str, Any]], bool]  # a tokenizer_config.json this vocabulary completes
    # (the file's bytes, the folder to write, the tokenizer_config.json, the paired text encoder's config.json)
    write: Callable[[bytes, Path, dict[str, Any], dict[str, Any]], None]
    gguf: str  # which GGUF text encoders carry it in their metadata, for messages


def _write_spiece(data: bytes, out: Path, tokenizer_config: dict[str, Any], _encoder: dict[str, Any]) -> None:
    (out / _SPIECE_FILES[tokenizer_config["tokenizer_class"]]).write_bytes(data)


def _write_tekken(data: bytes, out: Path, _tokenizer_config: dict[str, Any], encoder: dict[str, Any]) -> None:
    from transformers.integrations.mistral.tokenizer import convert_tekken_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        tekken = Path(tmp) / "tekken.json"  # kept out of the folder: with mistral_common, transformers would prefer it
        tekken.write_bytes(data)
        try:
            tokenizer = convert_tekken_tokenizer(str(tekken), chat_template=MISTRAL_V7_CHAT_TEMPLATE)
        except (ValueError, KeyError, TypeError, ImportError) as exc:  # ImportError: a pre-v7 file without specials
            raise InvalidInputError(
                f"its `tekken_model` is not a tekken vocabulary transformers reads ({exc})"
            ) from None
    _write_pixtral_processor(tokenizer, out, encoder)


def _write_pixtral_processor(tokenizer: Any, out: Path, encoder: dict[str, Any]) -> None:
    """FLUX.2 [dev]'s processor folder around a Mistral tokenizer: the v7 chat template, left padding, an image
    processor sized by the text encoder's vision config."""
    from transformers import PixtralImageProcessor, PixtralProcessor

    # save_pretrained writes init_kwargs: FLUX.2 [dev] pads its 512-token prompts on the left (as diffusers', BFL's
    # and ComfyUI's code do), up to Mistral Small 3.1's context; the temporary tekken.json is no file of the folder.
    settings = cast(dict[str, Any], tokenizer.init_kwargs)  # pyright: ignore[reportUnknownMemberType]
    settings.pop("vocab_file", None)
    text: dict[str, Any] = encoder.get("text_config") or encoder
    tokenizer.padding_side = settings["padding_side"] = "left"
    tokenizer.model_max_length = settings["model_max_length"] = int(text.get("max_position_embeddings") or 131072)
    # The image processor agrees with the text encoder's vision tower (Mistral Small 3.1: 14-pixel patches merged
    # 2x2, images up to 1540 pixels a side).
    vision: dict[str, Any] = encoder.get("vision_config") or {}
    patch = int(vision.get("patch_size") or 14)
    processor: Any = PixtralProcessor(
        image_processor=PixtralImageProcessor(
            patch_size=patch, size={"longest_edge": vision.get("image_size") or 1540}
        ),
        tokenizer=tokenizer,
        patch_size=patch,
        spatial_merge_size=int(encoder.get("spatial_merge_size") or 2),
        chat_template=MISTRAL_V7_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)


# Tokenizer class -> the sentencepiece file it reads.
_SPIECE_FILES = {"GemmaTokenizer": "tokenizer.model", "T5Tokenizer": "spiece.model"}

VOCABULARIES = (
    EmbeddedVocabulary(
        "spiece_model",
        "Gemma or UMT5",
        lambda c: c.get("tokenizer_class") in _SPIECE_FILES,
        _write_spiece,
        "a UMT5 / T5 GGUF file carries it in its metadata, a Gemma one cannot supply it",
    ),
    EmbeddedVocabulary(
        "tekken_model",
        "Mistral",
        lambda c: c.get("processor_class") == "PixtralProcessor",
        _write_tekken,
        "a Mistral GGUF file carries it in its metadata",
    ),
)


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cast(dict[str, Any], data) if isinstance(data, dict) else None


def vocabulary_for(folder: Path) -> EmbeddedVocabulary | None:
    """The embedded vocabulary that would complete this tokenizer folder, if ComfyUI's files carry one for it."""
    config = _json(folder / "tokenizer_config.json")
    return next((v for v in VOCABULARIES if v.fits(config)), None) if config is not None else None


def tokenizers_from_text_encoders(config_dir: Path, texts: list[WeightFile]) -> list[str]:
    """Fill each tokenizer folder of `config_dir` that has no vocabulary from the text-encoder file that carries it
    (.safetensors only); the folders filled. Each is built beside its folder and swapped in whole."""
    filled: list[str] = []
    for folder in sorted(p for p in config_dir.glob("tokenizer*") if p.is_dir()):
        vocabulary = vocabulary_for(folder)
        if vocabulary is None or has_vocabulary(folder):
            continue
        config = _json(folder / "tokenizer_config.json") or {}
        source = next((t for t in texts if vocabulary.tensor in t.tensors and not t.is_gguf), None)
        encoder = _json(config_dir / folder.name.replace("tokenizer", "text_encoder", 1) / "config.json") or {}
        if source is None:
            gguf = next((t for t in texts if t.is_gguf and _gguf_vocabulary_fits(t.path, config)), None)
            if gguf is not None:
                with tempfile.TemporaryDirectory() as tmp:
                    _write_gguf_vocabulary(gguf.path, Path(tmp), encoder)
                    fill_folder(folder, Path(tmp))
                filled.append(folder.name)
            continue
        tensor = read_state_dict(source.path, None, lambda key, name=vocabulary.tensor: key == name)[vocabulary.tensor]
        with tempfile.TemporaryDirectory() as tmp:
            try:
                vocabulary.write(tensor.numpy().tobytes(), Path(tmp), config, encoder)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{source.path.name}: {exc.message}") from None
            fill_folder(folder, Path(tmp))
        filled.append(folder.name)
    return filled


# A tokenizer folder (its tokenizer_config.json's class) -> llama.cpp's tokenizer model and pre-tokenizer whose
# metadata rebuilds that vocabulary exactly (`tokenizer.ggml.model`, `.pre`): UMT5's unigram pieces and scores,
# Mistral's byte-level BPE with its merges. (Gemma's files list no merges; transformers re-derives them.)
_GGUF_VOCABULARIES = {"T5Tokenizer": ("t5", None), "PixtralProcessor": ("gpt2", "tekken")}


def _gguf_field(path: Path, name: str) -> str | None:
    from gguf import GGUFReader

    try:
        field = GGUFReader(path).get_field(name)
    except (OSError, ValueError):
        return None
    return None if field is None else str(field.contents())


def _gguf_vocabulary_fits(path: Path, tokenizer_config: dict[str, Any]) -> bool:
    kind = tokenizer_config.get("processor_class") or tokenizer_config.get("tokenizer_class")
    wanted = _GGUF_VOCABULARIES.get(str(kind))
    if wanted is None or _gguf_field(path, "tokenizer.ggml.model") != wanted[0]:
        return False
    return wanted[1] is None or _gguf_field(path, "tokenizer.ggml.pre") == wanted[1]


def _write_gguf_vocabulary(path: Path, out: Path, encoder: dict[str, Any]) -> None:
    """The GGUF file's vocabulary (transformers' conversion of llama.cpp's metadata) in `out`: a tokenizer.json, or
    for Mistral's (FLUX.2 [dev]) the Pixtral processor folder the shipped model_index.json names."""
    import importlib

    from transformers import PreTrainedTokenizerFast

    mapping: Any = importlib.import_module("transformers.integrations.gguf.gguf_tokenizer_mapping")  # untyped
    try:
        architecture, tokenizer, config = mapping.get_gguf_tokenizer(str(path))
        backend, _ = mapping.convert_gguf_tokenizer(architecture, tokenizer)
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"{path.name}: its tokenizer metadata cannot be read ({exc})") from None
    if tokenizer.get("tokenizer_type") != "gpt2":
        backend.save(str(out / "tokenizer.json"))
        return
    specials = {k: v for k, v in config.items() if k.endswith("_token") and isinstance(v, str)}
    _write_pixtral_processor(
        PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=MISTRAL_V7_CHAT_TEMPLATE, **specials),
        out,
        encoder,
    )


def refusal_hint(folder: Path) -> str:
    """The clause of check_tokenizers' refusal that names the text-encoder files able to supply this folder's
    vocabulary ('' when ComfyUI's files carry none for it)."""
    vocabulary = vocabulary_for(folder)
    if vocabulary is None:
        return ""
    return (
        f"name ComfyUI's {vocabulary.label} text-encoder .safetensors file in `text_encoders:` (it carries the "
        f"tokenizer as `{vocabulary.tensor}`; {vocabulary.gguf}; a file without either cannot supply it), or "
    )
