"""A model from single files: a whole checkpoint, or split files (diffusion model + text encoders + VAE).

A catalogue entry's `path` names the checkpoint or the diffusion-model file (.safetensors or .gguf);
`text_encoders` and `vae` name the other files, as ComfyUI's `models/text_encoders` and `models/vae`
hold them, and `parts` the files of any further parts its family declares (LTX-2's audio VAE with its vocoder, its
text connectors; a connectors file among `text_encoders`, where ComfyUI's loaders take it, is told by its keys). A
whole checkpoint loads through the pipeline's `from_single_file`; `vae` (and text encoders) given beside it replace
its own. A diffusion-model-only file of a family that declares `SplitFiles` is assembled: the diffusion model from its
file, each text encoder into the slot its kind fills, the VAE from its file, each further part gathered from the files
that carry it, and the scheduler and tokenizers from the config folder (the entry's `config`, else the one shipped for
the family). A whole checkpoint of such a family is assembled from its own parts the same way. Text encoders, VAEs and
parts read from the same files are shared between models (the model cache's component keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
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
from hollywool.models.embedded_tokenizers import refusal_hint, tokenizers_from_text_encoders
from hollywool.models.families.split import CheckpointPart, Converter, Sampling, SplitFiles, TextEncoderSlot
from hollywool.models.quantized import load_diffusion_model, load_from_files
from hollywool.models.shipped_configs import shipped_config
from hollywool.models.single_file import detect, load_single_file
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
    parts: tuple[Path, ...] = ()  # files of further parts (LTX-2's audio VAE, text connectors)
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


def refusal(path: Path, files: ModelFiles | None = None) -> str | None:
    """Why a single file the studio lists cannot be loaded, said before a job is queued: a split file its family refuses
    (Wan 2.2 A14B's experts), or, for a family whose parts come in many files (LTX-2), the files its entry (`files`)
    lacks, each named. None when it may load (loading says what else is wrong)."""
    found = _split_file(path)
    if found is None:
        return None
    split, weights = found
    reason = split.refuse(weights.shapes) if split.refuse else None
    if reason:
        return f"{path.name}: {reason}"
    if files is None or not split.parts:
        return None
    try:
        named = _PartFiles.of(split, [read_file(p) for p in files.text_encoders], [read_file(p) for p in files.parts])
        config = files.config or _packaged_config(split_config(split, weights, files.known_as))
    except InvalidInputError as exc:
        return exc.message
    family, _arch, _detail = detect(path)
    problems = _problems(split, weights, named, files.vae, config)
    return _lacks(family, weights, problems) if problems else None


def file_sampling(path: Path, known_as: str = "") -> Sampling | None:
    """The recommended sampling of a file of a variant whose sampling differs from its family's (FLUX.2 [klein] Base,
    LTX-2's distilled checkpoints), else None (the family's defaults apply). `known_as`: as `split_config`'s."""
    found = _split_file(path)
    if found is None:
        return None
    split, weights = found
    named = split.named_sampling(weights.path.name.lower()) if split.named_sampling else None
    defaults = split.config_defaults.get(split_config(split, weights, known_as))
    return named or (Sampling(*defaults) if defaults else None)


def recommended_sampling(path: Path, family: object) -> Sampling:
    """The sampling a model at `path` of `family` starts with: its variant's (`file_sampling`: klein Base, distilled
    LTX-2), else its family's defaults (Z-Image Turbo's 8 steps without guidance ...)."""
    sampling = file_sampling(path) if path.is_file() else None
    for_model = getattr(family, "for_model", None)  # a video family's variant (Wan 2.2 TI2V-5B) has its own
    family = for_model(str(path)) if for_model is not None else family
    default = Sampling(int(getattr(family, "default_steps", 20)), float(getattr(family, "default_guidance", 7.0)))
    return sampling or default


def _packaged_config(name: str) -> Path | None:
    folder = resources.files("hollywool.catalog").joinpath(f"configs/{name}")
    return Path(str(folder)) if folder.is_dir() else None


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
        embedded = refusal_hint(config_dir / name) if shipped else ""
        raise InvalidInputError(
            f"{config_dir / name} has no tokenizer files: {comfyui}{embedded}copy the model's `{name}` folder "
            f"(for T5, its spiece.model or tokenizer.json) there, or set `config:` in the model's entry to a "
            "diffusers folder of that model (JSON and tokenizer files are enough)"
        )


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
        tokenizers_from_text_encoders(config_dir, texts)
        own = (files.model, *files.text_encoders, *((files.vae,) if files.vae else ()), *files.parts)
        tokenizers_from_comfyui(config_dir, comfyui_installs(own, model_folders))
    check_tokenizers(config_dir, shipped=files.config is None)
    named = _PartFiles.of(split, texts, [read_file(p) for p in files.parts])
    problems = _problems(split, weights, named, files.vae, config_dir)
    if problems:
        raise InvalidInputError(_lacks(family, weights, problems))
    whole = None if is_diffusion_model_only(weights) else weights
    encoders, _problems_again = assign_text_encoders(split, named.texts, config_dir, whole)
    vae = files.vae or files.model
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
    for part in split.parts:
        sources = named.sources(part, weights)
        # A part read from files of its own is shared with models naming the same files; one inside the model's own
        # file is not.
        key: ComponentKey | None = None
        if all(w is not weights for w in sources):
            key = (tuple(f"{w.path.resolve()}#{part.component}" for w in sources), dtype_name)
            keys[part.component] = key
        module = shared(part.component, key) if key else None
        parts[part.component] = module if module is not None else load_from_files(
            sources, config_dir, part.component, dtype, part.convert, part.prefixes
        )  # fmt: skip
    # Other parts inside the file (a whole checkpoint's; the connector blocks of LTX-2.3's transformer-only files) are
    # left unread.
    others = tuple(p for part in split.parts for p in part.prefixes)
    parts[split.component] = load_diffusion_model(
        weights, split.model_class, config_dir, split.component, dtype, keep_fp8=keep_fp8, convert=split.convert,
        prefix=split.checkpoint_prefix if whole else "", exclude=others,
    )  # fmt: skip
    pipeline_cls = getattr(diffusers, _pipeline_name(family, config_dir))
    pipe = pipeline_cls.from_pretrained(str(config_dir), local_files_only=True, **parts)
    return pipe, keys


@dataclass(frozen=True)
class _PartFiles:
    """The files an entry names besides the model, sorted: text encoders, and the files that carry parts (a connectors
    file among the text encoders, as ComfyUI's loaders take it beside Gemma, included)."""

    texts: list[WeightFile]
    carriers: list[WeightFile]
    strangers: list[WeightFile]  # named in `parts:` but carrying none

    @classmethod
    def of(cls, split: SplitFiles, texts: list[WeightFile], parts: list[WeightFile]) -> _PartFiles:
        carrying = {id(w) for w in (*texts, *parts) if any(carries(p, w) for p in split.parts)}
        return cls(
            [w for w in texts if id(w) not in carrying],
            [w for w in (*texts, *parts) if id(w) in carrying],
            [w for w in parts if id(w) not in carrying],
        )

    def sources(self, part: CheckpointPart, model: WeightFile) -> list[WeightFile]:
        """The files to gather `part` from: the named ones first (a connectors file wins over the copy a transformer
        carries), then the model's own file."""
        return [w for w in (*self.carriers, model) if carries(part, w)]


def carries(part: CheckpointPart, weights: WeightFile) -> bool:
    return any(k.startswith(part.prefixes) for k in weights.tensors)


def has_piece(weights: WeightFile, piece: str) -> bool:
    return any(k.startswith(piece) or f".{piece}" in k for k in weights.tensors)


def _problems(
    split: SplitFiles, weights: WeightFile, named: _PartFiles, vae: Path | None, config_dir: Path | None
) -> list[str]:
    """What the model lacks, each said with the file that brings it."""
    problems = [f"{w.path.name} carries none of its {', '.join(p.label for p in split.parts)}" for w in named.strangers]
    whole = None if is_diffusion_model_only(weights) else weights
    problems += assign_text_encoders(split, named.texts, config_dir, whole)[1]
    if vae is None and not (whole and any(k.startswith(_VAE_KEYS) for k in weights.tensors)):
        problems.append(f"a VAE (`vae:`{f', such as {split.vae_example}' if split.vae_example else ''})")
    for part in split.parts:
        sources = named.sources(part, weights)
        if sources and all(any(has_piece(w, piece) for w in sources) for piece in part.pieces):
            continue
        lacking = [piece for piece in part.pieces if not any(has_piece(w, piece) for w in sources)]
        detail = f" (`{'`, `'.join(p.rstrip('.') for p in lacking)}`)" if sources and lacking else ""
        example = f", such as {part.example}" if part.example else ""
        problems.append(f"its {part.label}{detail} (`parts:`{example})")
    return problems


def _lacks(family: families.Family, weights: WeightFile, problems: list[str]) -> str:
    alone = "diffusion model alone" if is_diffusion_model_only(weights) else "checkpoint"
    fields = "`text_encoders:`, `vae:` and `parts:`" if family.split_files and family.split_files.parts else (
        "`text_encoders:` and `vae:`"
    )  # fmt: skip
    return f"{weights.path.name} is a {family.label} {alone}; it needs " + "; ".join(problems) + (
        f". Name the files in its entry's {fields}"
    )  # fmt: skip


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
