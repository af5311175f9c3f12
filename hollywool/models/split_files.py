"""A model from single files: a whole checkpoint, or split files (diffusion model + text encoders + VAE).

A catalogue entry's `path` names the checkpoint or the diffusion-model file (.safetensors or .gguf);
`text_encoders` and `vae` name the other files, as ComfyUI's `models/text_encoders` and `models/vae`
hold them. A whole checkpoint loads through the pipeline's `from_single_file`; `vae` (and text
encoders) given beside it replace its own. A diffusion-model-only file of a family that declares
`SplitFiles` is assembled: the diffusion model from its file, each text encoder into the slot its kind
fills, the VAE from its file, and the scheduler and tokenizers from the config folder (the entry's
`config`, else the one shipped for the family). A whole checkpoint of such a family is assembled from its
own parts the same way, with any further parts its family declares (LTX-2's audio VAE, text connectors,
vocoder). Text encoders and VAEs read from the same files are shared between models (the model cache's
component keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hollywool.errors import InvalidInputError
from hollywool.models import families
from hollywool.models.cache import ComponentKey
from hollywool.models.comfyui_tokenizers import (
    COMFYUI_LABELS,
    comfyui_folder,
    comfyui_installs,
    has_vocabulary,
    tokenizers_from_comfyui,
)
from hollywool.models.families.split import Converter, SplitFiles, TextEncoderSlot
from hollywool.models.quantized import load_diffusion_model
from hollywool.models.single_file import detect, load_single_file, shipped_config
from hollywool.models.state_dict import read_state_dict
from hollywool.models.text_encoders import LABELS, config_width, detect_kind, load_text_encoder
from hollywool.models.weight_files import WeightFile, read_weight_file

# Key prefixes of the VAE and the text encoders inside whole checkpoints (LDM, SDXL, ComfyUI's FLUX/SD3).
_VAE_KEYS = ("first_stage_model.", "vae.")
_BUNDLED = (*_VAE_KEYS, "cond_stage_model.", "conditioner.", "text_encoders.")


@dataclass(frozen=True)
class ModelFiles:
    model: Path  # a whole checkpoint or a diffusion-model file
    text_encoders: tuple[Path, ...] = ()
    vae: Path | None = None
    config: Path | None = None  # a diffusers config folder (JSON and tokenizers) instead of the shipped one
    known_as: str = ""  # what else names the model (Civitai's base model): read with its file's name for the variant


def is_diffusion_model_only(weights: WeightFile) -> bool:
    """A file with the diffusion model alone (no VAE or text encoder inside): it needs split files."""
    return weights.is_gguf or not any(k.startswith(_BUNDLED) for k in weights.tensors)


def read_file(path: Path) -> WeightFile:
    try:
        return read_weight_file(path)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path.name}: cannot read weights ({exc})") from None


def split_config(split: SplitFiles, weights: WeightFile, known_as: str = "") -> str:
    """The shipped config folder for this diffusion-model file (a variant's, when the keys or the name say so; the
    name read is the file's and `known_as`, Civitai's base model of a download: "Flux.2 Klein 4B-base")."""
    by_name = split.variant_by_name(weights.path.name) if split.variant_by_name else None
    config = by_name or (split.variant(weights.shapes) if split.variant else None) or split.config
    name = f"{weights.path.name} {known_as}".strip().lower()
    return split.named_config(name, config) if split.named_config else config


def needed_slots(split: SplitFiles, config_dir: Path | None) -> tuple[TextEncoderSlot, ...]:
    """The text-encoder slots the config folder's pipeline has: a slot its model_index.json does not list is left out
    (HunyuanVideo 1.5's image encoder, which only its image-to-video pipeline takes)."""
    try:
        index = json.loads((config_dir / "model_index.json").read_text()) if config_dir else None
    except (OSError, ValueError):
        index = None
    if not isinstance(index, dict):
        return split.text_encoders
    return tuple(s for s in split.text_encoders if s.component in index)


def refusal(path: Path) -> str | None:
    """Why a single file the studio lists cannot be loaded (a split file its family refuses: Wan 2.2 A14B's experts),
    said before a job is queued; None when it may load (loading says what else is wrong)."""
    found = _split_file(path)
    if found is None or found[0].refuse is None:
        return None
    reason = found[0].refuse(found[1].shapes)
    return f"{path.name}: {reason}" if reason else None


def file_defaults(path: Path, known_as: str = "") -> tuple[int, float] | None:
    """(steps, guidance) for a file of a variant whose sampling differs from its family's (FLUX.2 [klein] Base),
    else None (the family's defaults apply). `known_as`: as `split_config`'s."""
    found = _split_file(path)
    return found[0].config_defaults.get(split_config(*found, known_as)) if found else None


def _split_file(path: Path) -> tuple[SplitFiles, WeightFile] | None:
    """The split-files layout of the file's family and its header; None for a file of no such family or unreadable."""
    try:
        family, _arch, _detail = detect(path)
        weights = read_file(path)
    except InvalidInputError:
        return None
    return (family.split_files, weights) if family.split_files is not None else None


def assign_text_encoders(
    split: SplitFiles, files: list[WeightFile], config_dir: Path | None = None, whole: WeightFile | None = None
) -> tuple[dict[str, tuple[WeightFile, str]], list[str]]:
    """({slot component: (file, key prefix)}, problems): each file goes to the slot its kind fills; two slots of
    one kind are told apart by the width their config (in `config_dir`) gives them; a slot no file fills takes
    the text encoder inside the `whole` checkpoint, when it has one. Problems name what is missing."""
    assigned: dict[str, tuple[WeightFile, str]] = {}
    problems: list[str] = []
    needed = needed_slots(split, config_dir)
    for weights in files:
        found = detect_kind(weights.shapes)
        if found is None:
            problems.append(f"{weights.path.name} is not a text encoder the studio recognises")
            continue
        kind, width = found
        slots = [s for s in needed if s.kind == kind and s.component not in assigned]
        if len(slots) > 1 and config_dir is not None:
            slots = [s for s in slots if _slot_width(config_dir, s.component) == width] or slots
        if not slots:
            problems.append(
                f"{weights.path.name} is a {LABELS.get(kind, kind)} text encoder, which this model has no place for"
            )
            continue
        assigned[slots[0].component] = (weights, "")
    for slot in needed:
        if slot.component in assigned:
            continue
        prefix = slot.checkpoint_prefix
        if whole is not None and prefix and any(k.startswith(prefix) for k in whole.tensors):
            assigned[slot.component] = (whole, prefix)
            continue
        hint = f" (such as {slot.names[0]}.safetensors)" if slot.names else ""
        problems.append(f"a {LABELS.get(slot.kind, slot.kind)} text encoder{hint} for {slot.component}")
    return assigned, problems


def _slot_width(config_dir: Path, component: str) -> int | None:
    try:
        return config_width(json.loads((config_dir / component / "config.json").read_text()))
    except (OSError, ValueError):
        return None


def check_tokenizers(config_dir: Path, shipped: bool = False) -> None:
    """Every tokenizer of the pipeline has its files (the shipped folders carry no vocabularies). `shipped`: the
    folder is the studio's copy of a shipped one, which a ComfyUI install can fill."""
    try:
        index = json.loads((config_dir / "model_index.json").read_text())
    except (OSError, ValueError):
        raise InvalidInputError(f"{config_dir} is not a diffusers config folder (no model_index.json)") from None
    for name, spec in index.items():
        if not name.startswith(("tokenizer", "processor")):  # a processor (Qwen-Image-Edit's) holds a tokenizer too
            continue
        if spec == [None, None]:  # a component the pipeline may go without (LTX-2's processor)
            continue
        if has_vocabulary(config_dir / name):
            continue
        comfyui = (
            f"add your ComfyUI folder (the one holding comfy/ and models/) as a models folder so the studio copies "
            f"the {COMFYUI_LABELS} tokenizers from its comfy/text_encoders/, or "
            if shipped and comfyui_folder(config_dir, name)
            else ""
        )
        raise InvalidInputError(
            f"{config_dir / name} has no tokenizer files: {comfyui}copy the model's `{name}` folder "
            f"(for T5, its spiece.model or tokenizer.json) there, or set `config:` in the model's entry to a "
            "diffusers folder of that model (JSON and tokenizer files are enough)"
        )


# Tokenizer class -> the sentencepiece file it reads, for the vocabularies ComfyUI keeps inside its text-encoder files
# (`spiece_model`) rather than in its source tree: Gemma's (LTX-2, comfy/text_encoders/lt.py) and UMT5's (Wan,
# comfy/text_encoders/wan.py).
_SPIECE_FILES = {"GemmaTokenizer": "tokenizer.model", "T5Tokenizer": "spiece.model"}


def tokenizer_from_text_encoder(config_dir: Path, texts: list[WeightFile]) -> None:
    """A Gemma or UMT5 tokenizer folder without files takes the sentencepiece model a ComfyUI text-encoder file
    carries (`spiece_model`, the model file's bytes as a uint8 tensor)."""
    source = next((t for t in texts if "spiece_model" in t.tensors and not t.is_gguf), None)
    if source is None:
        return
    for folder in sorted(config_dir.glob("tokenizer*")):
        config = folder / "tokenizer_config.json"
        if has_vocabulary(folder) or not config.is_file():
            continue
        try:
            name = _SPIECE_FILES.get(json.loads(config.read_text()).get("tokenizer_class"))
        except (ValueError, AttributeError):
            continue
        if name is None:
            continue
        tensor = read_state_dict(source.path, None, lambda key: key == "spiece_model")["spiece_model"]
        (folder / name).write_bytes(tensor.numpy().tobytes())


def load_files(
    files: ModelFiles,
    model_type: str,
    configs_root: Path,
    dtype: Any,
    *,
    keep_fp8: bool,
    shared: Callable[[str, ComponentKey], Any | None] = lambda _name, _key: None,
    model_folders: tuple[Path, ...] = (),
) -> tuple[Any, dict[str, ComponentKey]]:
    """The pipeline of a single-file entry, and the sharing key of each component read from its own file.
    `model_folders`: the models folders the user named, where a ComfyUI install may supply tokenizer files."""
    weights = read_file(files.model)
    family, arch, detail = detect(files.model)
    if family.type != model_type:
        raise InvalidInputError(
            f"{files.model.name} is a {detail} checkpoint but its catalogue entry says type {model_type!r}; "
            f"set `type: {family.type}`"
        )
    reason = refusal(files.model)
    if reason:
        raise InvalidInputError(reason)
    split = family.split_files
    if split is not None:  # a whole checkpoint of such a family is assembled from its own parts
        return _assemble(files, weights, family, split, configs_root, dtype, keep_fp8, shared, model_folders)
    if weights.is_gguf:
        raise InvalidInputError(f"{files.model.name}: GGUF files of {family.label} models are not supported")
    return _whole_checkpoint(files, weights, family, arch, configs_root, dtype, keep_fp8), {}


def _whole_checkpoint(
    files: ModelFiles,
    weights: WeightFile,
    family: families.Family,
    arch: str | None,
    configs_root: Path,
    dtype: Any,
    keep_fp8: bool,
) -> Any:
    """A checkpoint of a family without split files (SD, SDXL): diffusers' single-file loading."""
    config = str(files.config) if files.config else None
    config_dir = files.config or (shipped_config(arch, configs_root) if arch else None)
    replaced: dict[str, Any] = {}
    if files.text_encoders:
        raise InvalidInputError(
            f"{files.model.name} carries its own text encoders; `text_encoders:` is for diffusion-model-only files",
            field="text_encoders",
        )
    if config_dir is not None:
        check_tokenizers(config_dir)
        if files.vae:
            replaced["vae"] = _load_vae(files.vae, "AutoencoderKL", config_dir, dtype)
    return load_single_file(files.model, family.type, config, configs_root, dtype, **replaced)


def _assemble(
    files: ModelFiles,
    weights: WeightFile,
    family: families.Family,
    split: SplitFiles,
    configs_root: Path,
    dtype: Any,
    keep_fp8: bool,
    shared: Callable[[str, ComponentKey], Any | None],
    model_folders: tuple[Path, ...],
) -> tuple[Any, dict[str, ComponentKey]]:
    import diffusers

    config_dir = files.config or shipped_config(split_config(split, weights, files.known_as), configs_root)
    texts = [read_file(p) for p in files.text_encoders]
    if files.config is None:  # the studio's own copy of a shipped folder, never the user's
        tokenizer_from_text_encoder(config_dir, texts)
        own = (files.model, *files.text_encoders, *((files.vae,) if files.vae else ()))
        tokenizers_from_comfyui(config_dir, comfyui_installs(own, model_folders))
    check_tokenizers(config_dir, shipped=files.config is None)
    whole = None if is_diffusion_model_only(weights) else weights
    encoders, problems = assign_text_encoders(split, texts, config_dir, whole)
    vae = files.vae or (files.model if whole and any(k.startswith(_VAE_KEYS) for k in weights.tensors) else None)
    if vae is None:
        problems.append("a VAE (`vae:`)")
    for part in split.parts:
        if whole is None or not any(k.startswith(part.prefixes) for k in weights.tensors):
            problems.append(f"its {part.label}, which only a whole checkpoint carries")
    if problems:
        alone = "checkpoint" if whole else "diffusion model alone"
        raise InvalidInputError(
            f"{files.model.name} is a {family.label} {alone}; it needs "
            + "; ".join(problems)
            + ". Name the files in its entry's `text_encoders:` and `vae:`"
        )
    assert vae is not None
    dtype_name = str(dtype).removeprefix("torch.")
    kept = "+fp8" if keep_fp8 else ""
    # A part of a whole checkpoint is shared only with the same part of the same file.
    vae_source = str(vae.resolve()) + ("#vae" if vae == files.model else "")
    keys: dict[str, ComponentKey] = {"vae": ((vae_source,), dtype_name)}
    for component, (te, prefix) in encoders.items():
        fp8 = kept if te.has_fp8(prefix) else ""
        keys[component] = ((str(te.path.resolve()) + (f"#{prefix}" if prefix else ""),), dtype_name + fp8)
    parts: dict[str, Any] = {}
    for component, key in keys.items():
        module = shared(component, key)
        if module is None:
            if component == "vae":
                # Inside a whole checkpoint only the VAE's own tensors are read (not the whole file).
                inside = next((p for p in _VAE_KEYS if any(k.startswith(p) for k in weights.tensors)), "")
                prefix = inside if vae == files.model else ""
                module = _load_vae(vae, split.vae_class, config_dir, dtype, split.vae_convert, prefix)
            else:
                slot = next(s for s in split.text_encoders if s.component == component)
                te, prefix = encoders[component]
                module = load_text_encoder(
                    te.path, slot.model_class, config_dir / component, dtype, keep_fp8, prefix, slot.renames,
                    slot.optional,
                )  # fmt: skip
        parts[component] = module
    for part in split.parts:  # read from the model's own file: not shared
        parts[part.component] = load_diffusion_model(
            weights, "", config_dir, part.component, dtype, keep_fp8=False, convert=part.convert, prefix=part.prefixes
        )
    others = tuple(p for part in split.parts for p in part.prefixes)
    parts[split.component] = load_diffusion_model(
        weights, split.model_class, config_dir, split.component, dtype, keep_fp8=keep_fp8, convert=split.convert,
        prefix=split.checkpoint_prefix if whole else "", exclude=others if whole else (),
    )  # fmt: skip
    pipeline_cls = getattr(diffusers, _pipeline_name(family, config_dir))
    pipe = pipeline_cls.from_pretrained(str(config_dir), local_files_only=True, **parts)
    return pipe, keys


def _pipeline_name(family: families.Family, config_dir: Path) -> str:
    """The config folder's pipeline class when it is one of the family's (HunyuanVideo 1.5's image-to-video
    checkpoints load as its image-to-video pipeline), else the family's own."""
    try:
        name = json.loads((config_dir / "model_index.json").read_text()).get("_class_name")
    except (OSError, ValueError, AttributeError):
        return family.pipeline
    return name if isinstance(name, str) and name in family.tasks.values() else family.pipeline


def _load_vae(
    path: Path, vae_class: str, config_dir: Path, dtype: Any, convert: Converter | None = None, prefix: str = ""
) -> Any:
    import diffusers

    if convert is not None:  # a VAE class diffusers has no single-file conversion for
        return load_diffusion_model(
            read_file(path), vae_class, config_dir, "vae", dtype, keep_fp8=False, convert=convert, prefix=prefix
        )
    cls = getattr(diffusers, vae_class)
    try:
        return cls.from_single_file(
            str(path), config=str(config_dir), subfolder="vae", local_files_only=True, torch_dtype=dtype
        )
    except (KeyError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"{path.name} is not a VAE that fits {config_dir / 'vae'}: {exc}") from exc
