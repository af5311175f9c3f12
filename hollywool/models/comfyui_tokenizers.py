"""Tokenizer files from a ComfyUI install, for the studio's copies of its shipped config folders.

The shipped config folders carry no vocabularies (T5's, Qwen's: megabytes each, and not ours to ship). A user who
holds split files almost always has ComfyUI, whose source tree ships them in `comfy/text_encoders/<name>/`. The
install is found beside a models folder the user named (`…/ComfyUI/models` -> `…/ComfyUI`) or above the model's own
files (`…/ComfyUI/models/diffusion_models/x.safetensors`). Files are copied into the studio's copy only
(`<data dir>/configs/<config>/`), never into the user's folders.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Files of a tokenizer's or processor's folder that are not the vocabulary (shipped; the vocabulary is not).
NOT_TOKENIZER_FILES = {
    "tokenizer_config.json", "special_tokens_map.json", "processor_config.json", "preprocessor_config.json",
    "chat_template.json", "chat_template.jinja",
}  # fmt: skip

# (shipped tokenizer_class, the text encoder's model_type) -> ComfyUI's folder with that model's vocabulary.
# Only pairs that give the model's own token ids and template: T5 v1.1 XXL for FLUX.1 and Chroma (ComfyUI's
# flux.py), Qwen2.5-VL for Qwen-Image and its edit models (qwen_image.py) and for HunyuanVideo 1.5, whose
# system-prompt template then ends at token 108, where its pipeline crops (crop_start). Qwen3 (Z-Image, FLUX.2
# [klein]) has Qwen2.5's vocabulary and merges, as ComfyUI's z_image.py and flux.py use them, but its own chat template
# (no default system prompt, the <think> block) and added tokens 151665-151668 (<tool_response>, </tool_response>,
# <think>, </think>, where ComfyUI's file has <|img|> ...): the shipped Qwen3 tokenizer_config.json declares both, and
# overrides ComfyUI's in the merge. UMT5 and Gemma come from the text-encoder files
# (embedded_tokenizers).
COMFYUI_FOLDERS = {
    ("T5Tokenizer", "t5"): "t5_tokenizer",
    ("T5TokenizerFast", "t5"): "t5_tokenizer",
    ("Qwen2Tokenizer", "qwen2_5_vl"): "qwen25_tokenizer",
    ("Qwen2TokenizerFast", "qwen2_5_vl"): "qwen25_tokenizer",
    ("Qwen2Tokenizer", "qwen2_5_vl_text"): "qwen25_tokenizer",
    ("Qwen2TokenizerFast", "qwen2_5_vl_text"): "qwen25_tokenizer",
    ("Qwen2Tokenizer", "qwen3"): "qwen25_tokenizer",
    ("Qwen2TokenizerFast", "qwen3"): "qwen25_tokenizer",
}
COMFYUI_LABELS = "T5, Qwen2.5-VL and Qwen3"


def has_vocabulary(folder: Path) -> bool:
    return bool({p.name for p in folder.glob("*")} - NOT_TOKENIZER_FILES)


def comfyui_installs(model_files: Iterable[Path], model_folders: Iterable[Path]) -> list[Path]:
    """ComfyUI installs (folders holding `comfy/text_encoders/`): a models folder the user named or its parent, and
    the folders above the model's files (as given and after links)."""
    candidates: list[Path] = []
    for folder in model_folders:
        candidates += [folder, folder.parent]
    for path in model_files:
        candidates += list(path.parents)
        with contextlib.suppress(OSError, RuntimeError):  # a link loop
            candidates += list(path.resolve().parents)
    found: list[Path] = []
    for candidate in dict.fromkeys(candidates):
        if candidate not in found and (candidate / "comfy" / "text_encoders").is_dir():
            found.append(candidate)
    return found


def comfyui_folder(config_dir: Path, component: str) -> str | None:
    """The name of ComfyUI's tokenizer folder with the vocabulary of the config folder's `component` (tokenizer,
    tokenizer_2, processor), or None when ComfyUI ships none for that model."""
    encoder = "text_encoder" if component == "processor" else component.replace("tokenizer", "text_encoder", 1)
    try:
        tokenizer_class = json.loads((config_dir / component / "tokenizer_config.json").read_text())["tokenizer_class"]
        model_type = json.loads((config_dir / encoder / "config.json").read_text())["model_type"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return COMFYUI_FOLDERS.get((tokenizer_class, model_type))


def tokenizers_from_comfyui(config_dir: Path, installs: list[Path]) -> list[str]:
    """Fill each tokenizer folder of `config_dir` that has no vocabulary from the first install that has ComfyUI's
    matching folder; the components filled. ComfyUI's tokenizer_config.json is the base (Qwen2.5's special tokens are
    declared only there) and the shipped one's settings override it (Qwen3's added tokens and chat template)."""
    filled: list[str] = []
    for folder in sorted(p for p in config_dir.iterdir() if p.name.startswith(("tokenizer", "processor"))):
        name = comfyui_folder(config_dir, folder.name)
        if name is None or not folder.is_dir() or has_vocabulary(folder):
            continue
        source = next(
            (d for i in installs if has_vocabulary(d := i / "comfy" / "text_encoders" / name)), None
        )  # fmt: skip
        if source is None:
            continue
        fill_folder(folder, source)
        filled.append(folder.name)
    return filled


def fill_folder(target: Path, source: Path) -> None:
    """Copy a tokenizer's files from `source` into the tokenizer folder `target`, keeping the files the target has;
    `source`'s tokenizer_config.json is the base the target's settings override. The filled folder is built beside
    the target and swapped in, so an interrupted copy leaves no half vocabulary."""
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(target, staging)
    shipped_path = staging / "tokenizer_config.json"
    shipped: dict[str, Any] = json.loads(shipped_path.read_text()) if shipped_path.is_file() else {}
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        if path.name == "tokenizer_config.json":
            merged: dict[str, Any] = {**json.loads(path.read_text(encoding="utf-8")), **shipped}
            shipped_path.write_text(json.dumps(merged, indent=2, ensure_ascii=False), encoding="utf-8")
        elif path.name.startswith("chat_template.") and "chat_template" in shipped:
            continue  # transformers prefers a template file to tokenizer_config.json's: the shipped template wins
        elif not (staging / path.name).exists():
            shutil.copy2(path, staging / path.name)
    replaced = target.with_name(f".{target.name}.replaced")
    shutil.rmtree(replaced, ignore_errors=True)
    target.rename(replaced)
    staging.rename(target)
    shutil.rmtree(replaced)
